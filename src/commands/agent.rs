//! `dfaas agent`: one live node. For now the data plane alone (gateway with
//! the static weights of the node's config file, changeable through
//! `PUT /control/weights/<function>`); the control plane arrives with issue 5.

use std::path::PathBuf;

use anyhow::{Context, Result};
use dfaas_runtime::{NodeConfig, serve};

#[derive(clap::Args)]
pub struct Args {
    /// Node configuration file (TOML).
    #[arg(long)]
    config: PathBuf,
}

pub fn run(a: Args) -> Result<()> {
    let config = NodeConfig::load(&a.config)?;
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the async runtime")?;
    rt.block_on(async move {
        let node = serve(config).await?;
        eprintln!(
            "dfaas agent {}: gateway on http://{} (functions: {}; peers: {})",
            node.node_id(),
            node.local_addr(),
            node.function_names().join(", "),
            node.peer_ids().join(", ")
        );
        tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")?;
        eprintln!("shutting down");
        node.shutdown().await;
        Ok::<(), anyhow::Error>(())
    })
}
