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
//!
//! ```
//! use glia_core::rng::{CounterRng, Purpose};
//! use glia_memory::temporal_memory::{TemporalMemory, TmParams};
//! use glia_memory::{Sdr, theory};
//!
//! // How likely is a random 128-of-4000 pattern to trigger a 24-synapse segment at θ = 12?
//! let p = theory::p_false_match(4000, 128, 24, 12)?;
//! assert!(p > 1e-12 && p < 2e-12);
//!
//! // Learn the sequence x → y → z and predict z after y.
//! let mut rng = CounterRng::new(1, Purpose::Memory, 0, 0, 0);
//! let seq: Vec<Sdr> = (0..3).map(|_| Sdr::random(2048, 40, &mut rng)).collect::<Result<_, _>>()?;
//! let mut tm = TemporalMemory::new(TmParams::default())?;
//! for _ in 0..5 {
//!     tm.reset();
//!     for x in &seq {
//!         tm.compute(x, true)?;
//!     }
//! }
//! tm.reset();
//! tm.compute(&seq[0], false)?;
//! tm.compute(&seq[1], false)?;
//! assert_eq!(tm.predicted_columns().overlap(&seq[2]), 40);
//! # Ok::<(), glia_memory::MemoryError>(())
//! ```

pub mod ca3;
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
