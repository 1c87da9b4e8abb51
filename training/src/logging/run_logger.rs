//! [`RunLogger`]: TensorBoard scalars + `scalars.csv` + progress bar for one run directory.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, IsTerminal, Read, Seek, SeekFrom, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use indicatif::{ProgressBar, ProgressStyle};
use tensorboard_rs::summary_writer::SummaryWriter;

/// Columns of `scalars.csv`, in order.
pub const CSV_HEADER: [&str; 4] = ["step", "wall_time_s", "tag", "value"];

/// Sub-folder of the run directory that holds the TensorBoard event files.
const TB_DIR: &str = "tensorboard";
/// File name of the long-format CSV in the run directory.
const CSV_FILE: &str = "scalars.csv";

/// Logs the scalars of one training run; see the [module documentation](super).
pub struct RunLogger {
    run_dir: PathBuf,
    csv: csv::Writer<File>,
    /// `None` once the TensorBoard writer failed or was closed by [`RunLogger::finish`].
    tb: Option<SummaryWriter>,
    bar: ProgressBar,
    progress_started: bool,
}

impl RunLogger {
    /// Opens the loggers of the run in `run_dir` (created if missing) for a run of
    /// `total_iterations` iterations (the length of the progress bar). `progress` enables the bar;
    /// it stays hidden anyway when stderr is not a terminal.
    ///
    /// An existing `scalars.csv` is appended to (resume); its header must be [`CSV_HEADER`].
    /// Only one `RunLogger` at a time may write to a run directory.
    pub fn create(run_dir: &Path, total_iterations: u64, progress: bool) -> io::Result<Self> {
        let tb_dir = run_dir.join(TB_DIR);
        fs::create_dir_all(&tb_dir)?;
        // tensorboard-rs creates its file in a background thread that panics on failure: find out
        // here, as an error, whether the folder is writable.
        let probe = tb_dir.join(".dfaas-write-probe");
        File::create(&probe)?;
        fs::remove_file(&probe)?;
        let csv = open_csv(&run_dir.join(CSV_FILE))?;
        wait_for_fresh_event_file_name(&tb_dir)?;
        let tb = catch_unwind(|| SummaryWriter::new(&tb_dir))
            .map_err(|_| io::Error::other(format!("cannot start the TensorBoard writer in {}", tb_dir.display())))?;
        let bar = if progress && io::stderr().is_terminal() {
            let b = ProgressBar::new(total_iterations);
            b.set_style(
                ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} it {elapsed}<{eta} {msg}")
                    .expect("valid template")
                    .progress_chars("=> "),
            );
            b
        } else {
            ProgressBar::hidden()
        };
        Ok(RunLogger { run_dir: run_dir.to_path_buf(), csv, tb: Some(tb), bar, progress_started: false })
    }

    /// The run directory.
    pub fn run_dir(&self) -> &Path {
        &self.run_dir
    }

    /// The folder of the TensorBoard event files: `<run>/tensorboard`.
    pub fn tensorboard_dir(&self) -> PathBuf {
        self.run_dir.join(TB_DIR)
    }

    /// The progress bar (hidden when disabled), e.g. to print lines above it with `suspend`.
    pub fn progress_bar(&self) -> &ProgressBar {
        &self.bar
    }

    /// Logs `scalars` (tag, value) at `step`: appends them to `scalars.csv` and flushes it, then
    /// hands the finite ones to TensorBoard.
    ///
    /// If the TensorBoard writer fails, this returns an error once and later calls write the CSV
    /// only.
    pub fn log_scalars(&mut self, step: u64, scalars: &[(&str, f64)]) -> io::Result<()> {
        let wall = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs_f64();
        let (step_s, wall_s) = (step.to_string(), format!("{wall:.3}"));
        for &(tag, value) in scalars {
            // f64 Debug: shortest text that reads back to the same value, with an exponent when very
            // large or small (`1e300`, `1e-7`); `NaN`, `inf`, `-inf`.
            self.csv.write_record([step_s.as_str(), wall_s.as_str(), tag, format!("{value:?}").as_str()])?;
        }
        self.csv.flush()?;

        let Some(tb) = self.tb.as_mut() else {
            return Ok(());
        };
        let tb_step = usize::try_from(step).map_err(|_| io::Error::other("step does not fit in usize"))?;
        let written = catch_unwind(AssertUnwindSafe(|| {
            for &(tag, value) in scalars {
                let v = value as f32;
                if v.is_finite() {
                    tb.add_scalar(tag, v, tb_step);
                }
            }
            tb.flush();
        }));
        if written.is_err() {
            self.close_tensorboard()?;
            return Err(tb_failed());
        }
        Ok(())
    }

    /// Moves the progress bar to `iteration` and shows `message` (see [`super::progress_message`]).
    pub fn set_progress(&mut self, iteration: u64, message: &str) {
        self.bar.set_position(iteration);
        if !self.progress_started {
            // A resumed run starts far from 0: do not count the jump in the rate.
            self.bar.reset_eta();
            self.progress_started = true;
        }
        self.bar.set_message(message.to_owned());
    }

    /// Flushes the CSV, closes the TensorBoard event file (waiting until it is written) and
    /// finishes the progress bar.
    pub fn finish(mut self) -> io::Result<()> {
        self.bar.finish();
        self.csv.flush()?;
        self.close_tensorboard()
    }

    /// Drops the TensorBoard writer, which joins its thread; its panics become an error.
    fn close_tensorboard(&mut self) -> io::Result<()> {
        match self.tb.take() {
            Some(tb) => catch_unwind(AssertUnwindSafe(move || drop(tb))).map_err(|_| tb_failed()),
            None => Ok(()),
        }
    }
}

impl Drop for RunLogger {
    fn drop(&mut self) {
        // The CSV writer flushes itself on drop; the TensorBoard writer must not panic here.
        let _ = self.close_tensorboard();
        if !self.bar.is_finished() {
            self.bar.abandon();
        }
    }
}

fn tb_failed() -> io::Error {
    io::Error::other("the TensorBoard writer failed (see its message above); scalars.csv is still written")
}

/// Opens `path` for appending; writes the header if the file is new or empty, otherwise checks it.
fn open_csv(path: &Path) -> io::Result<csv::Writer<File>> {
    let mut file = OpenOptions::new().read(true).append(true).create(true).open(path)?;
    let len = file.metadata()?.len();
    if len > 0 {
        let mut first = String::new();
        BufReader::new((&file).take(1024)).read_line(&mut first)?;
        if first.trim_end_matches(['\r', '\n']) != CSV_HEADER.join(",") {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{}: header is not `{}`: not a scalars.csv of a run", path.display(), CSV_HEADER.join(",")),
            ));
        }
        // A crash in the middle of a row leaves no final newline: start the new rows on a new line.
        let mut last = [0u8];
        file.seek(SeekFrom::End(-1))?;
        file.read_exact(&mut last)?;
        if last[0] != b'\n' {
            file.write_all(b"\n")?;
        }
    }
    let mut w = csv::WriterBuilder::new().has_headers(false).from_writer(file);
    if len == 0 {
        w.write_record(CSV_HEADER)?;
        w.flush()?;
    }
    Ok(w)
}

/// tensorboard-rs names its file `events.out.tfevents.<unix seconds>.<host>.<pid>.0` and truncates
/// a file of that name: a second writer of this process in the same folder within the same second
/// would erase the first one's file. Wait for the next second when such a file exists.
fn wait_for_fresh_event_file_name(dir: &Path) -> io::Result<()> {
    let suffix = format!(".{}.0", std::process::id());
    loop {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        let prefix = format!("events.out.tfevents.{:010}.", now.as_secs());
        let mut clash = false;
        for entry in fs::read_dir(dir)? {
            let name = entry?.file_name();
            let name = name.to_string_lossy();
            clash |= name.starts_with(&prefix) && name.ends_with(&suffix);
        }
        if !clash {
            return Ok(());
        }
        std::thread::sleep(Duration::from_secs(1) - Duration::from_nanos(now.subsec_nanos().into()));
    }
}
