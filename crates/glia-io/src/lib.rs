//! glia-io: arrays in (`.npy`, `.npz`) and result files out.
//!
//! Reading accepts the dtypes a NumPy user is likely to produce (`float64`, `float32`, the signed
//! and unsigned integers) and converts them to `f64` or `i64`; anything else (object arrays,
//! complex numbers, strings, Fortran-ordered arrays with more than one dimension) is an error
//! naming the file and the array. Writing goes through [`AtomicFile`]: the data land in a
//! temporary file beside the destination and are renamed over it only when complete, so an
//! interrupted run never leaves a file that looks finished.

mod atomic;
mod npy;

pub use atomic::{AtomicFile, write_json_atomic};
pub use npy::{
    ArrayData, ArrayStream, NpzOut, Shaped, StreamElement, npz_names, parse_npy, parse_npz,
    read_array, read_npz_array,
};

use std::path::PathBuf;

/// Errors reading or writing array and result files.
#[derive(Debug, thiserror::Error)]
pub enum IoError {
    /// The file could not be opened, read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating-system error.
        source: std::io::Error,
    },
    /// The file is not a valid `.npy`/`.npz`, or holds an unsupported dtype or shape.
    #[error("{path}{}: {message}", array.as_deref().map(|a| format!(" (array '{a}')")).unwrap_or_default())]
    Format {
        /// The file.
        path: PathBuf,
        /// The array inside an `.npz`, if any.
        array: Option<String>,
        /// What is wrong.
        message: String,
    },
}
