//! Building a policy for one node from its spec.

use crate::heuristics::{
    AllLocal, LeastLoaded, NodeMargin, PowerOfD, ProportionalLatency, RandomSplit, Recalc, SlackProportional,
    StaticSplit,
};
use std::sync::LazyLock;

use crate::params::Params;
use crate::{Policy, PolicyError, PolicySpec};

/// Builds a heuristic for a node from its spec's parameters.
type Builder = fn(&Params<'_>, usize, u64) -> Result<Box<dyn Policy>, PolicyError>;

/// One heuristic: its name, its parameter keys and how to build it for a
/// node (`node`, `seed`: for stochastic policies' own streams).
struct Heuristic {
    name: &'static str,
    keys: &'static [&'static str],
    build: Builder,
}

/// Every heuristic, in presentation order. Adding one is its file in
/// `heuristics/` and one row here.
const HEURISTICS: &[Heuristic] = &[
    Heuristic { name: "all-local", keys: &[], build: |_, _, _| Ok(Box::new(AllLocal)) },
    Heuristic { name: "random", keys: &[], build: |_, node, seed| Ok(Box::new(RandomSplit::new(node, seed))) },
    Heuristic {
        name: "static",
        keys: &["local"],
        build: |p, _, _| Ok(Box::new(StaticSplit::new(p.number("local", StaticSplit::DEFAULT_LOCAL, 0.0, 1.0)?))),
    },
    Heuristic {
        name: "slack-proportional",
        keys: &["overflow"],
        build: |p, _, _| Ok(Box::new(SlackProportional::new(p.overflow()?))),
    },
    Heuristic { name: "recalc", keys: &["overflow"], build: |p, _, _| Ok(Box::new(Recalc::new(p.overflow()?))) },
    Heuristic {
        name: "node-margin",
        keys: &["threshold", "step", "overflow"],
        build: |p, _, _| {
            Ok(Box::new(NodeMargin::new(
                p.positive("threshold", NodeMargin::DEFAULT_THRESHOLD, 0.0, 1e6)?,
                p.positive("step", NodeMargin::DEFAULT_STEP, 0.0, 1.0)?,
                p.overflow()?,
            )))
        },
    },
    Heuristic {
        name: "power-of-d",
        keys: &["d", "threshold", "overflow"],
        build: |p, node, seed| {
            Ok(Box::new(PowerOfD::new(
                p.integer("d", PowerOfD::DEFAULT_D, 1)?,
                p.number("threshold", PowerOfD::DEFAULT_THRESHOLD, 0.0, 1e6)?,
                p.overflow()?,
                node,
                seed,
            )))
        },
    },
    Heuristic {
        name: "least-loaded",
        keys: &["overflow"],
        build: |p, _, _| Ok(Box::new(LeastLoaded::new(p.overflow()?))),
    },
    Heuristic {
        name: "proportional-latency",
        keys: &["floor", "overflow"],
        build: |p, _, _| {
            Ok(Box::new(ProportionalLatency::new(
                p.positive("floor", ProportionalLatency::DEFAULT_FLOOR, 0.0, 1e6)?,
                p.overflow()?,
            )))
        },
    },
];

/// The heuristics' names, in presentation order (from [`HEURISTICS`]).
static NAMES: LazyLock<Vec<&'static str>> = LazyLock::new(|| HEURISTICS.iter().map(|h| h.name).collect());

const REFERENCES: &[&str] = &["oracle", "stale-oracle", "global-node", "best-fixed"];

/// The names [`build`] accepts.
pub fn heuristic_names() -> &'static [&'static str] {
    &NAMES
}

/// The references computed by the simulator (`oracle`, `stale-oracle`,
/// `global-node`, `best-fixed`); [`build`] answers [`PolicyError::Reference`] for them.
pub fn reference_names() -> &'static [&'static str] {
    REFERENCES
}

/// The parameter keys of heuristic `name`, or `None` if there is no such heuristic.
pub fn param_keys(name: &str) -> Option<&'static [&'static str]> {
    HEURISTICS.iter().find(|h| h.name == name).map(|h| h.keys)
}

/// Builds the policy `spec` names for agent `node`; stochastic policies are
/// seeded from `(seed, node)`, so every node gets its own stream.
///
/// Errors: [`PolicyError::Reference`] for `oracle` / `global-node`;
/// [`PolicyError::UnknownPolicy`], [`PolicyError::UnknownParam`] or
/// [`PolicyError::BadValue`] otherwise.
pub fn build(spec: &PolicySpec, node: usize, seed: u64) -> Result<Box<dyn Policy>, PolicyError> {
    let name = spec.name();
    if REFERENCES.contains(&name) {
        return Err(PolicyError::Reference(name.to_string()));
    }
    let Some(h) = HEURISTICS.iter().find(|h| h.name == name) else {
        return Err(PolicyError::UnknownPolicy {
            name: name.to_string(),
            known: format!("{}; references computed by the simulator: {}", NAMES.join(", "), REFERENCES.join(", ")),
        });
    };
    (h.build)(&Params::new(spec, h.keys)?, node, seed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> PolicyError {
        match build(&PolicySpec::parse(text).unwrap(), 0, 0) {
            Ok(p) => panic!("`{text}` built {}", p.name()),
            Err(e) => e,
        }
    }

    #[test]
    fn names_and_table_agree_and_all_build() {
        let table: Vec<&str> = HEURISTICS.iter().map(|h| h.name).collect();
        assert_eq!(table, heuristic_names());
        for name in heuristic_names() {
            let p = build(&PolicySpec::new(*name), 1, 2).unwrap();
            assert_eq!(p.name(), *name);
            assert!(!p.simulator_only());
        }
    }

    #[test]
    fn references_are_dispatched() {
        assert_eq!(err("oracle"), PolicyError::Reference("oracle".into()));
        assert_eq!(err("global-node"), PolicyError::Reference("global-node".into()));
        assert!(err("oracle").to_string().contains("simulator"));
    }

    #[test]
    fn errors_name_the_offender() {
        let e = err("greedy").to_string();
        assert!(e.contains("`greedy`"), "{e}");
        for name in NAMES.iter().chain(REFERENCES) {
            assert!(e.contains(name), "{e}");
        }
        let e = err("static:lokal=0.5");
        assert!(matches!(e, PolicyError::UnknownParam { .. }), "{e:?}");
        let e = e.to_string();
        assert!(e.contains("`lokal`") && e.contains("`static`") && e.contains("local"), "{e}");
        let e = err("all-local:x=1").to_string();
        assert!(e.contains("`x`") && e.contains("none"), "{e}");
        let e = err("static:local=1.5");
        assert!(matches!(e, PolicyError::BadValue { .. }), "{e:?}");
        let e = e.to_string();
        assert!(e.contains("`local`") && e.contains("`1.5`"), "{e}");
        let e = err("power-of-d:d=zero").to_string();
        assert!(e.contains("`d`") && e.contains("`zero`"), "{e}");
        let e = err("power-of-d:d=0").to_string();
        assert!(e.contains("`d`") && e.contains("`0`") && e.contains("at least 1"), "{e}");
        let e = err("slack-proportional:overflow=drop").to_string();
        assert!(e.contains("`overflow`") && e.contains("`drop`") && e.contains("reject"), "{e}");
        let e = err("node-margin:step=0").to_string();
        assert!(e.contains("`step`") && e.contains("`0`"), "{e}");
        let e = err("proportional-latency:floor=NaN").to_string();
        assert!(e.contains("`floor`") && e.contains("`NaN`"), "{e}");
    }

    #[test]
    fn parameters_take_effect() {
        use dfaas_env::{NeighborObs, NodeObservation};
        let nb = NeighborObs { spare_capacity: 100.0, degree: 1, age_seconds: Some(0.0), ..Default::default() };
        let obs = NodeObservation { predicted_input: 20.0, capacity: 10.0, neighbors: vec![nb], ..Default::default() };
        let mut s = build(&PolicySpec::parse("static:local=0.3").unwrap(), 0, 0).unwrap();
        assert!((s.decide(&obs).local() - 0.3).abs() < 1e-12);
        let mut p = build(&PolicySpec::parse("power-of-d:d=2,threshold=0.5").unwrap(), 0, 0).unwrap();
        assert!((p.decide(&obs).forwards()[0] - 0.75).abs() < 1e-12);
        let bare = NodeObservation { neighbors: vec![], ..obs };
        let mut r = build(&PolicySpec::parse("slack-proportional:overflow=reject").unwrap(), 0, 0).unwrap();
        assert!((r.decide(&bare).reject() - 0.5).abs() < 1e-12);
    }
}
