//! glia-spec: what a model *is*, independent of how it runs.
//!
//! A model file is read in three stages:
//! 1. [`expr`]: TOML is parsed, `\[parameters\]` are merged with command-line overrides, and every
//!    string starting with `=` is evaluated as an arithmetic expression over the parameters
//!    (`size = "= 4 * order"`).
//! 2. [`raw`]: the result is deserialised into plain structs that reject unknown fields.
//! 3. [`validate`]: names are resolved to indices, times are converted to steps, value
//!    specifications (constants, arrays, distributions, `.npy` files) are checked and loaded,
//!    and every impossible value is reported with the path of its field.
//!
//! The output, [`Model`], is what the engine lowers into runtime structures. Neuron-model
//! parameters stay as TOML tables here: each neuron model (in `glia-sim`) owns its parameter
//! struct and validates it with the same error type.

pub mod estimate;
pub mod expr;
pub mod modulators;
pub mod raw;
pub mod validate;
pub mod values;

pub use modulators::{Modulator, ModulatorKind};
pub use validate::{
    Connect, Grid, Input, InputKind, Kernel, Model, Monitor, MonitorKind, Plasticity, Population,
    PortSpec, Projection, Stp, SynapseKind,
};
pub use values::{Dist, DistKind, Values};

use std::path::{Path, PathBuf};

/// Everything that can be wrong with a model description.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// A field has an impossible value, refers to something missing, or cannot be loaded.
    #[error("{path}: {message}")]
    Invalid {
        /// Where in the model, e.g. `projections[1].delay`.
        path: String,
        /// What is wrong, including the offending value.
        message: String,
    },
    /// The model file itself cannot be read or parsed.
    #[error("{file}: {message}")]
    File {
        /// The model file.
        file: PathBuf,
        /// What is wrong.
        message: String,
    },
}

impl ModelError {
    /// An [`ModelError::Invalid`] at `path`.
    pub fn invalid(path: impl Into<String>, message: impl Into<String>) -> Self {
        ModelError::Invalid {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// Result alias for model handling.
pub type Result<T, E = ModelError> = std::result::Result<T, E>;

/// Options that override the model file (from the command line or the Python API).
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// `\[parameters\]` entries to set, `name → value`.
    pub parameters: Vec<(String, f64)>,
    /// `simulation.duration` in ms.
    pub duration: Option<f64>,
    /// `simulation.seed`.
    pub seed: Option<u64>,
    /// `simulation.threads`.
    pub threads: Option<usize>,
}

/// Read, expand, deserialise and validate a model file.
pub fn load(path: &Path, overrides: &Overrides) -> Result<Model> {
    let bytes = std::fs::read(path).map_err(|e| ModelError::File {
        file: path.to_path_buf(),
        message: format!("cannot read model file: {e}"),
    })?;
    let text = String::from_utf8(bytes).map_err(|e| ModelError::File {
        file: path.to_path_buf(),
        message: format!(
            "not valid UTF-8 (invalid byte at offset {}); model files must be UTF-8 text",
            e.utf8_error().valid_up_to()
        ),
    })?;
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    parse(&text, &base, overrides).map_err(|e| match e {
        ModelError::File { message, .. } => ModelError::File {
            file: path.to_path_buf(),
            message,
        },
        other => other,
    })
}

/// Parse and validate model text; relative file paths are resolved against `base_dir`.
pub fn parse(text: &str, base_dir: &Path, overrides: &Overrides) -> Result<Model> {
    let value: toml::Table = toml::from_str(text).map_err(|e| ModelError::File {
        file: PathBuf::from("<model>"),
        message: format!("TOML syntax error: {}", e.to_string().trim_end()),
    })?;
    from_table(value, base_dir, overrides)
}

/// Expand and validate a model given as a TOML table (as [`parse`] does after reading the
/// text): the entry point of descriptions built in memory, such as the Python builder's, so that
/// they get exactly the checks and error messages of a model file.
pub fn from_table(table: toml::Table, base_dir: &Path, overrides: &Overrides) -> Result<Model> {
    let expanded = expr::expand(table, &overrides.parameters)?;
    let raw = raw::from_table(expanded)?;
    validate::validate(raw, base_dir, overrides)
}
