//! The accept loop, [`serve`] and the [`GatewayHandle`].

use std::net::SocketAddr;
use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::{ConfigError, NodeConfig};
use crate::gateway::Gateway;
use crate::keys::{KeyError, NodeKey};
use crate::serve::ServeLimits;

/// Why the gateway could not start.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// The config is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The key file cannot be used.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The listen address cannot be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

/// A running gateway: its address, the shared [`Gateway`] (weights in,
/// slot outcomes out, through `Deref`) and [`GatewayHandle::shutdown`].
#[derive(Debug)]
pub struct GatewayHandle {
    gateway: Arc<Gateway>,
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Deref for GatewayHandle {
    type Target = Gateway;
    fn deref(&self) -> &Gateway {
        &self.gateway
    }
}

impl GatewayHandle {
    /// The bound address (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The shared gateway, for tasks that outlive a borrow of the handle.
    pub fn gateway(&self) -> Arc<Gateway> {
        Arc::clone(&self.gateway)
    }

    /// Stops accepting, lets requests under way finish (up to the request
    /// timeout), then closes every connection.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// Binds `config.listen` and serves. Loads (or creates) the key file.
pub async fn serve(config: NodeConfig) -> Result<GatewayHandle, RuntimeError> {
    let listener =
        TcpListener::bind(config.listen).await.map_err(|source| RuntimeError::Bind { addr: config.listen, source })?;
    serve_on(config, listener).await
}

/// Serves on a listener bound by the caller (tests bind port 0 first to
/// learn every node's address before writing configs).
pub async fn serve_on(config: NodeConfig, listener: TcpListener) -> Result<GatewayHandle, RuntimeError> {
    let key = NodeKey::load_or_generate(&config.key_file)?;
    let token_file = config.control_token_path();
    let control_token = crate::keys::load_or_generate_token(&token_file)?;
    // Secrets readable by others are reported, not refused (an operator may
    // rely on group access; the message says how to close it).
    for secret in [&config.key_file, &token_file] {
        if let Some(w) = crate::keys::exposure(secret) {
            tracing::warn!("{w}");
        }
    }
    let addr = listener.local_addr().map_err(|source| RuntimeError::Bind { addr: config.listen, source })?;
    let mut gateway = Gateway::new(&config, key)?;
    gateway.control_token = control_token;
    gateway.listen_port = addr.port();
    let gateway = Arc::new(gateway);
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(accept_loop(Arc::clone(&gateway), listener, stopped));
    Ok(GatewayHandle { gateway, addr, stop, task })
}

async fn accept_loop(gw: Arc<Gateway>, listener: TcpListener, stopped: watch::Receiver<bool>) {
    let limits = ServeLimits {
        max_connections: gw.max_connections,
        // Forwards to each peer hold descriptors too.
        reserve_fds: (gw.peers.len() * gw.forwarding_cap) as u64,
        header_read: gw.header_read_timeout,
        write: gw.write_timeout,
        // A request is answered within request_timeout; then the next one's
        // headers have header_read_timeout: longer silence is a dead client.
        idle: gw.request_timeout + gw.header_read_timeout,
        drain_notice: gw.drain_notice,
        grace: gw.request_timeout + Duration::from_secs(1),
    };
    let stats = Arc::clone(&gw.conn_stats);
    let stopping = Arc::clone(&gw);
    let handler = move |req, remote| {
        let gw = Arc::clone(&gw);
        async move { gw.handle(req, remote).await }
    };
    crate::serve::serve(
        listener,
        limits,
        stats,
        stopped,
        move || stopping.shutting_down.store(true, Ordering::Relaxed),
        handler,
    )
    .await;
}
