//! glia-sim: the runtime engine.
//!
//! [`build::build`] lowers a validated [`glia_spec::Model`] into a [`Network`]: neurons stored as
//! struct-of-arrays in blocks of [`BLOCK`] neurons, static synapses in CSR by presynaptic neuron
//! with integer delays, receptor-port ring buffers, inputs and monitors. [`Network::run`] then
//! advances it with a fixed step.
//!
//! ## One step (step `s` advances time from `s·dt` to `(s+1)·dt`)
//! 1. Current inputs that change at step `s` update the external current of their neurons.
//! 2. Every block (in parallel when threads > 1): Poisson drives add their spikes to the
//!    current ring-buffer slot; the neuron model integrates the membrane over the step, then
//!    adds the slot's synaptic input to the synaptic variables and clears the slot; neurons at
//!    or above threshold spike (time stamp `(s+1)·dt`), are reset and become refractory.
//! 3. Spikes are gathered per population in neuron order and counted.
//! 4. Delivery (in parallel over stripes of target blocks, one per thread): a spike of neuron
//!    `i` at step `s` adds `w` to slot `s + d` of each target's port, so it changes the synaptic
//!    variable at the end of step `s + d`: exactly `d·dt` after the spike time. Projections
//!    with short-term plasticity first update their presynaptic `u`, `x` and deliver `w·u·x`
//!    (see [`stp`]).
//! 5. Modulator channels advance over the step (see [`modulators`]).
//! 6. Plasticity (serial): plastic projections update their weights at pre- and postsynaptic
//!    events and deliver their spikes (see [`plasticity`] for the delay semantics); rule
//!    parameters bound to modulators take the channels' values first.
//! 7. Monitors record.
//!
//! Results are bit-identical for any thread count: random numbers come from counter-based
//! streams ([`glia_core::rng`]), each target is written by exactly one thread, and every
//! target's inputs are summed in the same order (projection, source neuron, synapse).
//! With threads > 1 one persistent team of threads runs the whole step loop, the phases
//! separated by a barrier that spins before it sleeps; when the machine's cores are taken by
//! other work, the team's leader runs windows of steps alone instead (see `team.rs`).

#![allow(clippy::needless_range_loop)] // hot loops index several arrays in lockstep

mod access;
pub mod build;
pub mod comm;
pub mod connect;
pub mod csr;
pub mod distributed;
pub mod health;
pub mod modulators;
pub mod monitors;
mod network;
pub mod neurons;
pub mod output;
pub mod plasticity;
pub mod sink;
pub mod spectral;
pub mod stp;
mod team;

pub use comm::Communicator;
pub use csr::{Csr, Delays, Weights};
pub use network::{Network, PopInfo, Progress, Proj, RunStats};

/// Neurons per block: the unit of parallel work and of state storage.
pub const BLOCK: usize = 1024;
/// `log2(BLOCK)`.
pub const BLOCK_SHIFT: u32 = 10;
