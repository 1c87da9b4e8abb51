//! Writes the synthetic edge-day trace the trace-driven scenario plays:
//! `cargo run -p dfaas-env --example edge_day -- experiments/traces/edge-day-5.csv`
//! (default path that one; same parameters, same file).

fn main() -> std::io::Result<()> {
    let path = std::env::args().nth(1).unwrap_or_else(|| "experiments/traces/edge-day-5.csv".into());
    let model = dfaas_env::workload::edge_day::EdgeDay::default();
    std::fs::write(&path, model.to_csv())?;
    println!("wrote {path}: {} rows × {} nodes (seed {})", model.rows, model.peak.len(), model.seed);
    Ok(())
}
