//! Writes the per-function traces of the multi-function scenarios: five
//! nodes, three functions of different cost and daily shape (a heavy `image`
//! classifier in office hours, a light `text` function following users, a
//! nightly `batch` job), one row per minute of a day:
//! `cargo run -p dfaas-env --example function_day -- experiments/traces/functions-5x3.csv`
//! (default path that one; same parameters, same file; model in
//! `env/src/workload/edge_day.rs`, `FunctionDay`).

fn main() -> std::io::Result<()> {
    let path = std::env::args().nth(1).unwrap_or_else(|| "experiments/traces/functions-5x3.csv".into());
    let model = dfaas_env::workload::edge_day::FunctionDay::default();
    std::fs::write(&path, model.to_csv())?;
    let names: Vec<&str> = model.functions.iter().map(|(n, _)| n.as_str()).collect();
    println!("wrote {path}: functions {names:?}");
    Ok(())
}
