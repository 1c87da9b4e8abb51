//! Simulator throughput in agent-steps per second: the queue and serverless
//! models at 2 and 5 agents, with a random policy and with all-local.
//! Each iteration plays one whole 288-slot episode (policy decisions
//! included); criterion reports elements (agent-steps) per second.
//!
//! `cargo bench -p dfaas-experiments --bench env_throughput`

use std::path::Path;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use dfaas_env::{Scenario, Simulator};
use dfaas_experiments::Contender;
use dfaas_experiments::runner::run_episode;

fn scenario(name: &str) -> Scenario {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios").join(format!("{name}.toml"));
    Scenario::load(&p).expect("shipped scenario")
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("env_throughput");
    for name in ["marl-paper-2", "marl-paper-5", "marl-master-2", "marl-master-5"] {
        let s = scenario(name);
        for policy in ["all-local", "random"] {
            let mut sim = Simulator::new(&s).unwrap();
            let contender = Contender::parse(policy).unwrap();
            let agent_steps = (sim.max_steps() * sim.topology().len()) as u64;
            // Warm the serverless model's memo once, as training would.
            run_episode::<std::io::Sink>(&mut sim, &contender, 1, 0, None).unwrap();
            group.throughput(Throughput::Elements(agent_steps));
            let mut seed = 0u64;
            group.bench_function(BenchmarkId::new(name, policy), |b| {
                b.iter(|| {
                    seed += 1;
                    run_episode::<std::io::Sink>(&mut sim, &contender, seed, 0, None).unwrap()
                })
            });
        }
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
