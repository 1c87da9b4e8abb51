//! The agent child processes, killed when the guard is dropped.

use std::path::Path;
use std::process::{Child, Command, Stdio};

use anyhow::{Context, Result};

/// Owns the children; `Drop` kills and reaps every one still running.
#[derive(Default)]
pub struct Children {
    children: Vec<(String, Child)>,
}

impl Children {
    /// Starts `exe agent --config cfg`, its output in `log`.
    pub fn spawn(&mut self, name: &str, exe: &Path, cfg: &Path, log: &Path) -> Result<u32> {
        let out = std::fs::File::create(log).with_context(|| format!("creating {}", log.display()))?;
        let err = out.try_clone()?;
        let child = Command::new(exe)
            .arg("agent")
            .arg("--config")
            .arg(cfg)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .with_context(|| format!("starting {} agent --config {}", exe.display(), cfg.display()))?;
        let pid = child.id();
        self.children.push((name.to_string(), child));
        Ok(pid)
    }

    /// Process ids of the children.
    pub fn pids(&self) -> Vec<u32> {
        self.children.iter().map(|(_, c)| c.id()).collect()
    }

    /// The first child that has exited, with its status.
    pub fn exited(&mut self) -> Option<(String, std::process::ExitStatus)> {
        for (name, c) in &mut self.children {
            if let Ok(Some(st)) = c.try_wait() {
                return Some((name.clone(), st));
            }
        }
        None
    }

    /// Kills and reaps every child.
    pub fn stop_all(&mut self) {
        for (_, c) in &mut self.children {
            let _ = c.kill();
        }
        for (_, mut c) in self.children.drain(..) {
            let _ = c.wait();
        }
    }
}

impl Drop for Children {
    fn drop(&mut self) {
        self.stop_all();
    }
}
