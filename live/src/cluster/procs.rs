//! The agent child processes, killed when the guard is dropped, when the
//! parent dies (Linux: `PR_SET_PDEATHSIG`), or on [`kill_registered`] (the
//! `dfaas cluster` Ctrl-C handler calls it).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;

use anyhow::{Context, Result, bail};

/// Pids of every running child of every [`Children`] in this process.
static REGISTRY: Mutex<Vec<u32>> = Mutex::new(Vec::new());

fn registry() -> std::sync::MutexGuard<'static, Vec<u32>> {
    REGISTRY.lock().unwrap_or_else(|e| e.into_inner())
}

/// Kills (SIGKILL) every child still registered, from any thread (e.g. a
/// signal handler thread); returns how many were signalled. The owning
/// [`Children`] reaps them later (or the process exits).
pub fn kill_registered() -> usize {
    // Under the lock: a registered pid is not reaped yet, so not recycled.
    let pids = registry();
    for &pid in pids.iter() {
        signal(pid, Sig::Kill);
    }
    pids.len()
}

#[derive(Clone, Copy)]
enum Sig {
    Kill,
}

#[cfg(unix)]
fn signal(pid: u32, s: Sig) {
    let Ok(pid) = libc::pid_t::try_from(pid) else { return };
    let sig = match s {
        Sig::Kill => libc::SIGKILL,
    };
    // SAFETY: kill(2) has no memory-safety preconditions; `pid` is a child
    // this process started and has not reaped yet (removed from the registry
    // before `wait`), so it cannot name a recycled pid.
    unsafe {
        libc::kill(pid, sig);
    }
}

#[cfg(not(unix))]
fn signal(_pid: u32, _s: Sig) {}

/// Makes the child die with its parent (Linux only; a no-op elsewhere).
#[cfg(target_os = "linux")]
fn die_with_parent(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: the closure runs between fork and exec and only calls the
    // async-signal-safe prctl(2), getppid(2) and _exit(2).
    let parent = std::process::id();
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong, 0, 0, 0) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The parent may have died before prctl: then nobody will signal us.
            if libc::getppid() as u32 != parent {
                libc::_exit(1);
            }
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn die_with_parent(_cmd: &mut Command) {}

struct Agent {
    name: String,
    exe: PathBuf,
    cfg: PathBuf,
    log: PathBuf,
    /// The network namespace it runs in (`ip netns exec`), if any.
    netns: Option<String>,
    child: Option<Child>,
}

/// Owns the children; `Drop` kills and reaps every one still running.
///
/// On Linux each child gets `PR_SET_PDEATHSIG(SIGKILL)`: it is killed when
/// the *thread* that spawned it ends, so spawn from a thread that outlives
/// the children (the main thread, or the test's own thread).
#[derive(Default)]
pub struct Children {
    agents: Vec<Agent>,
}

fn start(exe: &Path, cfg: &Path, log: &Path, netns: Option<&str>, append: bool) -> Result<Child> {
    let out = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .append(append)
        .truncate(!append)
        .open(log)
        .with_context(|| format!("creating {}", log.display()))?;
    let err = out.try_clone()?;
    // `ip netns exec` enters the namespace and execs the agent (same pid).
    let mut cmd = match netns {
        Some(ns) => {
            let mut c = Command::new("ip");
            c.args(["netns", "exec", ns]).arg(exe);
            c
        }
        None => Command::new(exe),
    };
    cmd.arg("agent").arg("--config").arg(cfg).stdin(Stdio::null()).stdout(out).stderr(err);
    die_with_parent(&mut cmd);
    let child = cmd.spawn().with_context(|| format!("starting {} agent --config {}", exe.display(), cfg.display()))?;
    registry().push(child.id());
    Ok(child)
}

fn reap(mut c: Child) {
    let _ = c.kill();
    let pid = c.id();
    registry().retain(|&p| p != pid);
    let _ = c.wait();
}

impl Children {
    /// Starts `exe agent --config cfg`, its output in `log`. A stopped child
    /// of the same name is replaced; a running one is an error.
    pub fn spawn(&mut self, name: &str, exe: &Path, cfg: &Path, log: &Path) -> Result<u32> {
        self.spawn_in(name, exe, cfg, log, None)
    }

    /// [`Children::spawn`] inside the network namespace `netns` (restarts too).
    pub fn spawn_in(&mut self, name: &str, exe: &Path, cfg: &Path, log: &Path, netns: Option<&str>) -> Result<u32> {
        if self.pid(name).is_some() {
            bail!("agent {name} is already running");
        }
        let child = start(exe, cfg, log, netns, false)?;
        let pid = child.id();
        let agent = Agent {
            name: name.to_string(),
            exe: exe.to_path_buf(),
            cfg: cfg.to_path_buf(),
            log: log.to_path_buf(),
            netns: netns.map(str::to_string),
            child: Some(child),
        };
        match self.agents.iter_mut().find(|a| a.name == name) {
            Some(a) => *a = agent,
            None => self.agents.push(agent),
        }
        Ok(pid)
    }

    /// Process ids of the running children.
    pub fn pids(&self) -> Vec<u32> {
        self.agents.iter().filter_map(|a| a.child.as_ref().map(Child::id)).collect()
    }

    /// Process id of the child called `name`, if it runs.
    pub fn pid(&self, name: &str) -> Option<u32> {
        self.agents.iter().find(|a| a.name == name).and_then(|a| a.child.as_ref().map(Child::id))
    }

    /// The first running child that has exited by itself, with its status.
    pub fn exited(&mut self) -> Option<(String, std::process::ExitStatus)> {
        for a in &mut self.agents {
            if let Some(c) = &mut a.child {
                // Under the lock: `try_wait` reaps, so unregister before anyone signals.
                let mut reg = registry();
                if let Ok(Some(st)) = c.try_wait() {
                    let pid = c.id();
                    reg.retain(|&p| p != pid);
                    return Some((a.name.clone(), st));
                }
            }
        }
        None
    }

    /// Kills (SIGKILL, like a crash) and reaps the child called `name`.
    pub fn kill(&mut self, name: &str) -> Result<()> {
        let Some(a) = self.agents.iter_mut().find(|a| a.name == name) else {
            bail!("no agent called {name}");
        };
        match a.child.take() {
            Some(c) => {
                reap(c);
                Ok(())
            }
            None => bail!("agent {name} is not running"),
        }
    }

    /// Starts the child called `name` again with the same command, config
    /// (hence the same keys and ports) and log (appended to).
    pub fn restart(&mut self, name: &str) -> Result<u32> {
        let Some(a) = self.agents.iter_mut().find(|a| a.name == name) else {
            bail!("no agent called {name}");
        };
        if let Some(c) = a.child.take() {
            reap(c);
        }
        let child = start(&a.exe, &a.cfg, &a.log, a.netns.as_deref(), true)?;
        let pid = child.id();
        a.child = Some(child);
        Ok(pid)
    }

    /// Kills and reaps every child.
    pub fn stop_all(&mut self) {
        for a in &mut self.agents {
            if let Some(c) = &mut a.child {
                let _ = c.kill();
            }
        }
        for a in self.agents.drain(..) {
            if let Some(c) = a.child {
                reap(c);
            }
        }
    }
}

impl Drop for Children {
    fn drop(&mut self) {
        self.stop_all();
    }
}
