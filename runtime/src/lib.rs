//! The node data plane: arrives with issue 4.
