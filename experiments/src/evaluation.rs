//! The comparison document `dfaas compare`/`dfaas evaluate --json` print and
//! the Python package returns: contenders plus the scenario's references on
//! one list of evaluation episodes, learned policies paired against the best
//! other policy and every reference.

use dfaas_env::{Scenario, Simulator};

use crate::compare::CompareReport;
use crate::contender::Contender;
use crate::runner::RunError;

/// Workload episode seeds: `n` from `seed`, else the scenario's evaluation
/// seeds (extended from its master seed when it lists fewer than `n`).
pub fn evaluation_seeds(scenario: &Scenario, seed: Option<u64>, n: usize) -> Result<Vec<u64>, RunError> {
    if n == 0 {
        return Err(RunError::Unsupported("the number of episodes must be at least 1".into()));
    }
    Ok(match seed {
        Some(s) => dfaas_env::seeds::evaluation_seeds(s, n),
        None => {
            let mut base = scenario.evaluation_seeds();
            if base.len() < n {
                base = dfaas_env::seeds::evaluation_seeds(scenario.seeds.master, n);
            }
            base.truncate(n);
            base
        }
    })
}

/// Runs `contenders` and the scenario's references (stale oracle and
/// oracle, or the global node) on `episodes` evaluation episodes (default:
/// the scenario's) and pairs every learned policy against the best other
/// policy and the references, episode by episode.
pub fn compare_document(
    scenario: &Scenario,
    mut contenders: Vec<Contender>,
    episodes: Option<usize>,
    seed: Option<u64>,
    progress: bool,
) -> Result<CompareReport, RunError> {
    let sim = Simulator::new(scenario).map_err(|e| RunError::Unsupported(e.to_string()))?;
    for r in Contender::references(&sim) {
        if !contenders.iter().any(|c| c.name() == r.name()) {
            contenders.push(r);
        }
    }
    // Fail early on a learned file that does not fit this scenario.
    for c in &contenders {
        if let Contender::Learned { .. } = c {
            c.policies(&sim, 0)?;
        }
    }
    let n = episodes.unwrap_or_else(|| scenario.evaluation_seeds().len());
    let seeds = evaluation_seeds(scenario, seed, n)?;
    let mut report = crate::compare(scenario, &contenders, &seeds, progress)?;
    let learned: Vec<String> =
        report.results.iter().filter(|r| r.policy.starts_with("learned:")).map(|r| r.policy.clone()).collect();
    for l in &learned {
        let diffs = crate::paired::against_best_and_references(&report, l);
        report.paired.extend(diffs);
    }
    Ok(report)
}

/// The contenders of `dfaas compare`: the learned `models`, then the
/// policies `names` (blank ones skipped; default: every heuristic).
pub fn compare_contenders<P: AsRef<std::path::Path>>(
    models: &[P],
    names: Option<&[String]>,
) -> Result<Vec<Contender>, dfaas_policies::PolicyError> {
    let mut contenders = Vec::new();
    for m in models {
        contenders.push(Contender::learned(m.as_ref())?);
    }
    distinct_learned_names(&mut contenders);
    let heuristics: Vec<String>;
    let names = match names {
        Some(n) => n,
        None => {
            heuristics = dfaas_policies::heuristic_names().iter().map(|s| s.to_string()).collect();
            &heuristics
        }
    };
    for n in names.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        contenders.push(Contender::parse(n)?);
    }
    Ok(contenders)
}

/// Files of the same stem (`cleanrl/policy.onnx`, `rllib/policy.onnx`) would
/// share a name, and results and paired differences are keyed by name: such
/// files are named by their folder and stem, or failing that by the path given.
fn distinct_learned_names(contenders: &mut [Contender]) {
    let names: Vec<String> = contenders.iter().map(Contender::name).collect();
    for (i, c) in contenders.iter_mut().enumerate() {
        if names.iter().filter(|n| **n == names[i]).count() < 2 {
            continue;
        }
        if let Contender::Learned { path, label, .. } = c {
            let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            let folder = path.parent().and_then(|p| p.file_name()).map(|f| f.to_string_lossy().into_owned());
            *label = Some(match folder {
                Some(f) => format!("{f}/{stem}"),
                None => path.display().to_string(),
            });
        }
    }
    let names: Vec<String> = contenders.iter().map(Contender::name).collect();
    for (i, c) in contenders.iter_mut().enumerate() {
        if names.iter().filter(|n| **n == names[i]).count() > 1
            && let Contender::Learned { path, label, .. } = c
        {
            *label = Some(path.display().to_string());
        }
    }
}

/// The contenders of `dfaas evaluate`: the learned file, then every heuristic.
pub fn evaluate_contenders(model: &std::path::Path) -> Result<Vec<Contender>, dfaas_policies::PolicyError> {
    let mut contenders = vec![Contender::learned(model)?];
    for n in dfaas_policies::heuristic_names() {
        contenders.push(Contender::parse(n)?);
    }
    Ok(contenders)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learned_files_of_one_stem_get_distinct_names() {
        let models = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../models");
        let dir = tempfile::tempdir().unwrap();
        for sub in ["a", "b"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
            std::fs::copy(models.join("capacity-5.dfpolicy"), dir.path().join(sub).join("policy.dfpolicy")).unwrap();
        }
        let files = [
            dir.path().join("a/policy.dfpolicy"),
            dir.path().join("b/policy.dfpolicy"),
            models.join("trace-5.dfpolicy"),
        ];
        let names: Vec<String> = compare_contenders(&files, Some(&[])).unwrap().iter().map(Contender::name).collect();
        assert_eq!(names, ["learned:a/policy", "learned:b/policy", "learned:trace-5"]);
        // Same folder name and stem: the paths given.
        std::fs::create_dir_all(dir.path().join("c/a")).unwrap();
        std::fs::copy(models.join("capacity-5.dfpolicy"), dir.path().join("c/a/policy.dfpolicy")).unwrap();
        let same = [dir.path().join("a/policy.dfpolicy"), dir.path().join("c/a/policy.dfpolicy")];
        let names: Vec<String> = compare_contenders(&same, Some(&[])).unwrap().iter().map(Contender::name).collect();
        assert_eq!(names, same.iter().map(|p| format!("learned:{}", p.display())).collect::<Vec<_>>());
    }

    #[test]
    fn zero_episodes_is_an_error_and_seeds_are_stable() {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/marl-master-2.toml");
        let s = Scenario::load(&p).unwrap();
        assert!(evaluation_seeds(&s, None, 0).unwrap_err().to_string().contains("at least 1"));
        let a = evaluation_seeds(&s, Some(7), 5).unwrap();
        assert_eq!(a, evaluation_seeds(&s, Some(7), 5).unwrap());
        assert_eq!(a.len(), 5);
        let many = evaluation_seeds(&s, None, s.evaluation_seeds().len() + 3).unwrap();
        assert_eq!(many.len(), s.evaluation_seeds().len() + 3);
    }
}
