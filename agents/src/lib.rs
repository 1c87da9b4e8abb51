//! The node control plane: arrives with issue 5.
