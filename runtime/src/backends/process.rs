//! `process` backend: one process per request (the classic OpenFaaS
//! watchdog): body on stdin, stdout is the answer, killed at the timeout,
//! a non-zero exit is a failure.

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
}

impl ProcessBackend {
    /// A backend running `command args..` with a per-call timeout.
    pub fn new(command: String, args: Vec<String>, timeout_s: f64) -> ProcessBackend {
        ProcessBackend { command, args, timeout: crate::config::secs(timeout_s), timeout_s }
    }

    /// Runs the command once.
    pub async fn invoke(&self, inv: Invocation) -> Result<Output, BackendError> {
        let mut cmd = tokio::process::Command::new(&self.command);
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
                let _ = child.start_kill();
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
            let msg = String::from_utf8_lossy(&err.0).trim().to_string();
            return Err(BackendError::Failed(format!("`{}` exited with {status}: {msg}", self.command)));
        }
        Ok(Output { status: StatusCode::OK, content_type: Some(text_plain()), body: Bytes::from(out) })
    }

    /// Whether the command can be found and executed.
    pub fn healthy(&self) -> bool {
        find_executable(&self.command)
    }
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
