//! The crate's error type.

use glia_spec::ModelError;

/// Errors of reservoir experiments: bad input (each names the field or file) or a failure of
/// the numerical method.
#[derive(Debug, thiserror::Error)]
pub enum ReservoirError {
    /// A field of an experiment has a bad value.
    #[error("{path}: {message}")]
    Invalid {
        /// Field path, e.g. `task.washout`.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// The model part of the experiment is invalid.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// A numerical method failed (e.g. a matrix that is not positive definite).
    #[error("{0}")]
    Numerical(String),
    /// Reading or writing a file.
    #[error("{path}: {message}")]
    Io {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
}

impl ReservoirError {
    /// An [`ReservoirError::Invalid`] for `path`.
    pub fn invalid(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// Result alias.
pub type Result<T, E = ReservoirError> = std::result::Result<T, E>;
