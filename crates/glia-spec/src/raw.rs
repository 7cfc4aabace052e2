//! The model file as written: plain serde structs that reject unknown fields.
//!
//! Field-by-field documentation with units and defaults is in `docs/model-format.md`.
//! Value-typed fields (numbers, arrays, distributions, files) are kept as raw TOML values here
//! and interpreted by [`crate::values`] during validation, so their errors carry exact paths.

use crate::{ModelError, Result};
use serde::Deserialize;
use std::collections::BTreeMap;

/// A whole model file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelFile {
    /// `[simulation]`.
    pub simulation: SimulationSpec,
    /// `\[parameters\]` after expansion (kept for the record in outputs).
    #[serde(default)]
    pub parameters: BTreeMap<String, f64>,
    /// `[[populations]]`.
    #[serde(default)]
    pub populations: Vec<PopulationSpec>,
    /// `[[inputs]]`.
    #[serde(default)]
    pub inputs: Vec<InputSpec>,
    /// `[[projections]]`.
    #[serde(default)]
    pub projections: Vec<ProjectionSpec>,
    /// `[[monitors]]`.
    #[serde(default)]
    pub monitors: Vec<MonitorSpec>,
}

/// `[simulation]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimulationSpec {
    /// Time step \[ms\]. Default 0.1.
    #[serde(default = "default_dt")]
    pub dt: f64,
    /// Simulated time \[ms\].
    pub duration: f64,
    /// Seed of every random stream. Default 1.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Worker threads; 0 = one per core. Default 1.
    #[serde(default = "default_threads")]
    pub threads: usize,
}

fn default_dt() -> f64 {
    0.1
}
fn default_seed() -> u64 {
    1
}
fn default_threads() -> usize {
    1
}
fn yes() -> bool {
    true
}

/// `[[populations]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PopulationSpec {
    /// Unique name.
    pub name: String,
    /// Number of neurons (≥ 1).
    pub size: i64,
    /// Neuron model (`lif`, `poisson`, `spike_generator`).
    pub model: String,
    /// Model parameters (checked by the model itself).
    #[serde(default)]
    pub params: toml::Table,
    /// Receptor ports by name.
    #[serde(default)]
    pub ports: BTreeMap<String, PortSpecRaw>,
    /// Initial values of state variables.
    #[serde(default)]
    pub initial: BTreeMap<String, toml::Value>,
}

/// One receptor port.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortSpecRaw {
    /// `"current"` (weights in pA) or `"conductance"` (weights in nS). Default current.
    #[serde(default = "default_port_type", rename = "type")]
    pub kind: String,
    /// Synaptic kernel; `"exp"`.
    #[serde(default = "default_kernel")]
    pub kernel: String,
    /// Synaptic time constant \[ms\].
    pub tau_syn: f64,
    /// Reversal potential \[mV\]; conductance ports only.
    #[serde(rename = "E_rev")]
    pub e_rev: Option<f64>,
}

fn default_port_type() -> String {
    "current".into()
}
fn default_kernel() -> String {
    "exp".into()
}

/// `[[inputs]]`, selected by `kind`.
#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum InputSpec {
    /// Independent Poisson spike trains injected into a receptor port of every target neuron.
    Poisson {
        /// Target population.
        target: String,
        /// Receptor port.
        port: String,
        /// Rate per source \[Hz\]: number, per-neuron array, distribution or file.
        rate: toml::Value,
        /// Number of independent sources per neuron (their sum is one Poisson train). Default 1.
        #[serde(default = "one")]
        sources: i64,
        /// Weight of each input spike \[pA or nS\].
        weight: f64,
        /// Start \[ms\]. Default 0.
        #[serde(default)]
        start: f64,
        /// Stop \[ms\]. Default: the end of the run.
        stop: Option<f64>,
    },
    /// A constant current from `start` to `stop`.
    Dc {
        /// Target population.
        target: String,
        /// Amplitude \[pA\].
        amplitude: f64,
        /// Start \[ms\]. Default 0.
        #[serde(default)]
        start: f64,
        /// Stop \[ms\]. Default: the end of the run.
        stop: Option<f64>,
        /// Neurons receiving it (indices in the population). Default: all.
        ids: Option<Vec<i64>>,
    },
    /// A piecewise-constant current: `amplitudes[k]` from `times[k]` on.
    StepCurrent {
        /// Target population.
        target: String,
        /// Change times \[ms\], increasing.
        times: Vec<f64>,
        /// Amplitudes \[pA\], same length as `times`.
        amplitudes: Vec<f64>,
        /// Neurons receiving it. Default: all.
        ids: Option<Vec<i64>>,
    },
}

fn one() -> i64 {
    1
}

/// `[[projections]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectionSpec {
    /// Unique name. Default `"{source}->{target}"` (with `#k` appended when repeated).
    pub name: Option<String>,
    /// Presynaptic population.
    pub source: String,
    /// Postsynaptic population.
    pub target: String,
    /// Receptor port on the target.
    pub port: String,
    /// Connection rule.
    pub connect: ConnectSpec,
    /// Weight [pA for current ports, nS for conductance ports]. Default 1 unless the rule gives
    /// weights.
    pub weight: Option<toml::Value>,
    /// Delay \[ms\]. Default: one step (dt).
    pub delay: Option<toml::Value>,
}

/// `connect = { rule = ..., ... }`.
#[derive(Debug, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case", deny_unknown_fields)]
pub enum ConnectSpec {
    /// Neuron i → neuron i (equal sizes).
    OneToOne,
    /// Every source → every target.
    AllToAll {
        /// Allow i → i when source and target are the same population. Default true.
        #[serde(default = "yes")]
        allow_self: bool,
    },
    /// Each pair independently with probability `p`.
    FixedProbability {
        /// Connection probability.
        p: f64,
        /// Allow i → i. Default true.
        #[serde(default = "yes")]
        allow_self: bool,
    },
    /// Each target gets exactly `indegree` randomly chosen sources.
    FixedIndegree {
        /// Sources per target.
        indegree: i64,
        /// Allow i → i. Default true.
        #[serde(default = "yes")]
        allow_self: bool,
        /// Allow the same pair more than once. Default true.
        #[serde(default = "yes")]
        allow_multapses: bool,
    },
    /// Each source gets exactly `outdegree` randomly chosen targets.
    FixedOutdegree {
        /// Targets per source.
        outdegree: i64,
        /// Allow i → i. Default true.
        #[serde(default = "yes")]
        allow_self: bool,
        /// Allow the same pair more than once. Default true.
        #[serde(default = "yes")]
        allow_multapses: bool,
    },
    /// Explicit arrays, from one `.npz` (`file`, arrays `sources`, `targets` and optionally
    /// `weights`, `delays`) or separate `.npy` files.
    Explicit {
        /// An `.npz` holding the arrays.
        file: Option<String>,
        /// `.npy` of source indices.
        sources: Option<String>,
        /// `.npy` of target indices.
        targets: Option<String>,
        /// `.npy` of weights.
        weights: Option<String>,
        /// `.npy` of delays \[ms\].
        delays: Option<String>,
    },
}

/// `[[monitors]]`, selected by `kind`.
#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum MonitorSpec {
    /// Spike times and neuron ids.
    Spikes {
        /// Population.
        population: String,
        /// Neurons to record. Default: all.
        ids: Option<Vec<i64>>,
    },
    /// State variables sampled every `interval`.
    State {
        /// Name in `state.npz`. Default: the population name.
        name: Option<String>,
        /// Population.
        population: String,
        /// Variables (`v`, `I_exc`, `g_inh`, ...).
        variables: Vec<String>,
        /// Neurons to record.
        ids: Vec<i64>,
        /// Sampling interval \[ms\]. Default dt.
        interval: Option<f64>,
    },
    /// Population rate in bins.
    Rate {
        /// Population.
        population: String,
        /// Bin width \[ms\]. Default dt.
        bin: Option<f64>,
    },
}

/// Deserialize an expanded table, reporting the path of the first bad field.
pub fn from_table(table: toml::Table) -> Result<ModelFile> {
    serde_path_to_error::deserialize(toml::Value::Table(table)).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let msg = inner.message().to_string();
        ModelError::invalid(
            if path == "." {
                "<model>".to_string()
            } else {
                path
            },
            msg,
        )
    })
}
