//! The federation simulator.
pub struct Simulator;
