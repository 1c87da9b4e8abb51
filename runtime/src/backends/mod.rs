//! Function backends: what actually runs a request on this node.

pub mod openfaas;
pub mod process;
pub mod synthetic;

use bytes::Bytes;
use hyper::header::HeaderValue;
use hyper::{Method, StatusCode};

use crate::client::HttpClient;
use crate::config::BackendConfig;

/// One call of a function.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// HTTP method of the request.
    pub method: Method,
    /// Query string, without `?`.
    pub query: Option<String>,
    /// Request `Content-Type`, passed on where the backend can use it.
    pub content_type: Option<HeaderValue>,
    /// Request body.
    pub body: Bytes,
}

/// A function's answer.
#[derive(Debug, Clone)]
pub struct Output {
    /// Status to return (2xx for a success).
    pub status: StatusCode,
    /// Response `Content-Type`.
    pub content_type: Option<HeaderValue>,
    /// Response body.
    pub body: Bytes,
}

/// Why a call did not produce an answer.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// The function ran past its timeout (and was stopped).
    #[error("function timed out after {0} s")]
    Timeout(f64),
    /// The function failed (non-zero exit, unreachable gateway, ...): 502.
    #[error("function failed: {0}")]
    Failed(String),
    /// The platform has no instance to run it: a capacity reject (503).
    #[error("no instance available")]
    Saturated,
}

/// A configured backend.
#[derive(Debug)]
pub enum Backend {
    /// One process per request.
    Process(process::ProcessBackend),
    /// Proxy to OpenFaaS.
    OpenFaas(openfaas::OpenFaasBackend),
    /// Built-in warm/cold instance pool.
    Synthetic(synthetic::SyntheticBackend),
}

impl Backend {
    /// Builds the backend a function's config names; a synthetic function
    /// holds its `units` of the node's `budget` (if any) while it runs.
    pub fn new(
        cfg: &BackendConfig,
        client: &HttpClient,
        budget: Option<&std::sync::Arc<crate::budget::NodeBudget>>,
    ) -> Backend {
        match cfg {
            BackendConfig::Process { command, args, timeout_s, env } => Backend::Process(
                process::ProcessBackend::new(command.clone(), args.clone(), *timeout_s).with_env(env.clone()),
            ),
            BackendConfig::OpenFaas { url, timeout_s } => {
                Backend::OpenFaas(openfaas::OpenFaasBackend::new(url.clone(), *timeout_s, client.clone()))
            }
            BackendConfig::Synthetic { warm_s, cold_s, idle_s, max_instances, cpu_work_us, service, seed, units } => {
                let b = synthetic::SyntheticBackend::new(
                    *warm_s,
                    *cold_s,
                    *idle_s,
                    *max_instances,
                    cpu_work_us.unwrap_or(0),
                )
                .with_service_times(*service, *seed);
                Backend::Synthetic(match budget {
                    Some(budget) => b.with_budget(std::sync::Arc::clone(budget), units.unwrap_or(1)),
                    None => b,
                })
            }
        }
    }

    /// Runs one call.
    pub async fn invoke(&self, inv: Invocation) -> Result<Output, BackendError> {
        match self {
            Backend::Process(b) => b.invoke(inv).await,
            Backend::OpenFaas(b) => b.invoke(inv).await,
            Backend::Synthetic(b) => b.invoke(inv).await,
        }
    }

    /// Whether the backend looks able to serve (command found, gateway
    /// reachable at the last call, instances available).
    pub fn healthy(&self) -> bool {
        match self {
            Backend::Process(b) => b.healthy(),
            Backend::OpenFaas(b) => b.healthy(),
            Backend::Synthetic(b) => b.healthy(),
        }
    }
}

/// `Content-Type: text/plain; charset=utf-8`.
pub fn text_plain() -> HeaderValue {
    HeaderValue::from_static("text/plain; charset=utf-8")
}
