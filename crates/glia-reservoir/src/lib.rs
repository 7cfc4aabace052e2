//! Reservoir computing on glia: readouts (ridge with cross-validation, logistic regression,
//! RLS), generated tasks (memory capacity, NARMA-10, Mackey–Glass), metrics, the
//! self-adapting E/I balance of Srinivasan, Plenz & Girvan (2025), and TOML experiments run by
//! `glia run`.
//!
//! The reservoir dynamics are glia-sim's (rate populations, see `docs/model-format.md`);
//! [`esn::Esn`] feeds a time series into a network step by step and collects features.
//! See `docs/reservoir.md`.

pub mod adapt;
pub mod error;
pub mod esn;
pub mod experiment;
pub mod fast;
pub mod force;
pub mod metrics;
pub mod readout;
pub mod tasks;

pub use error::{ReservoirError, Result};
