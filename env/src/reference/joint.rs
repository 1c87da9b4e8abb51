//! The oracle for several functions per node: one slot as a linear program.
//!
//! Agent `a` (a node-function pair) sends `x_ab` of its input to itself or
//! to the same function at a neighbouring node `b`; a node's functions share
//! its budget, a request of `a`'s function using `c_a` unit-seconds:
//!
//! maximise `Σ x_ab` subject to `Σ_b x_ab ≤ input_a` (every agent),
//! `Σ_{b at node j} c_b · Σ_a x_ab ≤ U_j` (every node's budget) and
//! `Σ_a x_ab ≤ limit_b` (every function's concurrency limit).
//!
//! Requests sent within a node's budget are all served (the node shares it
//! only when overloaded), so the optimum is the most requests the federation
//! can serve in the slot. It is solved exactly in real numbers (`microlp`)
//! and floored to whole requests, which keeps every budget; the units the
//! floor frees are then filled whole request by request, cheapest function
//! first, wherever an agent still has input and a reachable node still has
//! the units (with a few requests per agent and slot, the floor alone
//! loses several per cent).

use microlp::{ComparisonOp, OptimizationDirection, Problem};

use crate::sim::SharedBudget;
use crate::topology::Topology;

/// A plan: per agent `[own node, neighbour 1 …]` requests, and what it rejects.
pub(super) struct Plan {
    pub x: Vec<Vec<u32>>,
    pub left: Vec<u32>,
}

/// Budget fractions the plans for serverless functions are tried at.
const DERATES: [f64; 6] = [1.0, 0.9, 0.8, 0.7, 0.6, 0.5];

/// The slot's optimum for `inputs` (per agent) on the agent graph `topo`
/// (`None` should the solver fail).
///
/// Serverless functions share a node's units as a loss system: calls
/// collide before the units are all in use, so a plan that fills every
/// budget is not the best. Their plan is the best of the linear program's
/// at budgets derated to [`DERATES`], each also with the requests it leaves
/// out kept local rather than rejected, scored by the requests the loss
/// model serves ([`SharedBudget::served_at`]).
pub(super) fn solve(shared: &SharedBudget, topo: &Topology, inputs: &[u32]) -> Option<Plan> {
    if !shared.serverless() {
        return solve_at(shared, topo, inputs, 1.0);
    }
    let mut best: Option<(u64, Plan)> = None;
    for d in DERATES {
        let plan = solve_at(shared, topo, inputs, d)?;
        let mut local = Plan { x: plan.x.clone(), left: vec![0; topo.len()] };
        (0..topo.len()).for_each(|a| local.x[a][0] += plan.left[a]);
        for p in [plan, local] {
            let served = shared.served_at(&loads(topo, &p));
            if best.as_ref().is_none_or(|(s, _)| served > *s) {
                best = Some((served, p));
            }
        }
    }
    best.map(|(_, p)| p)
}

/// Requests reaching each agent under `plan`.
fn loads(topo: &Topology, plan: &Plan) -> Vec<u32> {
    let mut load = vec![0u32; topo.len()];
    for a in 0..topo.len() {
        load[a] += plan.x[a][0];
        for (k, &b) in topo.neighbors(a).iter().enumerate() {
            load[b] += plan.x[a][k + 1];
        }
    }
    load
}

/// The linear program's plan with every node's budget scaled by `derate`.
fn solve_at(shared: &SharedBudget, topo: &Topology, inputs: &[u32], derate: f64) -> Option<Plan> {
    let n = topo.len();
    let mut p = Problem::new(OptimizationDirection::Maximize);
    let vars: Vec<Vec<microlp::Variable>> =
        (0..n).map(|a| (0..=topo.degree(a)).map(|_| p.add_var(1.0, (0.0, f64::from(inputs[a])))).collect()).collect();
    // Receivers: (agent a sending, its slot k) per receiving agent b.
    let mut into: Vec<Vec<microlp::Variable>> = vec![Vec::new(); n];
    for a in 0..n {
        into[a].push(vars[a][0]);
        for (k, &b) in topo.neighbors(a).iter().enumerate() {
            into[b].push(vars[a][k + 1]);
        }
    }
    for a in 0..n {
        if topo.degree(a) > 0 {
            let row: Vec<_> = vars[a].iter().map(|&v| (v, 1.0)).collect();
            p.add_constraint(&row, ComparisonOp::Le, f64::from(inputs[a]));
        }
        if shared.limit(a).is_finite() {
            let row: Vec<_> = into[a].iter().map(|&v| (v, 1.0)).collect();
            p.add_constraint(&row, ComparisonOp::Le, shared.limit(a));
        }
    }
    let layout = shared.layout();
    for j in 0..layout.nodes().len() {
        let row: Vec<_> =
            layout.agents_at(j).iter().flat_map(|&b| into[b].iter().map(move |&v| (v, shared.cost(b)))).collect();
        p.add_constraint(&row, ComparisonOp::Le, derate * shared.budget(j));
    }
    let sol = p.solve().ok()?.into_solution().ok()?;
    let x: Vec<Vec<u32>> = vars
        .iter()
        .map(|row| row.iter().map(|&v| (sol.var_value(v) + 1e-6).floor().max(0.0) as u32).collect())
        .collect();
    let left = (0..n).map(|a| inputs[a].saturating_sub(x[a].iter().sum())).collect();
    let mut plan = Plan { x, left };
    fill_floor_gaps(shared, topo, &mut plan, derate);
    Some(plan)
}

/// Places the requests the floor left out where whole ones still fit.
fn fill_floor_gaps(shared: &SharedBudget, topo: &Topology, plan: &mut Plan, derate: f64) {
    let layout = shared.layout();
    let n = topo.len();
    let mut load = loads(topo, plan);
    let mut units: Vec<f64> = (0..layout.nodes().len())
        .map(|j| {
            derate * shared.budget(j)
                - layout.agents_at(j).iter().map(|&b| shared.cost(b) * f64::from(load[b])).sum::<f64>()
        })
        .collect();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| shared.cost(a).total_cmp(&shared.cost(b)));
    for a in order {
        for k in 0..=topo.degree(a) {
            if plan.left[a] == 0 {
                break;
            }
            let b = if k == 0 { a } else { topo.neighbors(a)[k - 1] };
            let j = layout.node_of(b);
            let by_units = ((units[j] / shared.cost(b)) + 1e-9).floor().max(0.0);
            let by_limit = (shared.limit(b) - f64::from(load[b])).max(0.0).floor();
            let put = (f64::from(plan.left[a]).min(by_units).min(by_limit)) as u32;
            if put > 0 {
                plan.x[a][k] += put;
                plan.left[a] -= put;
                load[b] += put;
                units[j] -= f64::from(put) * shared.cost(b);
            }
        }
    }
}
