//! The agents of a multi-function federation: one per node and hosted
//! function, node-major (`node_1/image`, `node_1/text`, `node_2/image` …),
//! each linked to the same function at the neighbouring nodes that host it.

use std::path::Path;

use super::FunctionSpec;
use crate::error::ConfigError;
use crate::topology::Topology;

/// Nodes, functions and the agents they make.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionLayout {
    nodes: Topology,
    functions: Vec<FunctionSpec>,
    agents: Topology,
    agent_node: Vec<usize>,
    agent_function: Vec<usize>,
    node_agents: Vec<Vec<usize>>,
    weights: Vec<f64>,
}

impl FunctionLayout {
    /// Lays `functions` over the node graph `nodes`; errors name `file`,
    /// the field and the value (bad names, unknown or function-less nodes,
    /// shares over a node's budget).
    pub fn build(file: &Path, nodes: Topology, functions: &[FunctionSpec]) -> Result<Self, ConfigError> {
        for (k, f) in functions.iter().enumerate() {
            f.validate(file, k)?;
            if functions[..k].iter().any(|g| g.name == f.name) {
                return Err(ConfigError::invalid(
                    file,
                    format!("functions[{k}].name"),
                    &f.name,
                    "names a function twice",
                ));
            }
        }
        if let Some((plain, serverless)) = super::serverless_mix(functions.iter().map(|f| f.cold_service_s.is_some())) {
            return Err(ConfigError::invalid(
                file,
                format!("functions[{plain}].cold_service_s"),
                "missing",
                format!(
                    "functions[{serverless}] is serverless (cold_service_s): every function of the scenario must be, or none"
                ),
            ));
        }
        let hosts =
            functions.iter().enumerate().map(|(k, f)| hosts_of(file, &nodes, k, f)).collect::<Result<Vec<_>, _>>()?;
        let mut order = Vec::new();
        let (mut agent_node, mut agent_function) = (Vec::new(), Vec::new());
        let mut node_agents = vec![Vec::new(); nodes.len()];
        for (i, agents) in node_agents.iter_mut().enumerate() {
            for (f, h) in hosts.iter().enumerate() {
                if let Some(k) = h.iter().position(|&x| x == i) {
                    agents.push(order.len());
                    order.push((f, k));
                    agent_node.push(i);
                    agent_function.push(f);
                }
            }
            if agents.is_empty() {
                return Err(ConfigError::invalid(
                    file,
                    "functions.nodes",
                    &nodes.names()[i],
                    "this node hosts no function (list it in some function's `nodes`, or drop it)",
                ));
            }
        }
        let layers: Vec<Topology> = hosts
            .iter()
            .zip(functions)
            .map(|(h, f)| nodes.restricted(h, |i| format!("{}/{}", nodes.names()[i], f.name)))
            .collect();
        let agents = Topology::union(&layers, &order);
        let weights = node_weights(file, &nodes, functions, &node_agents, &agent_function)?;
        Ok(Self { nodes, functions: functions.to_vec(), agents, agent_node, agent_function, node_agents, weights })
    }

    /// The node graph.
    pub fn nodes(&self) -> &Topology {
        &self.nodes
    }

    /// The agent graph (what the simulator and policies see).
    pub fn agents(&self) -> &Topology {
        &self.agents
    }

    /// The functions, in file order.
    pub fn functions(&self) -> &[FunctionSpec] {
        &self.functions
    }

    /// Node of agent `a`.
    pub fn node_of(&self, a: usize) -> usize {
        self.agent_node[a]
    }

    /// Function (index) of agent `a`.
    pub fn function_of(&self, a: usize) -> usize {
        self.agent_function[a]
    }

    /// Agents at node `i`, in function order.
    pub fn agents_at(&self, i: usize) -> &[usize] {
        &self.node_agents[i]
    }

    /// Agent `a`'s weight in its node's budget (see [`FunctionSpec::share`]).
    pub fn weight(&self, a: usize) -> f64 {
        self.weights[a]
    }

    /// The agent of function `f` at node `i`, if `i` hosts it.
    pub fn agent(&self, i: usize, f: usize) -> Option<usize> {
        self.node_agents[i].iter().copied().find(|&a| self.agent_function[a] == f)
    }

    /// Why a column or series name `node/function` is not an agent here
    /// (`None` when it is one, or is not of that form).
    pub fn unknown_agent(&self, name: &str) -> Option<String> {
        let (node, function) = name.rsplit_once('/')?;
        let Some(f) = self.functions.iter().position(|x| x.name == function) else {
            let known: Vec<&str> = self.functions.iter().map(|x| x.name.as_str()).collect();
            return Some(format!("names function `{function}`, which no node hosts (functions: {})", known.join(", ")));
        };
        let Some(i) = self.nodes.index_of(node) else {
            return Some(format!("names node `{node}`, which is not in the topology"));
        };
        self.agent(i, f).is_none().then(|| format!("node `{node}` does not host `{function}`"))
    }
}

/// The nodes hosting function `f` (index `k` in the file), in node order.
fn hosts_of(file: &Path, nodes: &Topology, k: usize, f: &FunctionSpec) -> Result<Vec<usize>, ConfigError> {
    let Some(names) = &f.nodes else { return Ok((0..nodes.len()).collect()) };
    let mut idx = Vec::new();
    for name in names {
        let i = nodes.index_of(name).ok_or_else(|| {
            ConfigError::invalid(file, format!("functions[{k}].nodes"), name, "no such node in the topology")
        })?;
        if idx.contains(&i) {
            return Err(ConfigError::invalid(file, format!("functions[{k}].nodes"), name, "listed twice"));
        }
        idx.push(i);
    }
    if idx.is_empty() {
        return Err(ConfigError::invalid(file, format!("functions[{k}].nodes"), "[]", "a function needs a host"));
    }
    idx.sort_unstable();
    Ok(idx)
}

/// Each agent's weight at its node ([`super::node_share::spare_weights`]);
/// shares over 1 at a node are refused.
fn node_weights(
    file: &Path,
    nodes: &Topology,
    functions: &[FunctionSpec],
    node_agents: &[Vec<usize>],
    agent_function: &[usize],
) -> Result<Vec<f64>, ConfigError> {
    let mut w = vec![0.0; agent_function.len()];
    for (i, agents) in node_agents.iter().enumerate() {
        let fs: Vec<&FunctionSpec> = agents.iter().map(|&a| &functions[agent_function[a]]).collect();
        let given: f64 = fs.iter().filter_map(|f| f.share).sum();
        if given > 1.0 + 1e-9 {
            let parts: Vec<String> = fs.iter().filter_map(|f| f.share.map(|s| format!("{} {s}", f.name))).collect();
            return Err(ConfigError::invalid(
                file,
                "functions.share",
                format!("{} = {given} at node {}", parts.join(" + "), nodes.names()[i]),
                "the shares of a node's functions must sum to at most 1 (the whole budget)",
            ));
        }
        let shares: Vec<Option<f64>> = fs.iter().map(|f| f.share).collect();
        for (&a, x) in agents.iter().zip(super::node_share::spare_weights(&shares)) {
            w[a] = x;
        }
    }
    Ok(w)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(name: &str, nodes: Option<&[&str]>, share: Option<f64>) -> FunctionSpec {
        FunctionSpec {
            name: name.into(),
            cost_units: 1,
            service_time_s: 0.1,
            share,
            max_concurrency: None,
            cold_service_s: None,
            idle_timeout_s: None,
            nodes: nodes.map(|n| n.iter().map(|x| x.to_string()).collect()),
            workload: None,
        }
    }

    fn triangle() -> Topology {
        Topology::from_adjacency(None, &["a b c".into(), "b c".into()]).unwrap()
    }

    #[test]
    fn agents_are_node_function_pairs_linked_per_function() {
        let l = FunctionLayout::build(
            Path::new("s.toml"),
            triangle(),
            &[f("img", None, Some(0.5)), f("txt", Some(&["a", "c"]), None)],
        )
        .unwrap();
        assert_eq!(l.agents().names(), ["a/img", "a/txt", "b/img", "c/img", "c/txt"]);
        let n = |a: usize| -> Vec<&str> {
            l.agents().neighbors(a).iter().map(|&j| l.agents().names()[j].as_str()).collect()
        };
        assert_eq!(n(0), ["b/img", "c/img"]);
        assert_eq!(n(1), ["c/txt"], "b does not host txt");
        assert_eq!(n(2), ["a/img", "c/img"]);
        assert_eq!((l.node_of(3), l.function_of(3)), (2, 0));
        assert_eq!(l.agents_at(0), [0, 1]);
        assert_eq!((l.weight(0), l.weight(1), l.weight(2)), (0.5, 0.5, 0.5));
        assert_eq!(l.unknown_agent("a/img"), None);
        assert!(l.unknown_agent("b/txt").unwrap().contains("node `b` does not host `txt`"));
        assert!(l.unknown_agent("a/video").unwrap().contains("no node hosts"));
        assert!(l.unknown_agent("z/img").unwrap().contains("not in the topology"));
    }

    #[test]
    fn bad_layouts_name_the_field_and_value() {
        let p = Path::new("s.toml");
        let e = FunctionLayout::build(p, triangle(), &[f("img", None, Some(0.7)), f("txt", None, Some(0.6))])
            .unwrap_err()
            .to_string();
        assert!(e.contains("functions.share") && e.contains("img 0.7 + txt 0.6") && e.contains("at node a"), "{e}");
        let e = FunctionLayout::build(p, triangle(), &[f("img", Some(&["a", "x"]), None)]).unwrap_err().to_string();
        assert!(e.contains("functions[0].nodes") && e.contains("x") && e.contains("no such node"), "{e}");
        let e = FunctionLayout::build(p, triangle(), &[f("img", Some(&["a", "b"]), None)]).unwrap_err().to_string();
        assert!(e.contains("c") && e.contains("hosts no function"), "{e}");
        let e = FunctionLayout::build(p, triangle(), &[f("a/b", None, None)]).unwrap_err().to_string();
        assert!(e.contains("functions[0].name"), "{e}");
        let e =
            FunctionLayout::build(p, triangle(), &[f("x", None, None), f("x", None, None)]).unwrap_err().to_string();
        assert!(e.contains("functions[1].name") && e.contains("twice"), "{e}");
    }
}
