//! `process` backend: one process per request (the classic OpenFaaS
//! watchdog): body on stdin, stdout is the answer, a non-zero exit is a
//! failure. The function sees none of the gateway's environment but `PATH`
//! and the variables its config allows; its stderr is logged, never sent to
//! the caller; at the timeout its whole process group is killed (children
//! it started included).

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use bytes::Bytes;
use hyper::StatusCode;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

use super::{BackendError, Invocation, Output, text_plain};

/// Largest stdout accepted from a function.
const MAX_OUTPUT: u64 = 16 << 20;
/// Stderr kept for error messages.
const MAX_STDERR: u64 = 2048;

/// Runs a command per request.
#[derive(Debug)]
pub struct ProcessBackend {
    command: String,
    args: Vec<String>,
    timeout: Duration,
    timeout_s: f64,
    /// Names of the gateway's variables passed on.
    env: Vec<String>,
}

/// `PATH` for a function when the gateway has none.
const DEFAULT_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

impl ProcessBackend {
    /// A backend running `command args..` with a per-call timeout.
    pub fn new(command: String, args: Vec<String>, timeout_s: f64) -> ProcessBackend {
        ProcessBackend { command, args, timeout: crate::config::secs(timeout_s), timeout_s, env: Vec::new() }
    }

    /// Passes the gateway's variables named in `env` on to the function.
    pub fn with_env(mut self, env: Vec<String>) -> Self {
        self.env = env;
        self
    }

    /// Runs the command once.
    pub async fn invoke(&self, inv: Invocation) -> Result<Output, BackendError> {
        let mut cmd = tokio::process::Command::new(&self.command);
        cmd.env_clear().env("PATH", std::env::var_os("PATH").unwrap_or_else(|| DEFAULT_PATH.into()));
        for name in &self.env {
            if let Some(v) = std::env::var_os(name) {
                cmd.env(name, v);
            }
        }
        // Its own process group, so that a timeout kills what it started too.
        #[cfg(unix)]
        cmd.process_group(0);
        cmd.args(&self.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .env("Http_Method", inv.method.as_str())
            .env("Http_Query", inv.query.as_deref().unwrap_or(""));
        if let Some(ct) = inv.content_type.as_ref().and_then(|v| v.to_str().ok()) {
            cmd.env("Http_Content_Type", ct);
        }
        let mut child =
            cmd.spawn().map_err(|e| BackendError::Failed(format!("cannot start `{}`: {e}", self.command)))?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take();
        let stderr = child.stderr.take();
        let body = inv.body;
        let run = async {
            let write = async move {
                if let Some(mut s) = stdin {
                    // A function may exit without reading all input: ignore EPIPE.
                    let _ = s.write_all(&body).await;
                    let _ = s.shutdown().await;
                }
            };
            let (_, out, err) = tokio::join!(write, read_capped(stdout, MAX_OUTPUT), read_capped(stderr, MAX_STDERR));
            let status = child.wait().await;
            (status, out, err)
        };
        let (status, out, err) = match tokio::time::timeout(self.timeout, run).await {
            Ok(r) => r,
            Err(_) => {
                kill_group(&mut child);
                let _ = tokio::time::timeout(Duration::from_secs(1), child.wait()).await;
                return Err(BackendError::Timeout(self.timeout_s));
            }
        };
        let status = status.map_err(|e| BackendError::Failed(format!("wait failed: {e}")))?;
        let (out, truncated) = out;
        if truncated {
            let _ = child.start_kill();
            return Err(BackendError::Failed(format!("output larger than {MAX_OUTPUT} bytes")));
        }
        if !status.success() {
            // The caller learns that it failed, not what it printed (paths, secrets).
            let msg = String::from_utf8_lossy(&err.0).trim().to_string();
            tracing::warn!(command = %self.command, %status, stderr = %msg, "function failed");
            return Err(BackendError::Failed(format!("`{}` exited with {status}", self.command)));
        }
        Ok(Output { status: StatusCode::OK, content_type: Some(text_plain()), body: Bytes::from(out) })
    }

    /// Whether the command can be found and executed.
    pub fn healthy(&self) -> bool {
        find_executable(&self.command)
    }
}

/// Kills the child's whole process group (the child leads it), or the child
/// alone where there are no process groups.
fn kill_group(child: &mut tokio::process::Child) {
    #[cfg(unix)]
    if let Some(pid) = child.id().and_then(|p| i32::try_from(p).ok()) {
        // SAFETY: kill(2) with a negative pid signals that process group;
        // no memory is involved. The group is the child's own (process_group(0)).
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
    let _ = child.start_kill();
}

/// Reads at most `cap` bytes; the flag says whether there was more.
async fn read_capped<R: AsyncRead + Unpin>(r: Option<R>, cap: u64) -> (Vec<u8>, bool) {
    let Some(r) = r else { return (Vec::new(), false) };
    let mut buf = Vec::new();
    let mut limited = r.take(cap + 1);
    let _ = limited.read_to_end(&mut buf).await;
    let over = buf.len() as u64 > cap;
    buf.truncate(usize::try_from(cap).unwrap_or(usize::MAX));
    (buf, over)
}

fn is_executable(p: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(p).map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0).unwrap_or(false)
    }
    #[cfg(not(unix))]
    {
        p.is_file()
    }
}

/// Whether `command` names an executable file, directly or on `PATH`.
pub fn find_executable(command: &str) -> bool {
    if command.contains('/') {
        return is_executable(Path::new(command));
    }
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|d| is_executable(&d.join(command))))
        .unwrap_or(false)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn inv() -> Invocation {
        Invocation { method: hyper::Method::GET, query: None, content_type: None, body: Bytes::new() }
    }

    fn sh(script: &str, timeout_s: f64) -> ProcessBackend {
        ProcessBackend::new("sh".into(), vec!["-c".into(), script.into()], timeout_s)
    }

    /// The function sees PATH, the request's variables and what its config
    /// allows — none of the gateway's own environment (this test process
    /// runs under cargo, whose variables must not reach it).
    #[tokio::test]
    async fn the_gateways_environment_stays_out() {
        assert!(std::env::var_os("CARGO").is_some(), "cargo sets CARGO for tests");
        let out = sh("env", 5.0).invoke(inv()).await.unwrap();
        let env = String::from_utf8_lossy(&out.body).into_owned();
        let names: Vec<&str> = env.lines().filter_map(|l| l.split('=').next()).collect();
        assert!(names.contains(&"PATH") && names.contains(&"Http_Method"), "{env}");
        assert!(!names.iter().any(|n| n.starts_with("CARGO")), "{env}");
        let allowed = sh("env", 5.0).with_env(vec!["CARGO_PKG_NAME".into()]).invoke(inv()).await.unwrap();
        assert!(String::from_utf8_lossy(&allowed.body).contains("CARGO_PKG_NAME=dfaas-runtime"));
    }

    #[tokio::test]
    async fn stderr_is_not_sent_to_the_caller() {
        let e = sh("echo AWS_SECRET_ACCESS_KEY=hunter2 >&2; exit 3", 5.0).invoke(inv()).await.unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("exit status: 3") && !msg.contains("hunter2") && !msg.contains("AWS_"), "{msg}");
    }

    /// Processes whose command line is `sleep <marker>`.
    fn sleepers(marker: &str) -> usize {
        std::fs::read_dir("/proc")
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| {
                std::fs::read(e.path().join("cmdline"))
                    .map(|c| String::from_utf8_lossy(&c).replace('\0', " ").trim() == format!("sleep {marker}"))
                    .unwrap_or(false)
            })
            .count()
    }

    #[tokio::test]
    async fn a_timeout_kills_what_the_function_started() {
        let marker = format!("31.{}", std::process::id());
        let b = sh(&format!("sleep {marker} & sleep {marker} & wait"), 0.5);
        let e = b.invoke(inv()).await.unwrap_err();
        assert!(matches!(e, BackendError::Timeout(_)), "{e}");
        let t0 = std::time::Instant::now();
        while sleepers(&marker) > 0 && t0.elapsed() < Duration::from_secs(3) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(sleepers(&marker), 0, "the function's children outlived its timeout");
    }
}
