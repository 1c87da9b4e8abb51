//! The oracle's time per slot on generated federations of 20, 100 and 1 000
//! nodes (random geometric, 3 nearest, components joined), capacity and
//! serverless models, solving by the unit greedy and by flow stages, side by
//! side. Each iteration plans one slot (`Oracle::decide_all`); the simulator
//! then steps outside the timing, so successive iterations plan new slots.
//! The greedy at 1 000 serverless nodes runs only with `DFAAS_BENCH_SLOW=1`.
//! Before each flow benchmark, its certified gap over 20 slots is printed.
//!
//! `cargo bench -p dfaas-env --bench oracle_scale`

use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use dfaas_env::reference::Oracle;
use dfaas_env::reference::oracle::Method;
use dfaas_env::{Decision, Scenario, Simulator};

fn scenario(model: &str, nodes: usize) -> Scenario {
    let (model, rate) = match model {
        "capacity" => ("kind = \"capacity\"\ncapacity_rps = { uniform = [5.0, 40.0], seed = 2 }", "[0.0, 40.0]"),
        _ => (
            "kind = \"serverless\"\nwarm_service_s = 0.1\ncold_service_s = 0.4\nidle_timeout_s = 5.0\nmax_concurrency = 6",
            "[10.0, 80.0]",
        ),
    };
    let text = format!(
        "name = \"bench\"\n[episode]\nmax_steps = 400\nslot_seconds = 1.0\n[topology]\n\
         generator = {{ kind = \"geometric\", nodes = {nodes}, k = 3, seed = 1, join = true }}\n\
         [model]\n{model}\n[workload]\nkind = \"normal\"\nmean_rps = {{ uniform = {rate}, seed = 3 }}\n\
         std_rps = 8.0\nmin_rps = 0.0\nmax_rps = 120.0\n"
    );
    Scenario::from_toml_str(&text, Path::new("bench.toml")).expect("bench scenario")
}

fn bench(c: &mut Criterion) {
    let slow = std::env::var("DFAAS_BENCH_SLOW").is_ok_and(|v| v == "1");
    let mut group = c.benchmark_group("oracle_slot");
    for model in ["capacity", "serverless"] {
        for nodes in [20, 100, 1000] {
            let s = scenario(model, nodes);
            for method in [Method::Greedy, Method::Flow] {
                if method == Method::Greedy && model == "serverless" && nodes == 1000 && !slow {
                    continue;
                }
                let mut sim = Simulator::new(&s).unwrap();
                let mut oracle = Oracle::new(&sim).unwrap().with_method(method);
                let local: Vec<Decision> = (0..nodes).map(|i| Decision::all_local(sim.topology().degree(i))).collect();
                sim.reset_episode(Some(7));
                // Warm the serverless model's memo.
                oracle.decide_all(&mut sim);
                if method == Method::Flow {
                    // The certified gap over 20 slots, beside the timing.
                    let (mut gap, mut input) = (0.0, 0u64);
                    for _ in 0..20 {
                        let t = sim.slot();
                        input += sim.inputs().iter().map(|v| u64::from(v[t])).sum::<u64>();
                        oracle.decide_all(&mut sim);
                        gap += oracle.last_gap();
                        sim.advance(&local).unwrap();
                    }
                    eprintln!(
                        "{model}-{nodes}: certified gap {:.2} requests per slot ({:.4} % of the input)",
                        gap / 20.0,
                        100.0 * gap / input as f64
                    );
                }
                let id = BenchmarkId::new(format!("{model}-{nodes}"), format!("{method:?}").to_lowercase());
                group.bench_function(id, |b| {
                    b.iter_custom(|iters| {
                        let mut spent = Duration::ZERO;
                        for _ in 0..iters {
                            if sim.is_done() {
                                sim.reset_episode(Some(7));
                            }
                            let t0 = Instant::now();
                            std::hint::black_box(oracle.decide_all(&mut sim));
                            spent += t0.elapsed();
                            sim.advance(&local).unwrap();
                        }
                        spent
                    })
                });
            }
        }
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).measurement_time(Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
