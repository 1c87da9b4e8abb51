//! `synthetic` backend: a built-in function behaving like a serverless
//! platform, as the simulator's `serverless` model assumes: an idle warm
//! instance serves in `warm_s`; without one, a new instance cold-starts in
//! `cold_s` if fewer than `max_instances` exist, otherwise the request is
//! rejected; instances idle for `idle_s` are reclaimed. Service times are
//! fixed, or exponential with those means (seeded; what the serverless
//! model assumes). Optional busy-loop CPU work per request. With a node
//! budget ([`crate::budget`]) a call also holds its `units` of it while it
//! runs, and is rejected the same way when too few are free.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hyper::StatusCode;

use super::{BackendError, Invocation, Output, text_plain};
use crate::budget::NodeBudget;
use crate::config::{EXP_TRUNCATION, ServiceTimes};

/// The instance pool.
#[derive(Debug)]
pub struct SyntheticBackend {
    warm: Duration,
    cold: Duration,
    idle_timeout: Duration,
    max_instances: u32,
    cpu_work: Duration,
    pool: Mutex<Pool>,
    /// Exponential service times: the generator of the draws.
    exponential: Option<Mutex<rand_pcg::Pcg64>>,
    /// The node's budget shared with its other functions, and this one's units per call.
    budget: Option<(Arc<NodeBudget>, u32)>,
}

#[derive(Debug, Default)]
struct Pool {
    /// Idle instances by time they became idle, oldest first.
    idle: Vec<Instant>,
    busy: u32,
}

/// Returns the instance to the idle set when the call ends (or is dropped).
struct InUse<'a>(&'a SyntheticBackend);

impl Drop for InUse<'_> {
    fn drop(&mut self) {
        let mut p = self.0.lock();
        p.busy = p.busy.saturating_sub(1);
        p.idle.push(Instant::now());
    }
}

impl SyntheticBackend {
    /// A pool with the given service times (seconds) and CPU work (µs).
    pub fn new(warm_s: f64, cold_s: f64, idle_s: f64, max_instances: u32, cpu_work_us: u64) -> SyntheticBackend {
        SyntheticBackend {
            warm: crate::config::secs(warm_s),
            cold: crate::config::secs(cold_s),
            idle_timeout: crate::config::secs(idle_s),
            max_instances,
            cpu_work: Duration::from_micros(cpu_work_us),
            pool: Mutex::new(Pool::default()),
            exponential: None,
            budget: None,
        }
    }

    /// Calls hold `units` of the node's `budget` while they run.
    pub fn with_budget(mut self, budget: Arc<NodeBudget>, units: u32) -> Self {
        self.budget = Some((budget, units));
        self
    }

    /// Fixed or exponential (seeded) service times.
    pub fn with_service_times(mut self, times: ServiceTimes, seed: u64) -> Self {
        use rand::SeedableRng;
        self.exponential = match times {
            ServiceTimes::Fixed => None,
            ServiceTimes::Exponential => Some(Mutex::new(rand_pcg::Pcg64::seed_from_u64(seed))),
        };
        self
    }

    /// One service time of mean `mean`.
    fn draw(&self, mean: Duration) -> Duration {
        use rand::RngExt;
        let Some(rng) = &self.exponential else { return mean };
        let u: f64 = rng.lock().unwrap_or_else(|p| p.into_inner()).random();
        // Inverse CDF of Exp(1) on (0, 1]; truncated at EXP_TRUNCATION means.
        let x = (-(1.0 - u).ln()).min(EXP_TRUNCATION);
        mean.mul_f64(x)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Pool> {
        self.pool.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Serves one call: body `warm\n` or `cold\n`, saying how it started.
    pub async fn invoke(&self, _inv: Invocation) -> Result<Output, BackendError> {
        // The node's budget first: a call that cannot hold its units (at
        // once, or after its turn in the node's budget queue) takes no instance.
        let _held = match &self.budget {
            Some((b, units)) => Some(b.hold(*units, self.warm).await.ok_or(BackendError::Saturated)?),
            None => None,
        };
        let cold = {
            let mut p = self.lock();
            let now = Instant::now();
            let keep = self.idle_timeout;
            p.idle.retain(|t| now.saturating_duration_since(*t) < keep);
            let cold = if p.idle.pop().is_some() {
                false
            } else if (p.idle.len() as u32).saturating_add(p.busy) < self.max_instances {
                true
            } else {
                return Err(BackendError::Saturated);
            };
            p.busy += 1;
            cold
        };
        let _in_use = InUse(self);
        let service = self.draw(if cold { self.cold } else { self.warm });
        if !service.is_zero() {
            tokio::time::sleep(service).await;
        }
        if !self.cpu_work.is_zero() {
            let work = self.cpu_work;
            let spin = move || {
                let t = Instant::now();
                let mut x = 0u64;
                while t.elapsed() < work {
                    x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
                }
            };
            tokio::task::spawn_blocking(spin)
                .await
                .map_err(|e| BackendError::Failed(format!("CPU work failed: {e}")))?;
        }
        let body = if cold { "cold\n" } else { "warm\n" };
        Ok(Output {
            status: StatusCode::OK,
            content_type: Some(text_plain()),
            body: Bytes::from_static(body.as_bytes()),
        })
    }

    /// Instances `(idle, busy)` now.
    pub fn instances(&self) -> (u32, u32) {
        let p = self.lock();
        (p.idle.len() as u32, p.busy)
    }

    /// Whether an instance is free or can be started (and, with a node
    /// budget, this function's units are free).
    pub fn healthy(&self) -> bool {
        if self.budget.as_ref().is_some_and(|(b, units)| !b.has(*units)) {
            return false;
        }
        let p = self.lock();
        !p.idle.is_empty() || (p.idle.len() as u32).saturating_add(p.busy) < self.max_instances
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inv() -> Invocation {
        Invocation { method: hyper::Method::GET, query: None, content_type: None, body: Bytes::new() }
    }

    #[test]
    fn exponential_draws_have_the_mean_and_are_seeded() {
        let mean = Duration::from_millis(100);
        let b = SyntheticBackend::new(0.1, 0.4, 5.0, 1, 0).with_service_times(ServiceTimes::Exponential, 7);
        let draws: Vec<f64> = (0..20_000).map(|_| b.draw(mean).as_secs_f64()).collect();
        let avg = draws.iter().sum::<f64>() / draws.len() as f64;
        assert!((avg - 0.1).abs() < 0.004, "mean {avg}");
        let var = draws.iter().map(|x| (x - avg).powi(2)).sum::<f64>() / draws.len() as f64;
        assert!((var.sqrt() - 0.1).abs() < 0.006, "an exponential's sd equals its mean: {}", var.sqrt());
        assert!(draws.iter().all(|&x| x <= 0.1 * EXP_TRUNCATION + 1e-9));
        let again = SyntheticBackend::new(0.1, 0.4, 5.0, 1, 0).with_service_times(ServiceTimes::Exponential, 7);
        assert_eq!(
            again.draw(mean),
            SyntheticBackend::new(0.1, 0.4, 5.0, 1, 0).with_service_times(ServiceTimes::Exponential, 7).draw(mean)
        );
        let fixed = SyntheticBackend::new(0.1, 0.4, 5.0, 1, 0);
        assert_eq!(fixed.draw(mean), mean);
    }

    #[tokio::test]
    async fn cold_then_warm_then_reclaimed() {
        let b = SyntheticBackend::new(0.0, 0.0, 0.05, 1, 0);
        assert_eq!(&b.invoke(inv()).await.unwrap().body[..], b"cold\n");
        assert_eq!(&b.invoke(inv()).await.unwrap().body[..], b"warm\n");
        tokio::time::sleep(Duration::from_millis(80)).await;
        assert_eq!(&b.invoke(inv()).await.unwrap().body[..], b"cold\n");
    }

    /// Two functions of 2 units on a 3-unit node run one at a time; a
    /// 1-unit function runs beside either; units come back when calls end.
    #[tokio::test]
    async fn functions_share_the_node_budget() {
        let budget = NodeBudget::new(3);
        let heavy = |n| Arc::new(SyntheticBackend::new(0.2, 0.2, 10.0, n, 0).with_budget(Arc::clone(&budget), 2));
        let (image, video) = (heavy(4), heavy(4));
        let text = SyntheticBackend::new(0.0, 0.0, 10.0, 4, 0).with_budget(Arc::clone(&budget), 1);
        let i2 = image.clone();
        let first = tokio::spawn(async move { i2.invoke(inv()).await.is_ok() });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(budget.in_use(), 2);
        assert!(matches!(video.invoke(inv()).await, Err(BackendError::Saturated)), "2 + 2 units > 3");
        assert!(!video.healthy() && image.instances() == (0, 1), "the refused call took no instance");
        assert!(matches!(image.invoke(inv()).await, Err(BackendError::Saturated)), "its own second call too");
        assert!(text.invoke(inv()).await.is_ok(), "2 + 1 units fit");
        assert!(first.await.unwrap());
        assert_eq!(budget.in_use(), 0);
        assert!(video.invoke(inv()).await.is_ok(), "free again once the first call ended");
    }

    #[tokio::test]
    async fn saturated_past_max_instances() {
        let b = std::sync::Arc::new(SyntheticBackend::new(0.2, 0.2, 10.0, 1, 0));
        let b2 = b.clone();
        let first = tokio::spawn(async move { b2.invoke(inv()).await.is_ok() });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(matches!(b.invoke(inv()).await, Err(BackendError::Saturated)));
        assert!(first.await.unwrap());
    }
}
