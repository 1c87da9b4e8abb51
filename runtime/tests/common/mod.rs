//! Helpers for integration tests: gateways on 127.0.0.1 port 0 and a client.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use dfaas_runtime::client::HttpClient;
use dfaas_runtime::{GatewayHandle, NodeConfig, NodeKey, serve_on};
use http_body_util::{BodyExt, Full};
use hyper::{HeaderMap, Method, Request, StatusCode};
use tokio::net::TcpListener;

/// One planned node: id, extra TOML (functions etc.) and member list.
pub struct Plan {
    pub id: String,
    /// TOML appended after the generated header (functions, timeouts...).
    pub body: String,
    /// Ids of the members this node lists, in order.
    pub peers: Vec<String>,
}

/// Nodes started together, with their keys in a temporary folder.
pub struct Cluster {
    pub dir: tempfile::TempDir,
    pub nodes: Vec<Option<GatewayHandle>>,
    pub addrs: Vec<SocketAddr>,
    pub keys: Vec<NodeKey>,
}

impl Cluster {
    /// Binds every node, writes configs knowing every address, and serves.
    pub async fn start(plans: Vec<Plan>) -> Cluster {
        Cluster::start_with_addresses(plans, &[]).await
    }

    /// As [`Cluster::start`], but members named in `replaced` are listed at
    /// the given address instead of their node's (a fake or hung peer).
    pub async fn start_with_addresses(plans: Vec<Plan>, replaced: &[(&str, SocketAddr)]) -> Cluster {
        Cluster::start_full_at(plans, replaced, &[]).await
    }

    /// As [`Cluster::start`], node `i` on port `ports[i]` (0: any).
    pub async fn start_on(plans: Vec<Plan>, ports: &[u16]) -> Cluster {
        Cluster::start_full_at(plans, &[], ports).await
    }

    pub async fn start_full_at(plans: Vec<Plan>, replaced: &[(&str, SocketAddr)], ports: &[u16]) -> Cluster {
        let dir = tempfile::tempdir().unwrap();
        let mut listeners = Vec::new();
        let mut addrs = Vec::new();
        let mut keys = Vec::new();
        for (i, p) in plans.iter().enumerate() {
            let l = TcpListener::bind(("127.0.0.1", ports.get(i).copied().unwrap_or(0))).await.unwrap();
            addrs.push(l.local_addr().unwrap());
            listeners.push(l);
            keys.push(NodeKey::load_or_generate(dir.path().join(format!("{}.key", p.id))).unwrap());
        }
        let mut nodes = Vec::new();
        for (i, (p, l)) in plans.iter().zip(listeners).enumerate() {
            let mut text = format!("node_id = \"{}\"\nlisten = \"{}\"\nkey_file = \"{}.key\"\n", p.id, addrs[i], p.id);
            text.push_str(&p.body);
            for peer in &p.peers {
                let j = plans.iter().position(|q| &q.id == peer).unwrap();
                text.push_str(&format!(
                    "\n[[members]]\nid = \"{peer}\"\npublic_key = \"{}\"\naddress = \"{}\"\n",
                    keys[j].public_b64(),
                    replaced.iter().find(|(id, _)| id == peer).map_or(addrs[j], |(_, a)| *a)
                ));
            }
            let cfg = NodeConfig::from_toml_str(&text, dir.path().join(format!("{}.toml", p.id)))
                .unwrap_or_else(|e| panic!("config of {}: {e}\n{text}", p.id));
            nodes.push(Some(serve_on(cfg, l).await.unwrap()));
        }
        Cluster { dir, nodes, addrs, keys }
    }

    /// The `Authorization` header of node `i`'s control endpoint.
    pub fn auth(&self, i: usize) -> Vec<(&'static str, String)> {
        vec![("authorization", format!("Bearer {}", self.node(i).control_token()))]
    }

    pub fn node(&self, i: usize) -> &GatewayHandle {
        self.nodes[i].as_ref().unwrap()
    }

    pub async fn shutdown(mut self) {
        for n in self.nodes.iter_mut() {
            if let Some(n) = n.take() {
                n.shutdown().await;
            }
        }
    }
}

/// A synthetic function with no service time.
pub fn instant_fn(name: &str, conc: u32, queue: u32, weights: &str) -> String {
    format!(
        "\n[[functions]]\nname = \"{name}\"\nbackend = {{ kind = \"synthetic\", warm_s = 0.0, cold_s = 0.0, idle_s = 60.0, max_instances = {conc} }}\nadmission = {{ max_concurrency = {conc}, queue = {queue} }}\nweights = {weights}\n"
    )
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

pub fn client() -> HttpClient {
    dfaas_runtime::client::build(Duration::from_secs(2))
}

/// One request with a 20 s timeout; `Err` if no answer came.
pub async fn call(
    client: &HttpClient,
    addr: SocketAddr,
    method: Method,
    path: &str,
    body: impl Into<Bytes>,
    headers: &[(&str, String)],
) -> Result<Answer, String> {
    let mut req = Request::builder().method(method).uri(format!("http://{addr}{path}"));
    for (n, v) in headers {
        req = req.header(*n, v.as_str());
    }
    let req = req.body(Full::new(body.into())).map_err(|e| e.to_string())?;
    let fut = async {
        let resp = client.request(req).await.map_err(|e| format!("{e:?}"))?;
        let (parts, body) = resp.into_parts();
        let body = body.collect().await.map_err(|e| e.to_string())?.to_bytes();
        Ok(Answer { status: parts.status, headers: parts.headers, body })
    };
    tokio::time::timeout(Duration::from_secs(20), fut).await.map_err(|_| "no answer in 20 s".to_string())?
}

pub async fn get(client: &HttpClient, addr: SocketAddr, path: &str) -> Answer {
    call(client, addr, Method::GET, path, Bytes::new(), &[]).await.unwrap()
}

/// Runs `n` POSTs to `path` with `conc` in flight; calls `between(i)` when
/// request `i` is about to start (from a single task, in order). Returns
/// every answer (or the error for an unanswered one), in completion order.
pub async fn load<F>(
    client: &HttpClient,
    addr: SocketAddr,
    path: &str,
    n: usize,
    conc: usize,
    mut between: F,
) -> Vec<Result<Answer, String>>
where
    F: FnMut(usize),
{
    let sem = std::sync::Arc::new(tokio::sync::Semaphore::new(conc));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..n {
        let permit = sem.clone().acquire_owned().await.unwrap();
        between(i);
        let client = client.clone();
        let path = path.to_string();
        tasks.spawn(async move {
            let r = call(&client, addr, Method::POST, &path, Bytes::from_static(b"x"), &[]).await;
            drop(permit);
            r
        });
    }
    let mut out = Vec::with_capacity(n);
    while let Some(r) = tasks.join_next().await {
        out.push(r.unwrap_or_else(|e| Err(e.to_string())));
    }
    out
}
