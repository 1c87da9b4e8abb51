//! Scenario-level tests: TOML parsing, defaults, loading and determinism of
//! every kind through [`WorkloadSpec::load`] and [`Workload::generate`].

use std::path::Path;

use super::*;
use crate::per_node::PerNode;
use crate::seeds::rng;

#[derive(serde::Deserialize)]
struct Wrapper {
    workload: WorkloadSpec,
}

fn parse(toml_text: &str) -> Result<WorkloadSpec, String> {
    toml::from_str::<Wrapper>(toml_text).map(|w| w.workload).map_err(|e| e.to_string())
}

fn load(spec: &WorkloadSpec, n: usize) -> Result<Workload, String> {
    spec.load(Path::new("."), Path::new("scenario.toml"), n).map_err(|e| e.to_string())
}

#[test]
fn defaults_reproduce_upstream() {
    assert_eq!(parse("[workload]\nkind = \"sinusoidal-paper\"").unwrap(), WorkloadSpec::sinusoidal_paper());
    assert_eq!(parse("[workload]\nkind = \"sinusoidal-master\"").unwrap(), WorkloadSpec::sinusoidal_master());
    let WorkloadSpec::Normal { mean_rps, std_rps, min_rps, max_rps } = parse("[workload]\nkind = \"normal\"").unwrap()
    else {
        panic!("not normal")
    };
    assert_eq!((mean_rps, std_rps), (PerNode::One(61.0), PerNode::One(32.0)));
    assert_eq!((min_rps, max_rps), (PerNode::One(1.0), PerNode::One(150.0)));
    let s = parse("[workload]\nkind = \"bursts\"\non_rate_rps = 5\nmean_on_s = 10\nmean_off_s = [10, 20]").unwrap();
    assert_eq!(
        s,
        WorkloadSpec::Bursts {
            on_rate_rps: PerNode::One(5.0),
            off_rate_rps: PerNode::One(0.0),
            mean_on_s: PerNode::One(10.0),
            mean_off_s: PerNode::Each(vec![10.0, 20.0]),
        }
    );
    let s = parse("[workload]\nkind = \"trace\"\nfile = \"t.csv\"").unwrap();
    assert_eq!(s, WorkloadSpec::Trace { file: "t.csv".into(), columns: None, scale: 1.0, random_offset: false });
    let WorkloadSpec::Azure { scale_min, scale_max, mean_min, .. } =
        parse("[workload]\nkind = \"azure\"\nfile = \"a.csv\"").unwrap()
    else {
        panic!("not azure")
    };
    assert_eq!((scale_min, scale_max, mean_min), (0.0, 150.0, None));
}

#[test]
fn unknown_fields_and_kinds_are_refused() {
    let e = parse("[workload]\nkind = \"constant\"\nrate_rps = 5\nrate = 3").unwrap_err();
    assert!(e.contains("rate"), "{e}");
    let e = parse("[workload]\nkind = \"sinusoidal-master\"\nscale_down_cap = 3").unwrap_err();
    assert!(e.contains("scale_down_cap"), "{e}");
    let e = parse("[workload]\nkind = \"poisson\"").unwrap_err();
    assert!(e.contains("poisson"), "{e}");
    let e = parse("[workload]\nkind = \"constant\"").unwrap_err();
    assert!(e.contains("rate_rps"), "{e}");
}

#[test]
fn round_trips_through_toml() {
    for text in [
        "kind = \"sinusoidal-master\"\nperiod_slots = 96.0\nscale_down = false",
        "kind = \"step\"\nbefore_rps = [5.0, 100.0]\nafter_rps = [70.0, 30.0]\nat_s = 600.0",
        "kind = \"linear\"\nfrom_rps = 1.0\nto_rps = 150.0",
        "kind = \"azure\"\nfile = \"d01.csv\"\nmean_min = 30.0\nmean_max = 130.0\nstd_min = 10.0\nstd_max = 60.0",
    ] {
        let spec = parse(&format!("[workload]\n{text}")).unwrap();
        let back = toml::to_string(&Wrapper2 { workload: spec.clone() }).unwrap();
        assert_eq!(parse(&back).unwrap(), spec, "{back}");
    }
}

#[derive(serde::Serialize)]
struct Wrapper2 {
    workload: WorkloadSpec,
}

#[test]
fn every_generator_gives_full_traces_deterministically() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("t.csv"), "x,y,z\n1,2,3\n4,5,6\n7,8,9\n").unwrap();
    std::fs::write(
        dir.path().join("a.csv"),
        "HashOwner,HashApp,HashFunction,Trigger,1,2,3,4\no,a,f1,http,1,2,3,4\no,a,f2,http,4,0,0,9\no,a,f3,http,5,1,5,1\n",
    )
    .unwrap();
    let specs = [
        "kind = \"sinusoidal-paper\"",
        "kind = \"sinusoidal-master\"",
        "kind = \"normal\"",
        "kind = \"constant\"\nrate_rps = [0.5, 1, 2]",
        "kind = \"step\"\nbefore_rps = 1\nafter_rps = 3",
        "kind = \"linear\"\nfrom_rps = 1\nto_rps = [10, 20, 30]",
        "kind = \"bursts\"\non_rate_rps = 10\nmean_on_s = 5\nmean_off_s = 5",
        "kind = \"trace\"\nfile = \"t.csv\"\nrandom_offset = true",
        "kind = \"azure\"\nfile = \"a.csv\"",
    ];
    let random = ["sinusoidal-paper", "sinusoidal-master", "normal", "bursts", "trace", "azure"];
    for text in specs {
        let spec = parse(&format!("[workload]\n{text}")).unwrap();
        let w = spec.load(dir.path(), Path::new("scenario.toml"), 3).unwrap();
        let a = w.generate(3, 40, 1.0, &mut rng(11));
        assert_eq!(a.len(), 3, "{text}");
        assert!(a.iter().all(|t| t.len() == 40), "{text}");
        assert_eq!(a, w.generate(3, 40, 1.0, &mut rng(11)), "{text}");
        if random.contains(&spec.kind()) {
            let differs = (12..20).any(|s| w.generate(3, 40, 1.0, &mut rng(s)) != a);
            assert!(differs, "{text}: different seeds give different traces");
        }
        for steps in [0, 1, 289] {
            assert!(w.generate(3, steps, 300.0, &mut rng(1)).iter().all(|t| t.len() == steps), "{text}");
        }
    }
}

#[test]
fn rates_are_converted_with_the_slot_length() {
    let spec = parse("[workload]\nkind = \"constant\"\nrate_rps = [0.2, 3]").unwrap();
    let w = load(&spec, 2).unwrap();
    assert_eq!(w.generate(2, 4, 300.0, &mut rng(0)), vec![vec![60; 4], vec![900; 4]]);
    assert_eq!(w.generate(2, 10, 1.0, &mut rng(0))[0].iter().sum::<u32>(), 2);
}

#[test]
fn bad_values_name_field_and_value() {
    let cases = [
        ("kind = \"constant\"\nrate_rps = -3", "workload.rate_rps", "-3"),
        ("kind = \"constant\"\nrate_rps = [1, 2]", "workload.rate_rps", "2 values"),
        ("kind = \"normal\"\nmin_rps = 10\nmax_rps = 5", "workload.max_rps", "5"),
        ("kind = \"normal\"\nstd_rps = -1", "workload.std_rps", "-1"),
        ("kind = \"step\"\nbefore_rps = 1\nafter_rps = 1\nat_s = -5", "workload.at_s", "-5"),
        ("kind = \"linear\"\nfrom_rps = 1\nto_rps = [1, 2, 3, 4]", "workload.to_rps", "4 values"),
        ("kind = \"bursts\"\non_rate_rps = 1\nmean_on_s = 0\nmean_off_s = 1", "workload.mean_on_s", "0"),
        ("kind = \"sinusoidal-paper\"\nperiods = 0", "workload.periods", "0"),
        ("kind = \"sinusoidal-paper\"\nnoise_std = -1", "workload.noise_std", "-1"),
        ("kind = \"sinusoidal-master\"\nmin = 100\nmax = 10", "workload.max", "10"),
        ("kind = \"sinusoidal-master\"\nscale_down_per_agent = 0", "workload.scale_down_per_agent", "0"),
        ("kind = \"trace\"\nfile = \"nope.csv\"", "nope.csv", "cannot read"),
        ("kind = \"trace\"\nfile = \"t.csv\"\nscale = -2", "workload.scale", "-2"),
        ("kind = \"azure\"\nfile = \"a.csv\"\nscale_max = -1", "workload.scale_max", "-1"),
        ("kind = \"azure\"\nfile = \"a.csv\"\nstd_min = 5\nstd_max = 1", "workload.std_max", "1"),
    ];
    for (text, field, value) in cases {
        let spec = parse(&format!("[workload]\n{text}")).unwrap();
        let e = load(&spec, 3).unwrap_err();
        assert!(e.contains(field) && e.contains(value), "{text}: {e}");
        assert!(e.contains("scenario.toml") || e.contains(".csv"), "{text}: {e}");
    }
}

#[test]
fn master_five_agents_total_is_315() {
    let w = load(&WorkloadSpec::sinusoidal_master(), 5).unwrap();
    let mut exact = 0;
    for seed in 0..4 {
        let tr = w.generate(5, 288, 300.0, &mut rng(seed));
        for t in 0..288 {
            let total = tr.iter().map(|a| a[t]).sum::<u32>();
            assert!(total <= 315);
            exact += (total == 315) as usize;
        }
    }
    assert!(exact >= 4 * 288 - 4, "{exact}");
}
