//! Associative memories and sparse coding.
//!
//! - [`sdr`]: sparse distributed representations ([`Sdr`]) and [`encoders`] for scalars,
//!   categories and random keys;
//! - [`theory`]: exact false-match, union and noise probabilities of SDRs and dendritic
//!   segments (Ahmad & Hawkins 2016), in log space;
//! - [`segments`]: dendritic segments with an NMDA threshold on a population of cells, and
//!   [`temporal_memory`]: the sequence memory of Hawkins & Ahmad (2016) built from them;
//! - [`hopfield`]: the classical Hopfield network; [`dense`]: dense associative memory with
//!   polynomial interactions (Krotov & Hopfield 2016) and the supervised dense Hebbian network
//!   (Agliari et al. 2022) with Glauber dynamics;
//! - [`mnist`]: a reader for the MNIST IDX files (gzip or plain).
//!
//! Random numbers come from counter-based streams ([`glia_core::rng::CounterRng`] with
//! [`glia_core::rng::Purpose::Memory`]): the same seed gives the same result for any number of
//! threads. See `docs/memory.md` for the equations and measured results.

pub mod dense;
pub mod encoders;
pub mod error;
pub mod hopfield;
pub mod mnist;
pub mod sdr;
pub mod segments;
pub mod temporal_memory;
pub mod theory;

pub use error::{MemoryError, Result};
pub use sdr::Sdr;
