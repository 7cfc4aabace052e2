//! Errors of the NALSM pipeline.

use thiserror::Error;

/// A NALSM error.
#[derive(Debug, Error)]
pub enum NalsmError {
    /// A configuration value is out of range or inconsistent; `field` names it
    /// (`liquid.grid`, `protocol.train`, ...).
    #[error("{field}: {why}")]
    Config {
        /// The offending field.
        field: String,
        /// What is wrong with it.
        why: String,
    },
    /// The configuration file could not be parsed.
    #[error("{path}: {why}")]
    Parse {
        /// The file.
        path: String,
        /// The parser's message, with the field path.
        why: String,
    },
    /// The data set is missing or malformed.
    #[error("data: {0}")]
    Data(String),
    /// Reading or writing an output file failed.
    #[error(transparent)]
    Io(#[from] glia_io::IoError),
}

impl NalsmError {
    pub(crate) fn config(field: impl Into<String>, why: impl Into<String>) -> Self {
        Self::Config {
            field: field.into(),
            why: why.into(),
        }
    }
}

/// Result with [`NalsmError`].
pub type Result<T> = std::result::Result<T, NalsmError>;
