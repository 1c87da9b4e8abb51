//! [`Family`]: federations drawn from one generated scenario, a new one per
//! seed — a new graph (the generator's seed; optionally its node count and
//! its degree parameter from ranges) and new per-node capacities and loads
//! (every `{ uniform = [lo, hi], seed }` draw reseeded). Training on a family
//! shows a policy a different federation every episode.

use std::path::{Path, PathBuf};

use crate::error::ConfigError;
use crate::seeds::splitmix;
use crate::topology::GeneratorSpec;

use super::Scenario;

/// A scenario whose generated federation is redrawn per seed.
#[derive(Debug, Clone)]
pub struct Family {
    template: Scenario,
    nodes: Option<[usize; 2]>,
    degree: Option<[usize; 2]>,
}

impl Family {
    /// A family around `template` (which must use a `geometric` or
    /// `barabasi-albert` generator). `nodes` and `degree` are inclusive
    /// ranges for the node count and for `k` (geometric) or `m`
    /// (Barabási–Albert), capped at N − 1 for a small draw; `None` keeps the template's. Errors name `file`
    /// (the file that asked for the family) and the field (`family.nodes`,
    /// `family.degree`).
    pub fn new(
        template: Scenario,
        nodes: Option<[usize; 2]>,
        degree: Option<[usize; 2]>,
        file: &Path,
    ) -> Result<Self, ConfigError> {
        let bad = |field: &str, value: String, reason: &str| ConfigError::invalid(file, field, value, reason);
        match &template.topology.generator {
            Some(GeneratorSpec::Geometric { k: None, .. }) if degree.is_some() => {
                return Err(bad(
                    "family.degree",
                    format!("{degree:?}"),
                    "the scenario's geometric generator links by radius, not by k",
                ));
            }
            Some(GeneratorSpec::Geometric { .. } | GeneratorSpec::BarabasiAlbert { .. }) => {}
            _ => {
                return Err(bad(
                    "family",
                    template.path.display().to_string(),
                    "a family redraws a random generator: the scenario needs \
                     [topology] generator = { kind = \"geometric\" | \"barabasi-albert\", … }",
                ));
            }
        }
        for (field, range) in [("family.nodes", nodes), ("family.degree", degree)] {
            if let Some([lo, hi]) = range
                && (lo == 0 || lo > hi)
            {
                return Err(bad(field, format!("[{lo}, {hi}]"), "must be [low, high] with 1 ≤ low ≤ high"));
            }
        }
        let f = Family { template, nodes, degree };
        // Both ends of the ranges must make valid federations.
        for (n, d) in [(nodes.map(|r| r[0]), degree.map(|r| r[1])), (nodes.map(|r| r[1]), degree.map(|r| r[0]))] {
            f.with(0, n, d).map_err(|e| bad("family", format!("nodes {n:?}, degree {d:?}"), &e.to_string()))?;
        }
        Ok(f)
    }

    /// The template scenario.
    pub fn template(&self) -> &Scenario {
        &self.template
    }

    /// The federation of `seed`: node count and degree drawn uniformly from
    /// their ranges, a new graph, new per-node draws. Same seed, same federation.
    pub fn draw(&self, seed: u64) -> Result<Scenario, ConfigError> {
        let pick = |range: Option<[usize; 2]>, salt: u64| {
            range.map(|[lo, hi]| lo + (splitmix(seed ^ salt) % (hi - lo + 1) as u64) as usize)
        };
        self.with(seed, pick(self.nodes, 0x4E0D), pick(self.degree, 0xDE6))
    }

    fn with(&self, seed: u64, nodes: Option<usize>, degree: Option<usize>) -> Result<Scenario, ConfigError> {
        let mut s = self.template.clone();
        // Shifted into TOML's signed 64-bit integers.
        let reseed = |old: u64| splitmix(old ^ splitmix(seed ^ 0xFA17)) >> 1;
        match &mut s.topology.generator {
            Some(GeneratorSpec::Geometric { nodes: n, k, seed: gs, .. }) => {
                *n = nodes.unwrap_or(*n);
                if let Some(k) = k {
                    // A small federation links every node at most: k ≤ N − 1.
                    *k = degree.unwrap_or(*k).min(n.saturating_sub(1).max(1));
                }
                *gs = reseed(*gs);
            }
            Some(GeneratorSpec::BarabasiAlbert { nodes: n, m, seed: gs }) => {
                *n = nodes.unwrap_or(*n);
                *m = degree.unwrap_or(*m).min(n.saturating_sub(1).max(1));
                *gs = reseed(*gs);
            }
            _ => {}
        }
        let path: PathBuf = s.path.clone();
        let mut value =
            toml::Value::try_from(&s).map_err(|e| ConfigError::invalid(&path, "scenario", &s.name, e.to_string()))?;
        reseed_draws(&mut value, &reseed);
        let text =
            toml::to_string(&value).map_err(|e| ConfigError::invalid(&path, "scenario", &s.name, e.to_string()))?;
        // Loading validates the drawn federation (its graph included).
        let mut drawn = Scenario::from_toml_str(&text, &path)?;
        drawn.name = self.template.name.clone();
        Ok(drawn)
    }
}

/// Gives every `{ uniform = […], seed = S }` table under `v` the seed `reseed(S)`.
fn reseed_draws(v: &mut toml::Value, reseed: &dyn Fn(u64) -> u64) {
    match v {
        toml::Value::Table(t) => {
            let is_draw = t.len() == 2 && t.contains_key("uniform") && t.contains_key("seed");
            if is_draw {
                if let Some(toml::Value::Integer(s)) = t.get_mut("seed") {
                    *s = reseed(*s as u64) as i64;
                }
                return;
            }
            for (_, x) in t.iter_mut() {
                reseed_draws(x, reseed);
            }
        }
        toml::Value::Array(a) => a.iter_mut().for_each(|x| reseed_draws(x, reseed)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template() -> Scenario {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../experiments/scenarios/scale/capacity-geo-train.toml");
        Scenario::load(root).unwrap()
    }

    #[test]
    fn each_seed_draws_its_own_federation_and_the_same_seed_the_same() {
        let f = Family::new(template(), Some([20, 60]), Some([2, 5]), Path::new("train.toml")).unwrap();
        let (a, b, a2) = (f.draw(1).unwrap(), f.draw(2).unwrap(), f.draw(1).unwrap());
        let (ta, tb) = (a.build_topology().unwrap(), b.build_topology().unwrap());
        assert_eq!(ta.adjacency_lines(), a2.build_topology().unwrap().adjacency_lines(), "same seed, same graph");
        assert_ne!(ta.adjacency_lines(), tb.adjacency_lines());
        let caps = |s: &Scenario, n: usize| match &s.model {
            crate::models::ModelSpec::Capacity(c) => c.capacity_rps.values(n),
            _ => unreachable!(),
        };
        assert_ne!(caps(&a, 10), caps(&b, 10), "capacities redrawn");
        assert_eq!(caps(&a, 10), caps(&a2, 10));
        let sizes: std::collections::BTreeSet<usize> =
            (0..40).map(|s| f.draw(s).unwrap().build_topology().unwrap().len()).collect();
        assert!(sizes.iter().all(|n| (20..=60).contains(n)) && sizes.len() > 10, "{sizes:?}");
        for s in 0..40 {
            let c = caps(&f.draw(s).unwrap(), 60);
            assert!(c.iter().all(|x| (5.0..=40.0).contains(x)), "draws keep their ranges");
        }
    }

    #[test]
    fn bad_families_are_refused_naming_the_field() {
        let e = Family::new(template(), Some([30, 10]), None, Path::new("train.toml")).unwrap_err().to_string();
        assert!(e.contains("train.toml") && e.contains("family.nodes") && e.contains("[30, 10]"), "{e}");
        // k above a small draw's N − 1 is capped: 3-node draws link all pairs.
        let f = Family::new(template(), Some([3, 10]), Some([3, 6]), Path::new("train.toml")).unwrap();
        let small = (0..60).map(|s| f.draw(s).unwrap().build_topology().unwrap()).find(|t| t.len() == 3).unwrap();
        assert_eq!(small.max_degree(), 2);
        let cloudnet = Scenario::load(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../experiments/scenarios/dfaas-cloudnet21.toml"),
        )
        .unwrap();
        let e = Family::new(cloudnet, None, None, Path::new("train.toml")).unwrap_err().to_string();
        assert!(e.contains("generator"), "{e}");
    }
}
