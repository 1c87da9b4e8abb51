//! Multi-agent PPO on burn: arrives with issue 3.
pub mod logging;
