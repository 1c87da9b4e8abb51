//! Scenario runners, comparisons and reports.
