//! The pooled HTTP/1 client used for forwards and OpenFaaS calls.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};

/// Pooled keep-alive client with request bodies in memory.
pub type HttpClient = Client<HttpConnector, Full<Bytes>>;

/// Largest response body accepted from a peer or an OpenFaaS gateway.
pub const MAX_RESPONSE_BYTES: u64 = 64 << 20;

/// How long a pooled connection may sit idle before the client drops it: well
/// under the peers' idle close (their `header_read_timeout`, 10 s by default),
/// so that the client never picks a connection the server is closing. With
/// 30 s, forwards after a burst hit closing connections and p99 at 500 req/s
/// grew to 40–100 ms on 2 cores (`scripts/bench_gateway.sh`).
pub const POOL_IDLE: Duration = Duration::from_secs(5);

/// A client with a connect timeout, TCP_NODELAY and an idle pool.
pub fn build(connect_timeout: Duration) -> HttpClient {
    let mut conn = HttpConnector::new();
    conn.set_connect_timeout(Some(connect_timeout));
    conn.set_nodelay(true);
    conn.enforce_http(true);
    Client::builder(TokioExecutor::new())
        .timer(TokioTimer::new())
        .pool_timer(TokioTimer::new())
        .pool_idle_timeout(POOL_IDLE)
        .pool_max_idle_per_host(256)
        .build(conn)
}
