//! Errors of the plotting and report code: always name the file.

use std::path::PathBuf;

/// What went wrong, and with which file.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// The input file is of an unknown or malformed shape.
    #[error("{}: {problem}", file.display())]
    Input { file: PathBuf, problem: String },
    /// Reading or writing a file failed.
    #[error("{}: {source}", file.display())]
    Io { file: PathBuf, source: std::io::Error },
    /// Drawing a figure failed.
    #[error("{}: drawing failed: {problem}", file.display())]
    Draw { file: PathBuf, problem: String },
}

impl PlotError {
    /// An input error for `file`.
    pub fn input(file: impl Into<PathBuf>, problem: impl Into<String>) -> Self {
        Self::Input { file: file.into(), problem: problem.into() }
    }

    /// An I/O error for `file`.
    pub fn io(file: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io { file: file.into(), source }
    }
}
