//! Heuristics, references and learned files acting on the package's
//! environments, as `dfaas compare` plays them.

use std::collections::HashMap;
use std::sync::Mutex;

use dfaas_env::reference::oracle::Oracle;
use dfaas_env::reference::stale_oracle::StaleOracle;
use dfaas_env::{Decision, Simulator};
use dfaas_experiments::Contender;
use numpy::{PyArray1, PyArrayMethods};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::actions::{ActionFormat, ActionLayout};
use crate::errors;
use crate::federation::Federation;
use crate::vector::VectorEnv;

/// What decides for one simulator copy during one episode.
enum Actor {
    Nodes(Vec<Box<dyn dfaas_policies::Policy>>),
    Oracle(Oracle),
    Stale(StaleOracle),
}

/// A policy for every node of a federation: a heuristic
/// (`slack-proportional`, `static:local=0.4`, …), a reference (`oracle`,
/// `stale-oracle`, `best-fixed`) or a learned file (`.dfpolicy`).
#[pyclass(module = "dfaas._core")]
pub struct Policy {
    contender: Contender,
    /// Per (environment object, copy): the episode the actor was built for.
    actors: Mutex<HashMap<(usize, usize), (u64, Actor)>>,
}

#[pymethods]
impl Policy {
    /// `spec` is a policy name with optional parameters
    /// (`name:key=value,…`), a reference name, or a path to a policy file.
    #[new]
    fn new(spec: &str) -> PyResult<Self> {
        let path = std::path::Path::new(spec);
        let contender = if path.is_file() || spec.ends_with(".dfpolicy") {
            Contender::learned(path).map_err(errors::policy)?
        } else {
            Contender::parse(spec).map_err(errors::policy)?
        };
        if matches!(contender, Contender::GlobalNode) {
            return Err(errors::policy(
                "global-node is a whole-episode reference (one pooled node), not a per-slot policy: \
                 use dfaas.compare",
            ));
        }
        Ok(Self { contender, actors: Mutex::new(HashMap::new()) })
    }

    /// The policy's name as reports show it.
    #[getter]
    fn name(&self) -> String {
        self.contender.name()
    }

    /// Whether it is a centralised reference (not deployable).
    #[getter]
    fn is_reference(&self) -> bool {
        self.contender.is_reference()
    }

    /// The actions for the current slot of `env`: a dict of per-agent
    /// arrays for a `ParallelEnv` (or its core), an `[E, A, K]` array for a
    /// `VectorEnv`, in the environment's action format.
    fn act<'py>(&mut self, py: Python<'py>, env: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let core = if env.hasattr("_core")? { env.getattr("_core")? } else { env.clone() };
        let key = core.as_ptr() as usize;
        if let Ok(mut f) = core.extract::<PyRefMut<'_, Federation>>() {
            let episode = f.episodes;
            let format = f.format;
            let layout = f.layout.clone();
            let decisions = self.decide(&mut f.sim, (key, 0), episode)?;
            let out = PyDict::new(py);
            for (i, d) in decisions.iter().enumerate() {
                let v: Vec<f64> = d.as_slice().iter().map(|&x| encode(x, format)).collect();
                out.set_item(&layout.names[i], PyArray1::from_vec(py, v))?;
            }
            return Ok(out.into_any());
        }
        if let Ok(mut v) = core.extract::<PyRefMut<'_, VectorEnv>>() {
            let layout: ActionLayout = v.layout().clone();
            let format = v.format();
            let (a, k) = (layout.names.len(), layout.width);
            let mut out = Vec::new();
            let mut row = vec![0f32; k];
            let copies: Vec<(u64, &mut Simulator)> = v.sims_mut().collect();
            for (e, (episode, sim)) in copies.into_iter().enumerate() {
                let decisions = self.decide(sim, (key, e), episode)?;
                for (i, d) in decisions.iter().enumerate() {
                    layout.pad(i, d, &mut row);
                    for (j, x) in row.iter_mut().enumerate() {
                        *x = if layout.real(i, j) { encode(*x as f64, format) as f32 } else { 0.0 };
                    }
                    out.extend_from_slice(&row);
                }
            }
            let e = out.len() / (a * k).max(1);
            return Ok(PyArray1::from_vec(py, out).reshape([e, a, k])?.into_any());
        }
        Err(errors::policy("act(env): env is not a dfaas ParallelEnv or VectorEnv"))
    }
}

/// An action value for fraction `x` in `format`: the fraction itself, or
/// its logarithm (softmax gives it back; zero maps to −1000).
fn encode(x: f64, format: ActionFormat) -> f64 {
    match format {
        ActionFormat::Simplex => x,
        ActionFormat::Logits => {
            if x > 0.0 {
                x.ln()
            } else {
                -1000.0
            }
        }
    }
}

impl Policy {
    /// Decisions for every node of `sim` at its current slot, rebuilding
    /// the actor (seeded as `dfaas compare` seeds it) when a new episode began.
    fn decide(&self, sim: &mut Simulator, key: (usize, usize), episode: u64) -> PyResult<Vec<Decision>> {
        let mut actors = self.actors.lock().unwrap_or_else(|p| p.into_inner());
        let fresh = !matches!(actors.get(&key), Some((ep, _)) if *ep == episode);
        if fresh {
            if sim.episode_seed().is_none() {
                return Err(errors::other("act called before reset"));
            }
            let actor = self.build(sim)?;
            actors.insert(key, (episode, actor));
        }
        let (_, actor) = actors.get_mut(&key).expect("just inserted");
        Ok(match actor {
            Actor::Nodes(ps) => ps.iter_mut().zip(sim.observations()).map(|(p, o)| p.decide(o)).collect(),
            Actor::Oracle(o) => o.decide_all(sim),
            Actor::Stale(o) => o.decide_all(sim),
        })
    }

    fn build(&self, sim: &Simulator) -> PyResult<Actor> {
        let seed = sim.episode_seed().unwrap_or(0);
        Ok(match &self.contender {
            Contender::Oracle => Actor::Oracle(Oracle::new(sim).map_err(errors::policy)?),
            Contender::StaleOracle => Actor::Stale(StaleOracle::new(sim).map_err(errors::policy)?),
            c => {
                let mut ps = c.policies(sim, seed).map_err(errors::policy)?;
                dfaas_experiments::runner::seed_policies(&mut ps, seed);
                Actor::Nodes(ps)
            }
        })
    }
}
