//! The one error type of `glia-memory`: bad parameters and bad input name the offending value.

use thiserror::Error;

/// Everything that can go wrong with user input in `glia-memory`.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum MemoryError {
    /// A parameter is out of its range; `name` is the parameter, `why` the rule it breaks.
    #[error("{name}: {why}, got {value}")]
    Param {
        /// The parameter's name (as in the function signature or struct field).
        name: &'static str,
        /// The rule, e.g. "must be > 0".
        why: &'static str,
        /// The value given, formatted.
        value: String,
    },
    /// An index of an active bit is not below the SDR size.
    #[error("index {index} out of range for an SDR of size {size}")]
    IndexOutOfRange {
        /// The offending index.
        index: u64,
        /// The SDR size n.
        size: u32,
    },
    /// An operation that needs at least one active bit got an empty SDR.
    #[error("{what}: the SDR is empty (no active bits)")]
    EmptySdr {
        /// The operation or argument.
        what: &'static str,
    },
    /// Two SDRs (or an SDR and a layer) have different sizes.
    #[error("size mismatch in {what}: {left} vs {right}")]
    SizeMismatch {
        /// The operation.
        what: &'static str,
        /// Size of the left operand.
        left: usize,
        /// Size of the right operand.
        right: usize,
    },
    /// A data file is missing or malformed.
    #[error("{path}: {why}")]
    Data {
        /// The file.
        path: String,
        /// What is wrong with it.
        why: String,
    },
}

impl MemoryError {
    /// A [`MemoryError::Param`] with the value formatted by `Display`.
    pub fn param(name: &'static str, why: &'static str, value: impl std::fmt::Display) -> Self {
        Self::Param {
            name,
            why,
            value: value.to_string(),
        }
    }
}

/// `Result` with [`MemoryError`].
pub type Result<T> = std::result::Result<T, MemoryError>;
