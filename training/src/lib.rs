//! Multi-agent PPO on burn: arrives with issue 3.
