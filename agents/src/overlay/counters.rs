//! Overlay counters, shared between the swarm task and handles.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use serde::Serialize;

use crate::messages::DropReason;

/// Live counters (atomics; cheap to bump from the swarm task).
#[derive(Debug, Default)]
pub struct Counters {
    pub published: AtomicU64,
    pub publish_failed: AtomicU64,
    pub published_bytes: AtomicU64,
    pub received: AtomicU64,
    pub received_bytes: AtomicU64,
    pub dropped_oversized: AtomicU64,
    pub dropped_malformed: AtomicU64,
    pub dropped_version: AtomicU64,
    pub dropped_invalid: AtomicU64,
    pub dropped_unauthorised: AtomicU64,
    pub dropped_impersonation: AtomicU64,
    pub dropped_bytes: AtomicU64,
    pub connections_denied: AtomicU64,
    pub handshake_failed: AtomicU64,
    pub wire_bytes_in: AtomicU64,
    pub wire_bytes_out: AtomicU64,
}

/// A copy of the counters at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CounterSnapshot {
    /// States published by this node.
    pub published: u64,
    /// Publish attempts that failed (e.g. no subscribed peer yet).
    pub publish_failed: u64,
    /// Payload bytes of the published states.
    pub published_bytes: u64,
    /// Valid states received from others.
    pub received: u64,
    /// Payload bytes of the valid states received.
    pub received_bytes: u64,
    pub dropped_oversized: u64,
    pub dropped_malformed: u64,
    pub dropped_version: u64,
    pub dropped_invalid: u64,
    /// Wrong claimed author, or an author not on the allow-list.
    pub dropped_unauthorised: u64,
    /// States naming a member, authored by another member's key.
    pub dropped_impersonation: u64,
    /// Payload bytes of all dropped messages.
    pub dropped_bytes: u64,
    /// Connections refused by the allow-list.
    pub connections_denied: u64,
    /// Incoming connections that failed before being established (wrong
    /// pre-shared key, failed Noise handshake, timeout).
    pub handshake_failed: u64,
    /// All bytes read from TCP connections (every protocol, after pnet/noise framing).
    pub wire_bytes_in: u64,
    /// All bytes written to TCP connections.
    pub wire_bytes_out: u64,
}

impl CounterSnapshot {
    /// Messages dropped, all reasons together.
    pub fn dropped(&self) -> u64 {
        self.dropped_oversized
            + self.dropped_malformed
            + self.dropped_version
            + self.dropped_invalid
            + self.dropped_unauthorised
            + self.dropped_impersonation
    }

    pub fn dropped_for(&self, reason: DropReason) -> u64 {
        match reason {
            DropReason::Oversized => self.dropped_oversized,
            DropReason::Malformed => self.dropped_malformed,
            DropReason::Version => self.dropped_version,
            DropReason::Invalid => self.dropped_invalid,
            DropReason::Unauthorised => self.dropped_unauthorised,
            DropReason::Impersonation => self.dropped_impersonation,
        }
    }
}

impl Counters {
    pub(crate) fn add(c: &AtomicU64, n: u64) {
        c.fetch_add(n, Relaxed);
    }

    pub(crate) fn drop_message(&self, reason: DropReason, bytes: usize) {
        let c = match reason {
            DropReason::Oversized => &self.dropped_oversized,
            DropReason::Malformed => &self.dropped_malformed,
            DropReason::Version => &self.dropped_version,
            DropReason::Invalid => &self.dropped_invalid,
            DropReason::Unauthorised => &self.dropped_unauthorised,
            DropReason::Impersonation => &self.dropped_impersonation,
        };
        Self::add(c, 1);
        Self::add(&self.dropped_bytes, bytes as u64);
    }

    pub fn snapshot(&self) -> CounterSnapshot {
        CounterSnapshot {
            published: self.published.load(Relaxed),
            publish_failed: self.publish_failed.load(Relaxed),
            published_bytes: self.published_bytes.load(Relaxed),
            received: self.received.load(Relaxed),
            received_bytes: self.received_bytes.load(Relaxed),
            dropped_oversized: self.dropped_oversized.load(Relaxed),
            dropped_malformed: self.dropped_malformed.load(Relaxed),
            dropped_version: self.dropped_version.load(Relaxed),
            dropped_invalid: self.dropped_invalid.load(Relaxed),
            dropped_unauthorised: self.dropped_unauthorised.load(Relaxed),
            dropped_impersonation: self.dropped_impersonation.load(Relaxed),
            dropped_bytes: self.dropped_bytes.load(Relaxed),
            connections_denied: self.connections_denied.load(Relaxed),
            handshake_failed: self.handshake_failed.load(Relaxed),
            wire_bytes_in: self.wire_bytes_in.load(Relaxed),
            wire_bytes_out: self.wire_bytes_out.load(Relaxed),
        }
    }
}
