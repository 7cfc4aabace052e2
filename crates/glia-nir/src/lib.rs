//! glia-nir: NIR (Neuromorphic Intermediate Representation) import and export.
//!
//! NIR (<https://neuroir.org>) describes a spiking network as a graph of continuous-time
//! primitives (LIF, CubaLIF, Affine, …) in SI units, stored in HDF5. This crate owns the edge
//! between NIR and glia:
//!
//! - [`graph`]: a NIR graph in memory (node type + numeric fields), independent of HDF5;
//! - [`mod@import`]: a NIR graph → a glia model file (TOML) and its connectivity arrays (`.npz`);
//! - [`mod@export`]: a validated glia model and its built network → a NIR graph;
//! - [`read()`] / [`write()`]: the HDF5 files, behind the `hdf5` cargo feature (it links the system
//!   HDF5 library). Without the feature they return [`NirError::NoHdf5`].
//!
//! Units are converted once, here: NIR's seconds become milliseconds. NIR has no time step:
//! the user chooses `dt`, and the conventions that make a continuous NIR graph a discrete glia
//! network are documented in `docs/nir.md` (spikes as pulses of area `dt`, one step of
//! transmission per edge, exact integration per step).

pub mod export;
pub mod graph;
#[cfg(feature = "hdf5")]
mod h5;
pub mod import;

pub use export::export;
pub use graph::{Field, Graph, Node};
pub use import::{ImportOptions, Imported, import};

use std::path::Path;

/// Everything that can go wrong between NIR and glia.
#[derive(Debug, thiserror::Error)]
pub enum NirError {
    /// A node (or one of its fields) cannot be converted; `node` names it.
    #[error("{node}: {message}")]
    Node {
        /// `nodes.NAME` or `nodes.NAME.field`.
        node: String,
        /// What is wrong.
        message: String,
    },
    /// A glia model feature that NIR cannot express (export).
    #[error("{path}: cannot export to NIR: {message}")]
    Unsupported {
        /// Where in the glia model, e.g. `populations[0].ports.exc`.
        path: String,
        /// The feature, and why NIR cannot express it.
        message: String,
    },
    /// The graph as a whole is malformed (missing node named by an edge, cycle of edge nodes).
    #[error("{0}")]
    Graph(String),
    /// The HDF5 file cannot be read or written, or is not a NIR file.
    #[error("{path}: {message}")]
    File {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong.
        message: String,
    },
    /// glia was built without HDF5 support.
    #[error(
        "NIR files need HDF5: glia was built without the `nir` feature (rebuild with `cargo build --release --features nir`, which needs the system HDF5 library, e.g. Debian's libhdf5-dev)"
    )]
    NoHdf5,
    /// The generated model or its arrays could not be written, or the glia model is invalid.
    #[error(transparent)]
    Model(#[from] glia_spec::ModelError),
    /// Writing an array file failed.
    #[error(transparent)]
    Io(#[from] glia_io::IoError),
}

impl NirError {
    pub(crate) fn node(node: impl Into<String>, message: impl Into<String>) -> Self {
        NirError::Node {
            node: node.into(),
            message: message.into(),
        }
    }
    pub(crate) fn unsupported(path: impl Into<String>, message: impl Into<String>) -> Self {
        NirError::Unsupported {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// Result alias.
pub type Result<T, E = NirError> = std::result::Result<T, E>;

/// Whether this build can read and write NIR (HDF5) files.
pub const HAS_HDF5: bool = cfg!(feature = "hdf5");

/// Read a NIR graph from an HDF5 file (as written by the Python `nir` package).
pub fn read(path: &Path) -> Result<Graph> {
    #[cfg(feature = "hdf5")]
    {
        h5::read(path)
    }
    #[cfg(not(feature = "hdf5"))]
    {
        let _ = path;
        Err(NirError::NoHdf5)
    }
}

/// Write a NIR graph to an HDF5 file that the Python `nir` package reads.
pub fn write(path: &Path, graph: &Graph) -> Result<()> {
    #[cfg(feature = "hdf5")]
    {
        h5::write(path, graph)
    }
    #[cfg(not(feature = "hdf5"))]
    {
        let _ = (path, graph);
        Err(NirError::NoHdf5)
    }
}
