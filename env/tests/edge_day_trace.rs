//! The shipped edge-day trace is exactly what its documented, seeded model
//! generates (`cargo run -p dfaas-env --example edge_day` rewrites it), and
//! the trace-driven scenario reads it.

use std::path::Path;

use dfaas_env::workload::edge_day::{EdgeDay, FunctionDay};
use dfaas_env::{Scenario, Simulator};

#[test]
fn shipped_trace_is_the_models_output() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../experiments");
    let shipped = std::fs::read_to_string(root.join("traces/edge-day-5.csv")).unwrap();
    assert!(shipped == EdgeDay::default().to_csv(), "regenerate with `cargo run -p dfaas-env --example edge_day`");

    let s = Scenario::load(root.join("scenarios/trace-5.toml")).unwrap();
    let mut sim = Simulator::new(&s).unwrap();
    sim.reset_episode(Some(1));
    let first: Vec<u32> = sim.inputs().iter().map(|row| row[0]).collect();
    // The episode starts at some row of the trace: that row's five counts.
    let rows: Vec<Vec<u32>> =
        shipped.lines().skip(1).map(|l| l.split(',').skip(1).map(|c| c.parse().unwrap()).collect()).collect();
    assert!(rows.contains(&first), "{first:?} is a row of the trace");
}

/// The shipped per-function traces (five nodes, `image`, `text`, `batch`)
/// are exactly what `FunctionDay::default()` generates
/// (`cargo run -p dfaas-env --example function_day` rewrites them).
#[test]
fn shipped_function_traces_are_the_models_output() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../experiments");
    let shipped = std::fs::read_to_string(root.join("traces/functions-5x3.csv")).unwrap();
    assert!(
        shipped == FunctionDay::default().to_csv(),
        "regenerate with `cargo run -p dfaas-env --example function_day`"
    );
}
