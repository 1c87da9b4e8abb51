//! The Policy trait and heuristics.
