//! `dfaas cluster --netns`: each agent in its own Linux network namespace,
//! all on one bridge, every namespace's egress shaped by `tc netem` with the
//! scenario's access delay and link bandwidth. What a packet pays is its
//! sender's egress: a forward pays the delay on the request (the forwarding
//! agent's egress) and again on the answer (the peer's), a user request from
//! the load generator (in the root namespace, on the bridge's address) only
//! on its answer; the simulator charges the access delay once per transfer.
//! Created with `ip` and `tc` by the command itself, removed when [`NetNs`]
//! is dropped; needs root (CAP_NET_ADMIN). Where the kernel has no netem
//! (no `sch_netem`), the same shaping is applied in user space: each
//! namespace's `eth0` is a TUN device and [`super::tun_shaper`] delays and
//! rate-limits what each node sends, in place of the bridge ([`NetNs::shaper`]
//! says which). One run at a time: the subnet is
//! fixed, and a run refuses to start while a route to it exists.
//!
//! Addresses: node `i` is `10.213.x.y` (`x = i / 250`, `y = i % 250 + 1`) on
//! `eth0` of namespace `dfaas-<pid>-<i>`; the bridge is `10.213.255.254/16`.

use std::net::{IpAddr, Ipv4Addr};
use std::process::Command;
use std::sync::{Mutex, PoisonError};

use anyhow::{Context, Result, bail};

/// How each namespace's egress is shaped.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shaping {
    /// One-way delay added to every packet a node sends, seconds.
    pub delay_s: f64,
    /// Egress rate, megabits per second.
    pub mbps: f64,
}

/// The namespaces, the bridge and their addresses; removed on drop.
pub struct NetNs {
    names: Vec<String>,
    ips: Vec<IpAddr>,
    bridge: String,
    /// What was made, in order (removed in reverse).
    made: Vec<Made>,
    /// The user-space shaper, where the kernel has no netem.
    #[cfg(target_os = "linux")]
    tun: Option<super::tun_shaper::TunShaper>,
    shaper: &'static str,
}

impl std::fmt::Debug for NetNs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NetNs")
            .field("names", &self.names)
            .field("ips", &self.ips)
            .field("shaper", &self.shaper)
            .finish()
    }
}

/// The root namespace's address on the namespaces' subnet.
const ROOT_IP: Ipv4Addr = Ipv4Addr::new(10, 213, 255, 254);

/// Node `i`'s address.
fn node_ip(i: usize) -> Ipv4Addr {
    Ipv4Addr::new(10, 213, (i / 250) as u8, (i % 250 + 1) as u8)
}

/// A netem qdisc on namespace `name`'s `eth0`: `shaping`'s delay and rate.
fn netem(name: &str, s: Shaping) -> Result<()> {
    let delay = format!("{}us", (s.delay_s * 1e6).round() as u64);
    let rate = format!("{}kbit", (s.mbps * 1000.0).round().max(1.0) as u64);
    let args = ["-n", name, "qdisc", "add", "dev", "eth0", "root", "netem", "delay", &delay, "rate", &rate];
    run("tc", &args).map_err(|e| {
        if e.to_string().contains("unknown") {
            anyhow::anyhow!(
                "{e}\nthis kernel has no netem qdisc (module sch_netem), so link delays cannot be applied: \
                 load it (modprobe sch_netem), or run --netns --no-shaping (namespaces without delays)"
            )
        } else {
            e
        }
    })
}

/// Gives namespace `name`'s `eth0` the address `ip` and brings it and `lo` up.
fn bring_up(name: &str, ip: Ipv4Addr) -> Result<()> {
    run("ip", &["-n", name, "addr", "add", &format!("{ip}/16"), "dev", "eth0"])?;
    run("ip", &["-n", name, "link", "set", "eth0", "up"])?;
    run("ip", &["-n", name, "link", "set", "lo", "up"])
}

/// Whether `tc` can add a netem qdisc here (tried in a namespace of its own).
fn netem_available() -> bool {
    let probe = format!("dfaas-{}-probe", std::process::id());
    if run("ip", &["netns", "add", &probe]).is_err() {
        return false;
    }
    made(Made::Namespace(probe.clone()));
    let ok = run("tc", &["-n", &probe, "qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms"]).is_ok();
    let m = Made::Namespace(probe);
    remove(&m);
    MADE.lock().unwrap_or_else(PoisonError::into_inner).retain(|x| *x != m);
    ok
}

/// The subnet of every `--netns` run.
const SUBNET: &str = "10.213.0.0/16";

/// The most nodes one bridge's addressing holds.
pub const MAX_NODES: usize = 250 * 255;

/// Whether this process may create network namespaces (effective uid 0).
pub fn is_root() -> bool {
    #[cfg(unix)]
    {
        // SAFETY: geteuid has no preconditions and cannot fail.
        unsafe { libc::geteuid() == 0 }
    }
    #[cfg(not(unix))]
    {
        false
    }
}

/// Namespaces and bridges made by this process and not removed yet, so a
/// signal handler can remove them ([`remove_registered`]).
static MADE: Mutex<Vec<Made>> = Mutex::new(Vec::new());

#[derive(Debug, Clone, PartialEq)]
enum Made {
    Namespace(String),
    /// A bridge, or the host end of a veth pair (deleting it deletes the pair).
    Link(String),
}

fn remove(m: &Made) {
    let _ = match m {
        Made::Namespace(n) => run("ip", &["netns", "del", n]),
        Made::Link(l) => run("ip", &["link", "del", l]),
    };
}

fn made(m: Made) {
    MADE.lock().unwrap_or_else(PoisonError::into_inner).push(m);
}

/// Removes every namespace, veth pair and bridge this process made and has
/// not removed (for a signal handler about to exit), the last made first;
/// returns how many.
pub fn remove_registered() -> usize {
    let all: Vec<Made> = std::mem::take(&mut *MADE.lock().unwrap_or_else(PoisonError::into_inner));
    all.iter().rev().for_each(remove);
    all.len()
}

fn run(program: &str, args: &[&str]) -> Result<()> {
    let out = Command::new(program)
        .args(args)
        .output()
        .with_context(|| format!("running {program} (iproute2 is needed for --netns)"))?;
    if !out.status.success() {
        bail!("{program} {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(())
}

impl NetNs {
    /// Creates `n` namespaces on a new bridge, each egress shaped by
    /// `shaping` when given; what was made before a failure is removed.
    pub fn create(n: usize, shaping: Option<Shaping>) -> Result<Self> {
        if !is_root() {
            bail!(
                "--netns creates network namespaces, a bridge and tc qdiscs: it needs root (CAP_NET_ADMIN); \
                 run as root, or without --netns (agents on 127.0.0.1)"
            );
        }
        if n > MAX_NODES {
            bail!("--netns addresses at most {MAX_NODES} nodes on one bridge, not {n}");
        }
        let routes = Command::new("ip").args(["-o", "route", "show", SUBNET]).output();
        if let Ok(out) = routes
            && !String::from_utf8_lossy(&out.stdout).trim().is_empty()
        {
            bail!(
                "--netns: {SUBNET} is already routed ({}): another --netns run is going on, or one was killed \
                 without cleaning up (remove its bridge: ip link del <dfb…>; its namespaces: ip netns del <dfaas-…>)",
                String::from_utf8_lossy(&out.stdout).trim()
            );
        }
        if let Some(s) = shaping
            && !(s.delay_s.is_finite() && s.delay_s >= 0.0 && s.mbps.is_finite() && s.mbps > 0.0)
        {
            bail!("--netns shaping: delay {} s and rate {} Mbps must be non-negative and positive", s.delay_s, s.mbps);
        }
        let pid = std::process::id();
        let bridge = format!("dfb{}", pid % 1_000_000);
        let mut ns = NetNs {
            names: Vec::new(),
            ips: Vec::new(),
            bridge: bridge.clone(),
            made: Vec::new(),
            #[cfg(target_os = "linux")]
            tun: None,
            shaper: if shaping.is_some() { "netem" } else { "none" },
        };
        if let Some(s) = shaping
            && !netem_available()
        {
            #[cfg(target_os = "linux")]
            {
                ns.shaper = "user-space (TUN)";
                ns.create_tun(n, s).map_err(|e| {
                    anyhow::anyhow!(
                        "{e:#}\nthis kernel has no netem qdisc and the user-space shaper needs TUN devices \
                         (/dev/net/tun): load sch_netem or tun, or run --netns --no-shaping (namespaces without delays)"
                    )
                })?;
                return Ok(ns);
            }
            #[cfg(not(target_os = "linux"))]
            bail!("--netns shaping without netem needs Linux TUN devices ({s:?})");
        }
        ns.create_bridge(n, shaping)?;
        Ok(ns)
    }

    /// Namespaces on a bridge through veth pairs, each `eth0` shaped by a
    /// netem qdisc when `shaping` is given.
    fn create_bridge(&mut self, n: usize, shaping: Option<Shaping>) -> Result<()> {
        let pid = std::process::id();
        let bridge = self.bridge.clone();
        run("ip", &["link", "add", &bridge, "type", "bridge"])?;
        self.record(Made::Link(bridge.clone()));
        run("ip", &["addr", "add", &format!("{ROOT_IP}/16"), "dev", &bridge])?;
        run("ip", &["link", "set", &bridge, "up"])?;
        for i in 0..n {
            let (name, ip) = self.add_namespace(pid, i)?;
            let host_end = format!("dfv{}x{i}", pid % 10_000);
            run("ip", &["link", "add", &host_end, "type", "veth", "peer", "name", "eth0", "netns", &name])?;
            self.record(Made::Link(host_end.clone()));
            run("ip", &["link", "set", &host_end, "master", &bridge, "up"])?;
            bring_up(&name, ip)?;
            if let Some(s) = shaping {
                netem(&name, s)?;
            }
        }
        Ok(())
    }

    /// The user-space variant of the namespaces: a TUN device as each
    /// namespace's `eth0` and one in the root namespace, joined by the shaper.
    #[cfg(target_os = "linux")]
    fn create_tun(&mut self, n: usize, shaping: Shaping) -> Result<()> {
        use super::tun_shaper::{Port, TunShaper, open_tun};
        let pid = std::process::id();
        let root = format!("dft{}r", pid % 1_000_000);
        let mut ports = vec![Port { fd: open_tun(&root)?, addr: ROOT_IP, egress: None }];
        run("ip", &["addr", "add", &format!("{ROOT_IP}/16"), "dev", &root])?;
        run("ip", &["link", "set", &root, "up"])?;
        for i in 0..n {
            let (name, ip) = self.add_namespace(pid, i)?;
            let dev = format!("dft{}x{i}", pid % 10_000);
            let fd = open_tun(&dev)?;
            run("ip", &["link", "set", &dev, "netns", &name])?;
            run("ip", &["-n", &name, "link", "set", &dev, "name", "eth0"])?;
            bring_up(&name, ip)?;
            ports.push(Port { fd, addr: ip, egress: Some(shaping) });
        }
        self.tun = Some(TunShaper::start(ports)?);
        Ok(())
    }

    /// Namespace `i` of this run, made and recorded: its name and address.
    fn add_namespace(&mut self, pid: u32, i: usize) -> Result<(String, Ipv4Addr)> {
        let name = format!("dfaas-{pid}-{i}");
        run("ip", &["netns", "add", &name])?;
        self.record(Made::Namespace(name.clone()));
        self.names.push(name.clone());
        let ip = node_ip(i);
        self.ips.push(IpAddr::V4(ip));
        Ok((name, ip))
    }

    /// What shapes the links: `"netem"`, `"user-space (TUN)"` or `"none"`.
    pub fn shaper(&self) -> &'static str {
        self.shaper
    }

    fn record(&mut self, m: Made) {
        made(m.clone());
        self.made.push(m);
    }

    /// Node `i`'s address.
    pub fn ip(&self, i: usize) -> IpAddr {
        self.ips[i]
    }

    /// Every node's address, in node order.
    pub fn ips(&self) -> &[IpAddr] {
        &self.ips
    }

    /// Node `i`'s namespace name (for `ip netns exec`).
    pub fn name(&self, i: usize) -> &str {
        &self.names[i]
    }
}

impl Drop for NetNs {
    fn drop(&mut self) {
        MADE.lock().unwrap_or_else(PoisonError::into_inner).retain(|m| !self.made.contains(m));
        // Veth pairs are deleted by their host end (a namespace's deletion
        // frees them only later), then namespaces, then the bridge.
        self.made.iter().rev().for_each(remove);
    }
}
