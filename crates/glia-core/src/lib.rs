//! glia-core: the few things every other glia crate shares.
//!
//! - [`rng`]: counter-based random streams (Philox4x32-10). A random number is a pure function of
//!   `(seed, purpose, id, index, step, draw)`, so results do not depend on the order in which
//!   neurons or synapses are visited, and therefore not on the number of threads.
//! - [`time`]: conversion between milliseconds and integer simulation steps.
//! - [`fastmath`]: a vectorisable `exp` used in neuron update loops.

#![allow(clippy::needless_range_loop)] // hot loops index several arrays in lockstep

pub mod fastmath;
pub mod rng;
pub mod time;

pub use rng::{CounterRng, Purpose};
