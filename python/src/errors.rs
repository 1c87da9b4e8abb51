//! The package's exceptions: every error from Rust reaches Python as one of
//! these (all `ValueError`s), its message naming the file, field, agent or
//! value at fault. Nothing panics across the boundary.

use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

create_exception!(dfaas, DfaasError, PyValueError, "Base of every error the dfaas package raises.");
create_exception!(dfaas, ScenarioError, DfaasError, "A scenario file, name or override that cannot be used.");
create_exception!(
    dfaas,
    ActionError,
    DfaasError,
    "An action of the wrong shape or with a non-finite or negative value."
);
create_exception!(dfaas, PolicyError, DfaasError, "A policy name, file or parameter that cannot be used.");

/// A [`ScenarioError`] from any displayable error.
pub fn scenario(e: impl std::fmt::Display) -> PyErr {
    ScenarioError::new_err(e.to_string())
}

/// An [`ActionError`] with `message`.
pub fn action(message: impl Into<String>) -> PyErr {
    ActionError::new_err(message.into())
}

/// A [`PolicyError`] from any displayable error.
pub fn policy(e: impl std::fmt::Display) -> PyErr {
    PolicyError::new_err(e.to_string())
}

/// A [`DfaasError`] from any displayable error (episode state, runs).
pub fn other(e: impl std::fmt::Display) -> PyErr {
    DfaasError::new_err(e.to_string())
}
