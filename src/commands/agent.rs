//! `dfaas agent --config F`: one live node.
//!
//! An agent config (it names its runtime's node config: `runtime = "node.toml"`)
//! runs the whole node: gateway, libp2p overlay, slot loop with its policy, and
//! the control API. A runtime node config alone runs just the gateway with the
//! weights of the file (changeable through `PUT /control/weights/<function>`).

use std::path::PathBuf;

use anyhow::{Context, Result};

#[derive(clap::Args)]
pub struct Args {
    /// Agent configuration (TOML), or a runtime node configuration for the gateway alone.
    #[arg(long)]
    config: PathBuf,
}

/// Log lines on stderr: warnings and slot-loop/overlay events of our crates
/// (`info`), quieter libraries; `RUST_LOG` overrides (e.g. `RUST_LOG=debug`).
pub(crate) fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,dfaas_agent=info,dfaas_runtime=info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(false).try_init();
}

/// Waits for SIGINT or SIGTERM: both stop the node the same way, draining
/// the requests in flight (an orchestrator's SIGTERM loses none).
pub(crate) async fn stop_signal() -> Result<&'static str> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
        let mut int = signal(SignalKind::interrupt()).context("listening for SIGINT")?;
        tokio::select! {
            _ = term.recv() => Ok("SIGTERM"),
            _ = int.recv() => Ok("SIGINT"),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")?;
        Ok("Ctrl-C")
    }
}

pub fn run(a: Args) -> Result<()> {
    init_logging();
    let text = std::fs::read_to_string(&a.config).with_context(|| format!("{}: cannot read", a.config.display()))?;
    let is_agent = toml::from_str::<toml::Table>(&text).map(|t| t.contains_key("runtime")).unwrap_or(false);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the async runtime")?;
    if is_agent {
        let config = dfaas_agent::AgentConfig::load(&a.config)?;
        let token_file = config.runtime.control_token_path();
        rt.block_on(async move {
            let node = dfaas_agent::run_agent(config).await?;
            eprintln!(
                "dfaas agent: gateway on http://{}, control API on http://{} (bearer token in {})",
                node.runtime_addr(),
                node.control_addr(),
                token_file.display()
            );
            let sig = stop_signal().await?;
            eprintln!("{sig}: shutting down, in-flight requests first");
            node.shutdown().await;
            Ok(())
        })
    } else {
        let config = dfaas_runtime::NodeConfig::load(&a.config)?;
        rt.block_on(async move {
            let node = dfaas_runtime::serve(config).await?;
            eprintln!(
                "dfaas agent {} (gateway only): http://{} (functions: {}; peers: {})",
                node.node_id(),
                node.local_addr(),
                node.function_names().join(", "),
                node.peer_ids().join(", ")
            );
            let sig = stop_signal().await?;
            eprintln!("{sig}: shutting down, in-flight requests first");
            node.shutdown().await;
            Ok(())
        })
    }
}
