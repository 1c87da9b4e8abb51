//! The HTTP/1.1 accept loop of both servers of a node (the gateway and the
//! agent's control API), hardened against clients that hold connections:
//!
//! * at most `max_connections` open at once (also kept below the process's
//!   descriptor limit); at the cap the least recently active *idle*
//!   connection (no request in progress: a keep-alive connection, one still
//!   trickling its headers, one whose client reads its answer slowly) is
//!   closed to make room, and when every connection is busy the new one is
//!   closed at once;
//! * a header-read timeout (hyper's: also ends idle keep-alive connections),
//!   a write timeout (no progress writing an answer for `write` closes the
//!   connection) and a read timeout (no byte for `idle` closes it);
//! * a graceful stop: for `drain_notice` the server goes on accepting while
//!   the handler answers new requests 503 with `Connection: close` (so a
//!   peer's pooled connection is told, never cut under a request), then it
//!   stops accepting and lets the requests in progress finish within `grace`.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tokio_io_timeout::TimeoutStream;

/// Descriptors kept free for everything else a node opens (forwards,
/// function processes, files) when the connection cap is derived from the
/// process's limit.
pub const FD_RESERVE: u64 = 128;

/// Limits of one server.
#[derive(Debug, Clone)]
pub struct ServeLimits {
    /// Open connections at most (lowered to the descriptor limit less
    /// `reserve_fds`, see [`effective_cap`]).
    pub max_connections: usize,
    /// Descriptors to keep free besides [`FD_RESERVE`].
    pub reserve_fds: u64,
    /// Whole request headers must arrive within this.
    pub header_read: Duration,
    /// Writing an answer may make no progress for at most this long.
    pub write: Duration,
    /// A connection may send nothing for at most this long.
    pub idle: Duration,
    /// How long a stopping server keeps telling clients it is closing.
    pub drain_notice: Duration,
    /// How long requests in progress may go on after that.
    pub grace: Duration,
}

/// What the connection guard did, for `/metrics`.
#[derive(Debug, Default)]
pub struct ConnStats {
    /// Connections open now.
    pub open: AtomicUsize,
    /// Connections accepted so far.
    pub accepted: AtomicU64,
    /// Idle connections closed to make room for a new one.
    pub evicted: AtomicU64,
    /// New connections closed because every open one was busy.
    pub refused: AtomicU64,
    /// The cap in force (after the descriptor limit).
    pub cap: AtomicUsize,
}

/// One open connection, as the guard sees it.
#[derive(Debug)]
struct Conn {
    /// Requests being handled on it now.
    busy: AtomicU32,
    /// When a request last started or ended on it (ms since the server started).
    last_active_ms: AtomicU64,
    close: Notify,
}

/// Open connections by id.
struct Registry {
    conns: Mutex<HashMap<u64, Arc<Conn>>>,
    epoch: Instant,
    stats: Arc<ConnStats>,
}

impl Registry {
    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<Conn>>> {
        self.conns.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Makes room for one more connection under `cap`: `false` when every
    /// open connection is busy.
    fn make_room(&self, cap: usize) -> bool {
        let mut conns = self.lock();
        if conns.len() < cap {
            return true;
        }
        let victim = conns
            .iter()
            .filter(|(_, c)| c.busy.load(Ordering::Acquire) == 0)
            .min_by_key(|(_, c)| c.last_active_ms.load(Ordering::Relaxed))
            .map(|(id, _)| *id);
        match victim.and_then(|id| conns.remove(&id)) {
            Some(c) => {
                c.close.notify_one();
                self.stats.evicted.fetch_add(1, Ordering::Relaxed);
                self.stats.open.store(conns.len(), Ordering::Relaxed);
                true
            }
            None => false,
        }
    }

    fn add(&self, id: u64) -> Arc<Conn> {
        let c = Arc::new(Conn {
            busy: AtomicU32::new(0),
            last_active_ms: AtomicU64::new(self.now_ms()),
            close: Notify::new(),
        });
        let mut conns = self.lock();
        conns.insert(id, Arc::clone(&c));
        self.stats.open.store(conns.len(), Ordering::Relaxed);
        c
    }

    fn remove(&self, id: u64) {
        let mut conns = self.lock();
        conns.remove(&id);
        self.stats.open.store(conns.len(), Ordering::Relaxed);
    }
}

/// Marks a connection busy while a request is handled (also when the
/// handler's future is dropped).
struct Busy {
    conn: Arc<Conn>,
    registry: Arc<Registry>,
}

impl Busy {
    fn new(conn: Arc<Conn>, registry: Arc<Registry>) -> Busy {
        conn.busy.fetch_add(1, Ordering::AcqRel);
        conn.last_active_ms.store(registry.now_ms(), Ordering::Relaxed);
        Busy { conn, registry }
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.conn.last_active_ms.store(self.registry.now_ms(), Ordering::Relaxed);
        self.conn.busy.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The cap in force: `max_connections`, lowered so that open connections
/// plus `reserve` descriptors stay within the process's soft limit.
pub fn effective_cap(max_connections: usize, reserve: u64) -> usize {
    match soft_fd_limit() {
        Some(limit) => max_connections.min(limit.saturating_sub(reserve).max(16) as usize),
        None => max_connections,
    }
}

#[cfg(unix)]
fn soft_fd_limit() -> Option<u64> {
    let mut r = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit writes into the struct we own and reads nothing else.
    let ok = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut r) } == 0;
    (ok && r.rlim_cur != libc::RLIM_INFINITY).then_some(r.rlim_cur)
}

#[cfg(not(unix))]
fn soft_fd_limit() -> Option<u64> {
    None
}

/// Serves `listener` until `stopped` turns true, then drains (see the module
/// docs). `on_stop` is called once when the stop begins: the handler should
/// answer new requests 503 with `Connection: close` from then on.
pub async fn serve<H, F>(
    listener: TcpListener,
    limits: ServeLimits,
    stats: Arc<ConnStats>,
    mut stopped: watch::Receiver<bool>,
    on_stop: impl FnOnce(),
    handler: H,
) where
    H: Fn(Request<Incoming>, SocketAddr) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Response<Full<Bytes>>> + Send + 'static,
{
    let cap = effective_cap(limits.max_connections, FD_RESERVE + limits.reserve_fds);
    if cap < limits.max_connections {
        tracing::warn!(
            max_connections = limits.max_connections,
            cap,
            "the descriptor limit (ulimit -n) lowers the connection cap"
        );
    }
    stats.cap.store(cap, Ordering::Relaxed);
    let registry = Arc::new(Registry { conns: Mutex::new(HashMap::new()), epoch: Instant::now(), stats });
    let mut builder = http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(limits.header_read).keep_alive(true);
    let mut conns = Connections { registry, graceful: GracefulShutdown::new(), builder, limits, cap, next_id: 0 };
    let mut notice: Option<tokio::time::Instant> = None;
    let mut on_stop = Some(on_stop);
    loop {
        let until_notice_ends = async {
            match notice {
                Some(t) => tokio::time::sleep_until(t).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, remote)) => conns.serve(stream, remote, &handler),
                // Out of descriptors or a connection reset before accept: pause briefly.
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            },
            _ = stopped.changed(), if notice.is_none() => {
                if let Some(f) = on_stop.take() {
                    f();
                }
                notice = Some(tokio::time::Instant::now() + conns.limits.drain_notice);
            }
            _ = until_notice_ends => break,
        }
        if notice.is_some() && conns.registry.lock().is_empty() {
            break;
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(conns.limits.grace, conns.graceful.shutdown()).await;
}

/// The accepted connections of one server: each served on its own task,
/// registered so it can be evicted to make room and drained on shutdown.
struct Connections {
    registry: Arc<Registry>,
    graceful: GracefulShutdown,
    builder: http1::Builder,
    limits: ServeLimits,
    cap: usize,
    next_id: u64,
}

impl Connections {
    /// Serves `stream` with `handler` on its own task, or closes it when no
    /// room can be made under the cap.
    fn serve<H, F>(&mut self, stream: tokio::net::TcpStream, remote: SocketAddr, handler: &H)
    where
        H: Fn(Request<Incoming>, SocketAddr) -> F + Clone + Send + Sync + 'static,
        F: Future<Output = Response<Full<Bytes>>> + Send + 'static,
    {
        let registry = &self.registry;
        if !registry.make_room(self.cap) {
            registry.stats.refused.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let _ = stream.set_nodelay(true);
        registry.stats.accepted.fetch_add(1, Ordering::Relaxed);
        self.next_id += 1;
        let id = self.next_id;
        let conn = registry.add(id);
        let mut io = TimeoutStream::new(stream);
        io.set_write_timeout(Some(self.limits.write));
        io.set_read_timeout(Some(self.limits.idle));
        let (reg, c, h) = (Arc::clone(registry), Arc::clone(&conn), handler.clone());
        let service = service_fn(move |req| {
            let busy = Busy::new(Arc::clone(&c), Arc::clone(&reg));
            let h = h.clone();
            async move {
                let resp = h(req, remote).await;
                drop(busy);
                Ok::<_, Infallible>(resp)
            }
        });
        let served = self.graceful.watch(self.builder.serve_connection(TokioIo::new(Box::pin(io)), service));
        let registry = Arc::clone(registry);
        tokio::spawn(async move {
            tokio::select! {
                _ = served => {}
                // Evicted to make room: dropping the connection closes it.
                _ = conn.close.notified() => {}
            }
            registry.remove(id);
        });
    }
}

/// A server running [`serve`] on its own task: its address, and a stop that
/// drains (the control API and `serve-policy` are such servers).
pub struct Running {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    /// Serves `listener` with `handler` under `limits` until [`shutdown`](Self::shutdown).
    pub fn spawn<H, F>(listener: TcpListener, limits: ServeLimits, handler: H) -> std::io::Result<Self>
    where
        H: Fn(Request<Incoming>, SocketAddr) -> F + Clone + Send + Sync + 'static,
        F: Future<Output = Response<Full<Bytes>>> + Send + 'static,
    {
        let addr = listener.local_addr()?;
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(serve(listener, limits, Arc::default(), stopped, || {}, handler));
        Ok(Self { addr, stop, task })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, lets the requests in progress finish, and waits.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_stays_below_the_descriptor_limit() {
        let limit = soft_fd_limit().unwrap_or(u64::MAX);
        let cap = effective_cap(usize::MAX, 128);
        assert!(cap as u64 <= limit.saturating_sub(128).max(16), "cap {cap}, limit {limit}");
        assert_eq!(effective_cap(10, 0), 10.min(limit as usize));
    }
}
