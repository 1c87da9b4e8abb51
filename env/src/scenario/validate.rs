//! Scenario validation: every bad value is reported with file, field and value.

use super::Scenario;
use crate::error::ConfigError;

pub(super) fn validate(s: &Scenario) -> Result<(), ConfigError> {
    let f = &s.path;
    if s.episode.max_steps == 0 {
        return Err(ConfigError::invalid(f, "episode.max_steps", 0, "must be positive"));
    }
    let slot = s.episode.slot_seconds;
    if !(slot.is_finite() && slot > 0.0) {
        return Err(ConfigError::invalid(f, "episode.slot_seconds", slot, "must be a positive number of seconds"));
    }
    if s.topology.generator.is_some() && (!s.topology.adjacency.is_empty() || s.topology.nodes.is_some()) {
        return Err(ConfigError::invalid(
            f,
            "topology.generator",
            "with nodes/adjacency",
            "give either a generator or `nodes` / `adjacency` lines, not both",
        ));
    }
    if s.topology.generator.is_none()
        && s.topology.adjacency.is_empty()
        && s.topology.nodes.as_ref().is_none_or(|n| n.is_empty())
    {
        return Err(ConfigError::invalid(f, "topology", "empty", "give `nodes` or `adjacency` lines"));
    }
    if let Some(p) = &s.observation.predictor {
        if s.observation.input == super::InputView::True {
            return Err(ConfigError::invalid(
                f,
                "observation.predictor",
                format!("{p:?}"),
                "only used with observation.input = \"predicted\"",
            ));
        }
        if let Err((param, value, why)) = p.validate() {
            return Err(ConfigError::invalid(f, format!("observation.predictor.{param}"), value, why));
        }
    }
    if s.observation.period_slots == Some(0) {
        return Err(ConfigError::invalid(f, "observation.period_slots", 0, "must be a positive number of slots"));
    }
    let nodes = s.build_node_topology()?;
    s.build_topology()?;
    if s.seeds.evaluation_episodes == 0 && s.seeds.evaluation.as_ref().is_none_or(|v| v.is_empty()) {
        return Err(ConfigError::invalid(f, "seeds.evaluation_episodes", 0, "must be positive"));
    }
    // Training episode seeds are ≥ 2³² (dfaas-training's TRAINING_SEED_BIT):
    // evaluation seeds below it are never trained on.
    if let Some(big) = s.seeds.evaluation.iter().flatten().find(|&&x| x >= 1 << 32) {
        return Err(ConfigError::invalid(
            f,
            "seeds.evaluation",
            big,
            "evaluation seeds must be below 2^32 (larger seeds are training episodes)",
        ));
    }
    match (&s.model, s.functions.is_empty()) {
        (crate::models::ModelSpec::Budget(_), true) => {
            return Err(ConfigError::invalid(
                f,
                "model.kind",
                "budget",
                "needs the functions it shares ([[functions]])",
            ));
        }
        (m, false) if !matches!(m, crate::models::ModelSpec::Budget(_)) => {
            return Err(ConfigError::invalid(
                f,
                "functions",
                format!("{} functions with model.kind = {}", s.functions.len(), m.kind()),
                "several functions per node need model.kind = \"budget\" (the node's units they share)",
            ));
        }
        _ => {}
    }
    s.model.validate(f, nodes.names())?;
    if let (crate::models::ModelSpec::Budget(b), Some(g)) = (&s.model, s.functions.first())
        && g.cold_service_s.is_some()
    {
        b.validate_serverless(f)?;
    }
    s.load_workload()?;
    s.build_links(&nodes)?;
    Ok(())
}
