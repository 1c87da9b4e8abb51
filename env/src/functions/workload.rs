//! The input series of a multi-function scenario's agents.

use super::FunctionLayout;
use crate::error::ConfigError;
use crate::scenario::Scenario;
use crate::workload::{AgentNames, Workload};

/// The scenario's `[workload]` for every agent, each function's own
/// `workload` for its agents; trace columns `node/function` are matched by
/// name, and a column naming a function or node the layout lacks is an error.
pub fn load_workload(s: &Scenario, layout: &FunctionLayout) -> Result<Workload, ConfigError> {
    let unknown = |name: &str| layout.unknown_agent(name);
    let all = layout.agents().names();
    let base = s.workload.load_named(&s.base_dir(), &s.path, &AgentNames { names: all, unknown: &unknown })?;
    let mut parts = Vec::new();
    for (f, spec) in layout.functions().iter().enumerate() {
        let Some(w) = &spec.workload else { continue };
        let agents: Vec<usize> = (0..all.len()).filter(|&a| layout.function_of(a) == f).collect();
        let names: Vec<String> = agents.iter().map(|&a| all[a].clone()).collect();
        let field_file = s.path.with_file_name(format!(
            "{}: functions[{f}].workload",
            s.path.file_name().map_or(String::new(), |n| n.to_string_lossy().into_owned())
        ));
        let loaded = w.load_named(&s.base_dir(), &field_file, &AgentNames { names: &names, unknown: &unknown })?;
        parts.push((agents, loaded));
    }
    Ok(if parts.is_empty() { base } else { Workload::split(base, parts) })
}
