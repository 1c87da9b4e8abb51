//! The open-loop run: a ticker sends each request at `t0 + offset` in its
//! own task, whether or not earlier ones have answered.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::{Instant, sleep_until, timeout_at};

use super::client;
use super::error::LoadError;
use super::record::{ErrorKind, RequestRecord};
use super::report::{Report, SlotInfo};
use super::spec::LoadSpec;

/// Everything a run recorded, one record per scheduled request, in schedule order.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOutput {
    pub target: String,
    pub records: Vec<RequestRecord>,
    /// Slots that started within the duration (per-slot schedules only).
    pub slots: Option<SlotInfo>,
    /// The schedule was cut at `max_requests`.
    pub capped: bool,
}

impl RunOutput {
    /// The summary report.
    pub fn report(&self) -> Report {
        Report::from_records(&self.target, &self.records, self.slots.as_ref(), self.capped)
    }
}

/// Runs `spec` on the current tokio runtime and returns the report.
pub async fn run(spec: LoadSpec) -> Result<Report, LoadError> {
    Ok(run_records(spec).await?.report())
}

/// Runs `spec` on a runtime of its own; fails inside a tokio runtime.
pub fn run_blocking(spec: LoadSpec) -> Result<Report, LoadError> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(LoadError::InsideRuntime);
    }
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(run(spec))
}

/// Runs `spec` and returns every request's record.
///
/// Ends at `duration + timeout` at the latest: answers still outstanding
/// then are recorded as timeouts, requests the ticker never reached as dropped.
pub async fn run_records(spec: LoadSpec) -> Result<RunOutput, LoadError> {
    let prepared = Arc::new(spec.prepare()?);
    let plan = spec.rate.plan_spaced(spec.duration, spec.max_requests, spec.spacing)?;
    let slots = spec.rate.slots().map(|(slot, rates)| {
        let started = rates.iter().enumerate().take_while(|&(k, _)| {
            u32::try_from(k).ok().and_then(|k| slot.checked_mul(k)).is_some_and(|s| s < spec.duration)
        });
        SlotInfo { slot, rates: started.map(|(_, &r)| r).collect() }
    });
    let client = client::build(spec.timeout, spec.max_in_flight);
    let limit = spec.duration + spec.timeout; // checked by prepare()
    let t0 = Instant::now();
    let deadline = t0.checked_add(limit).ok_or_else(|| LoadError::BadSpec("duration + timeout is too long".into()))?;

    let n = plan.sends.len();
    let mut records: Vec<Option<RequestRecord>> = vec![None; n];
    let permits = Arc::new(Semaphore::new(spec.max_in_flight.min(Semaphore::MAX_PERMITS)));
    let mut tasks = JoinSet::new();
    let mut reached = n;
    for (i, &p) in plan.sends.iter().enumerate() {
        // Offsets are below `duration`, so this is before `deadline`.
        let due = t0 + p.at;
        if Instant::now() < due {
            sleep_until(due).await;
        }
        let now = Instant::now();
        if now >= deadline {
            reached = i;
            break;
        }
        while let Some(done) = tasks.try_join_next() {
            store(&mut records, done);
        }
        match permits.clone().try_acquire_owned() {
            Ok(permit) => {
                let (c, req, timeout) = (client.clone(), prepared.clone(), spec.timeout);
                tasks.spawn(async move {
                    let rec = client::send(&c, &req, timeout, t0, p).await;
                    drop(permit);
                    (i, rec)
                });
            }
            Err(_) => {
                let sent = now - t0;
                records[i] = Some(RequestRecord::failed(p.slot, p.at, sent, Duration::ZERO, ErrorKind::Dropped));
            }
        }
    }
    let _ = timeout_at(deadline, async {
        while let Some(done) = tasks.join_next().await {
            store(&mut records, done);
        }
    })
    .await;
    tasks.abort_all();
    while let Some(done) = tasks.try_join_next() {
        store(&mut records, done);
    }
    let end = Instant::now().saturating_duration_since(t0);

    let records = records
        .into_iter()
        .zip(&plan.sends)
        .enumerate()
        .map(|(i, (rec, p))| {
            rec.unwrap_or_else(|| {
                if i < reached {
                    RequestRecord::failed(p.slot, p.at, p.at, end.saturating_sub(p.at), ErrorKind::Timeout)
                } else {
                    RequestRecord::failed(p.slot, p.at, end, Duration::ZERO, ErrorKind::Dropped)
                }
            })
        })
        .collect();
    Ok(RunOutput { target: spec.target, records, slots, capped: plan.capped })
}

/// Keeps a finished task's record (a task that panicked or was aborted leaves a gap).
fn store(records: &mut [Option<RequestRecord>], done: Result<(usize, RequestRecord), tokio::task::JoinError>) {
    if let Ok((i, rec)) = done
        && let Some(slot) = records.get_mut(i)
    {
        *slot = Some(rec);
    }
}
