//! Per-slot metrics, CSV and episode summaries.
