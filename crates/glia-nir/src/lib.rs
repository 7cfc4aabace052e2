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
//! Which reader to use: [`read()`] is for files from anywhere (every glia entry point that reads
//! a NIR file uses it): on unix it parses the file in a child process, so that a crash of the
//! HDF5 C library on a corrupt file is an error ([`NirError::ReaderCrashed`]) and a hang is
//! stopped ([`NirError::ReaderTimeout`]), see `isolate.rs`. [`read_in_process()`] parses in the
//! calling process: for files glia wrote itself, and for tests and the fuzz target's coverage; a
//! corrupt file can crash the process there.
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
#[cfg(all(unix, feature = "hdf5"))]
mod isolate;

pub use export::export;
pub use graph::{DecodeError, Field, Graph, Node};
pub use import::{ImportOptions, Imported, import};

use std::path::Path;
use std::time::Duration;

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
    /// The HDF5 library crashed (or an invariant of the reader failed fatally) while the reader's
    /// child process read the file: the caller is unharmed.
    #[error(
        "the HDF5 library crashed ({signal}) reading {}: the file is corrupt or not a NIR file",
        .path.display()
    )]
    ReaderCrashed {
        /// The file.
        path: std::path::PathBuf,
        /// The signal that ended the reader, e.g. `SIGSEGV`.
        signal: String,
    },
    /// Reading the file took longer than the timeout; the reader's child process was killed.
    #[error(
        "reading {} took longer than {seconds} s and was stopped: the file is corrupt or not a NIR file (the HDF5 library can loop on corrupt files), or it is larger than the timeout allows",
        .path.display()
    )]
    ReaderTimeout {
        /// The file.
        path: std::path::PathBuf,
        /// The timeout \[s\].
        seconds: f64,
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

/// How long [`read()`] lets the reader process take before stopping it.
pub const READ_TIMEOUT: Duration = Duration::from_secs(300);

/// Read a NIR graph from an HDF5 file (as written by the Python `nir` package), safely for
/// untrusted files: on unix the file is parsed in a child process (a crash of the HDF5 library
/// is [`NirError::ReaderCrashed`], a hang longer than [`READ_TIMEOUT`] is
/// [`NirError::ReaderTimeout`]); elsewhere in this process, as [`read_in_process()`].
pub fn read(path: &Path) -> Result<Graph> {
    read_with_timeout(path, READ_TIMEOUT)
}

/// [`read()`] with another timeout (ignored where the read is not isolated, i.e. not on unix).
pub fn read_with_timeout(path: &Path, timeout: Duration) -> Result<Graph> {
    #[cfg(all(unix, feature = "hdf5"))]
    {
        isolate::read(path, timeout)
    }
    #[cfg(not(all(unix, feature = "hdf5")))]
    {
        let _ = timeout;
        read_in_process(path)
    }
}

/// Read a NIR file in this process: for trusted files (those glia wrote), tests, and the fuzz
/// target's coverage. The same result as [`read()`], but a corrupt file can crash the process
/// inside the HDF5 C library (a segmentation fault, not an error).
pub fn read_in_process(path: &Path) -> Result<Graph> {
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
