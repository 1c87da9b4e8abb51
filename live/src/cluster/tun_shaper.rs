//! A user-space link shaper for `--netns` on kernels without netem: each
//! namespace's `eth0` is a TUN device whose packets this process reads, holds
//! for the sender's serialisation time at the link rate plus the link delay
//! (netem's `delay D rate R` on the sender's egress), and writes to the TUN
//! of the packet's destination (another namespace, or the root namespace's
//! `10.213.255.254`, where the load generator stays; the root's own egress
//! is not shaped, as with netem on the namespaces' veths).
//!
//! IPv4 only; other packets are dropped. At most [`QUEUE_LIMIT`] packets wait
//! per sender (netem's default limit); beyond it packets are dropped, as a
//! full netem queue drops them.

use std::collections::{BinaryHeap, HashMap};
use std::net::Ipv4Addr;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};

use super::netns::Shaping;

/// Packets one sender may have waiting (netem's default `limit`).
pub const QUEUE_LIMIT: usize = 1000;

const TUNSETIFF: libc::c_ulong = 0x4004_54ca;
const IFF_TUN: libc::c_short = 0x0001;
const IFF_NO_PI: libc::c_short = 0x1000;

#[repr(C)]
struct IfReq {
    name: [libc::c_char; libc::IFNAMSIZ],
    flags: libc::c_short,
    _pad: [u8; 22],
}

/// Opens a new TUN device `name` (no packet information header); the device
/// exists while the descriptor is open.
pub fn open_tun(name: &str) -> Result<OwnedFd> {
    if name.len() >= libc::IFNAMSIZ || name.is_empty() {
        bail!("TUN device name {name:?} must be 1 to {} bytes", libc::IFNAMSIZ - 1);
    }
    // SAFETY: the path is a valid NUL-terminated string; open has no other preconditions.
    let fd = unsafe { libc::open(c"/dev/net/tun".as_ptr(), libc::O_RDWR | libc::O_CLOEXEC | libc::O_NONBLOCK) };
    if fd < 0 {
        bail!("opening /dev/net/tun: {}", std::io::Error::last_os_error());
    }
    // SAFETY: `fd` was just returned by open and is owned by nothing else.
    let owned = unsafe { OwnedFd::from_raw_fd(fd) };
    let mut req = IfReq { name: [0; libc::IFNAMSIZ], flags: IFF_TUN | IFF_NO_PI, _pad: [0; 22] };
    for (d, s) in req.name.iter_mut().zip(name.bytes()) {
        *d = s as libc::c_char;
    }
    // SAFETY: TUNSETIFF reads and writes one `struct ifreq`, which `IfReq` lays out (40 bytes).
    let rc = unsafe { libc::ioctl(owned.as_raw_fd(), TUNSETIFF as _, &mut req as *mut IfReq) };
    if rc < 0 {
        bail!("creating TUN device {name}: {}", std::io::Error::last_os_error());
    }
    Ok(owned)
}

/// One TUN device on the shaper's switch.
pub struct Port {
    pub fd: OwnedFd,
    /// The address behind it (packets to it are written to this device).
    pub addr: Ipv4Addr,
    /// What packets read from it pay (`None`: nothing).
    pub egress: Option<Shaping>,
}

/// A packet due at `at` on port `to`.
struct Due {
    at: Instant,
    seq: u64,
    to: usize,
    from: usize,
    bytes: Vec<u8>,
}

impl PartialEq for Due {
    fn eq(&self, o: &Self) -> bool {
        (self.at, self.seq) == (o.at, o.seq)
    }
}
impl Eq for Due {}
impl PartialOrd for Due {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Due {
    /// Earliest first in a max-heap.
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (o.at, o.seq).cmp(&(self.at, self.seq))
    }
}

/// What the threads share.
struct Shared {
    ports: Vec<Port>,
    by_addr: HashMap<Ipv4Addr, usize>,
    queue: Mutex<Queue>,
    ready: Condvar,
    stop: AtomicBool,
}

#[derive(Default)]
struct Queue {
    heap: BinaryHeap<Due>,
    seq: u64,
    /// Per port: when its link is free again, and its packets waiting.
    link_free: Vec<Option<Instant>>,
    waiting: Vec<usize>,
    dropped: u64,
}

/// The running shaper; stopped (threads joined, devices closed) on drop.
pub struct TunShaper {
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

impl TunShaper {
    /// Starts one reader thread per port and one writer.
    pub fn start(ports: Vec<Port>) -> Result<Self> {
        let by_addr = ports.iter().enumerate().map(|(i, p)| (p.addr, i)).collect();
        let n = ports.len();
        let queue = Queue { link_free: vec![None; n], waiting: vec![0; n], ..Default::default() };
        let shared = Arc::new(Shared {
            ports,
            by_addr,
            queue: Mutex::new(queue),
            ready: Condvar::new(),
            stop: AtomicBool::new(false),
        });
        let mut threads = Vec::new();
        for i in 0..n {
            let s = Arc::clone(&shared);
            threads.push(std::thread::Builder::new().name(format!("tun-read-{i}")).spawn(move || read_loop(&s, i))?);
        }
        let s = Arc::clone(&shared);
        threads.push(std::thread::Builder::new().name("tun-write".into()).spawn(move || write_loop(&s))?);
        Ok(TunShaper { shared, threads })
    }

    /// Packets dropped so far (queue full, unknown destination, not IPv4).
    pub fn dropped(&self) -> u64 {
        self.shared.queue.lock().unwrap_or_else(PoisonError::into_inner).dropped
    }
}

impl Drop for TunShaper {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.shared.ready.notify_all();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// Waits up to 50 ms for `fd` to be readable.
fn readable(fd: i32) -> bool {
    let mut p = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
    // SAFETY: one valid pollfd.
    unsafe { libc::poll(&mut p, 1, 50) > 0 && p.revents & libc::POLLIN != 0 }
}

fn read_loop(s: &Shared, me: usize) {
    let fd = s.ports[me].fd.as_raw_fd();
    let mut buf = vec![0u8; 65_536];
    while !s.stop.load(Ordering::SeqCst) {
        if !readable(fd) {
            continue;
        }
        // SAFETY: `buf` is valid for its length; `fd` stays open while `s` lives.
        let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        if n <= 0 {
            continue;
        }
        let pkt = &buf[..n as usize];
        let mut q = s.queue.lock().unwrap_or_else(PoisonError::into_inner);
        let to = (pkt.len() >= 20 && pkt[0] >> 4 == 4)
            .then(|| Ipv4Addr::new(pkt[16], pkt[17], pkt[18], pkt[19]))
            .and_then(|a| s.by_addr.get(&a).copied());
        let Some(to) = to.filter(|_| q.waiting[me] < QUEUE_LIMIT) else {
            q.dropped += 1;
            continue;
        };
        let now = Instant::now();
        let at = match s.ports[me].egress {
            None => now,
            Some(sh) => {
                // Serialisation at the link rate after the packets before it, then the delay.
                let start = q.link_free[me].map_or(now, |f| f.max(now));
                let done = start + Duration::from_secs_f64(pkt.len() as f64 * 8.0 / (sh.mbps * 1e6));
                q.link_free[me] = Some(done);
                done + Duration::from_secs_f64(sh.delay_s)
            }
        };
        q.seq += 1;
        let seq = q.seq;
        q.waiting[me] += 1;
        q.heap.push(Due { at, seq, to, from: me, bytes: pkt.to_vec() });
        drop(q);
        s.ready.notify_one();
    }
}

fn write_loop(s: &Shared) {
    let mut q = s.queue.lock().unwrap_or_else(PoisonError::into_inner);
    loop {
        if s.stop.load(Ordering::SeqCst) {
            return;
        }
        let now = Instant::now();
        match q.heap.peek().map(|d| d.at) {
            Some(at) if at <= now => {
                let d = q.heap.pop().expect("peeked");
                q.waiting[d.from] -= 1;
                drop(q);
                let fd = s.ports[d.to].fd.as_raw_fd();
                // SAFETY: `bytes` is valid for its length; `fd` stays open while `s` lives.
                // A full device queue drops the packet, as a full link would.
                let _ = unsafe { libc::write(fd, d.bytes.as_ptr().cast(), d.bytes.len()) };
                q = s.queue.lock().unwrap_or_else(PoisonError::into_inner);
            }
            Some(at) => q = s.ready.wait_timeout(q, at - now).unwrap_or_else(PoisonError::into_inner).0,
            None => q = s.ready.wait_timeout(q, Duration::from_millis(50)).unwrap_or_else(PoisonError::into_inner).0,
        }
    }
}
