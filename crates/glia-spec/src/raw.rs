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
    /// `[[grids]]`: neuron positions on regular 3-D grids.
    #[serde(default)]
    pub grids: Vec<GridSpec>,
    /// `[[modulators]]`: named scalar signals that plasticity rules read.
    #[serde(default)]
    pub modulators: Vec<ModulatorSpec>,
}

/// `[[modulators]]`, selected by `kind`.
#[derive(Debug)]
pub enum ModulatorSpec {
    /// A leaky integrator of the spikes of some populations (weighted), with a bias: population
    /// activity, an astrocyte.
    Activity(ActivityModulator),
    /// Exponentially decaying pulses at given times (reward, dopamine).
    Pulses(PulsesModulator),
    /// A piecewise-constant time series (an error or teaching signal).
    Series(SeriesModulator),
    /// Dopamine-like pulses delivered a random delay after a pre→post spike pairing of two
    /// given neurons (the distal reward of Izhikevich 2007).
    Reward(RewardModulator),
}

/// One neuron: `{ population = "...", id = k }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NeuronRef {
    /// Population.
    pub population: String,
    /// Index in the population.
    pub id: i64,
}

/// `kind = "reward"`: decays to 0 with `tau`; `amount` is added `delay_min..delay_max` after
/// every spike of `post` that follows a spike of `pre` within `window`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RewardModulator {
    /// Channel name.
    pub name: String,
    /// Decay time constant \[ms\].
    pub tau: f64,
    /// The presynaptic neuron of the rewarded pairing.
    pub pre: NeuronRef,
    /// The postsynaptic neuron.
    pub post: NeuronRef,
    /// Largest pre → post interval that is rewarded \[ms\]. Default 10.
    #[serde(default = "ten")]
    pub window: f64,
    /// Shortest reward delay \[ms\]. Default 1000.
    #[serde(default = "thousand")]
    pub delay_min: f64,
    /// Longest reward delay \[ms\]. Default 3000.
    #[serde(default = "three_thousand")]
    pub delay_max: f64,
    /// Pulse size. Default 0.5.
    #[serde(default = "half")]
    pub amount: f64,
}

fn ten() -> f64 {
    10.0
}
fn thousand() -> f64 {
    1000.0
}
fn three_thousand() -> f64 {
    3000.0
}
fn half() -> f64 {
    0.5
}

/// One population feeding an `activity` modulator.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivitySource {
    /// Population.
    pub population: String,
    /// Weight of each of its spikes (negative: subtracts). Default 1.
    #[serde(default = "one_f64")]
    pub weight: f64,
}

/// `kind = "activity"`: `τ dm/dt = bias − m + Σ_p weight_p · (spikes of p)`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivityModulator {
    /// Channel name.
    pub name: String,
    /// Time constant \[ms\].
    pub tau: f64,
    /// Resting value. Default 0.
    #[serde(default)]
    pub bias: f64,
    /// Populations and weights.
    pub sources: Vec<ActivitySource>,
    /// `"count"` (default): each spike adds `weight/τ`; `"rate"`: weights are per Hz of the
    /// population's mean rate (each spike adds `weight·1000/(N·τ)`, so `m` follows the
    /// filtered rate in Hz for weight 1).
    #[serde(default = "count")]
    pub normalize: String,
    /// Value at time 0. Default: `bias`.
    pub initial: Option<f64>,
}

fn count() -> String {
    "count".into()
}

/// `kind = "pulses"`: `m` decays to 0 with `tau` and jumps by `amounts[k]` at `times[k]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PulsesModulator {
    /// Channel name.
    pub name: String,
    /// Decay time constant \[ms\].
    pub tau: f64,
    /// Pulse times \[ms\], non-decreasing. Default none (pulses may come from the API).
    #[serde(default)]
    pub times: Vec<f64>,
    /// Jump of each pulse: one number for all, or one per time. Default 1.
    pub amounts: Option<toml::Value>,
    /// Value at time 0. Default 0.
    #[serde(default)]
    pub initial: f64,
}

/// `kind = "series"`: a piecewise-constant signal.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeriesModulator {
    /// Channel name.
    pub name: String,
    /// Change times \[ms\], increasing (with `values`).
    pub times: Option<Vec<f64>>,
    /// `values[k]` holds from `times[k]` on.
    pub values: Option<Vec<f64>>,
    /// A 1-D `.npy` of values, one per `interval`, from time 0 (instead of times/values).
    pub file: Option<String>,
    /// Sampling interval of `file` \[ms\]. Default dt.
    pub interval: Option<f64>,
    /// Value before the first change. Default 0.
    #[serde(default)]
    pub initial: f64,
}

/// `[[grids]]`: places the neurons of some populations on the points of a regular 3-D grid.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GridSpec {
    /// Name (for messages). Default `"grids[k]"`.
    pub name: Option<String>,
    /// Points along x, y, z (each ≥ 1); their product is the number of neurons placed.
    pub shape: Vec<i64>,
    /// Distance between neighbouring points. Default 1.
    #[serde(default = "one_f64")]
    pub spacing: f64,
    /// Populations placed on the grid, in this order; their sizes must add up to the number of
    /// points.
    pub populations: Vec<String>,
    /// Randomly permute the points before handing them out (random E/I labels over the grid).
    /// Default false: populations take the points in row-major order.
    #[serde(default)]
    pub shuffle: bool,
}

fn one_f64() -> f64 {
    1.0
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
    /// Synaptic kernel: `"exp"` (default), `"alpha"` or `"delta"`.
    #[serde(default = "default_kernel")]
    pub kernel: String,
    /// Synaptic time constant \[ms\] (`exp` and `alpha`; none for `delta`).
    pub tau_syn: Option<f64>,
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
#[derive(Debug)]
pub enum InputSpec {
    /// Independent Poisson spike trains injected into a receptor port of every target neuron.
    Poisson(PoissonInput),
    /// A constant current from `start` to `stop`.
    Dc(DcInput),
    /// A piecewise-constant current: `amplitudes[k]` from `times[k]` on.
    StepCurrent(StepCurrentInput),
    /// Gaussian white-noise current.
    Noise(NoiseInput),
}

/// Independent Poisson spike trains injected into a receptor port of every target neuron.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoissonInput {
    /// Target population.
    pub target: String,
    /// Receptor port.
    pub port: String,
    /// Rate per source \[Hz\]: number, per-neuron array, distribution or file.
    pub rate: toml::Value,
    /// Number of independent sources per neuron (their sum is one Poisson train). Default 1.
    #[serde(default = "one")]
    pub sources: i64,
    /// Weight of each input spike \[pA or nS\].
    pub weight: f64,
    /// Start \[ms\]. Default 0.
    #[serde(default)]
    pub start: f64,
    /// Stop \[ms\]. Default: the end of the run.
    pub stop: Option<f64>,
}

/// A constant current from `start` to `stop`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DcInput {
    /// Target population.
    pub target: String,
    /// Amplitude \[pA\].
    pub amplitude: f64,
    /// Start \[ms\]. Default 0.
    #[serde(default)]
    pub start: f64,
    /// Stop \[ms\]. Default: the end of the run.
    pub stop: Option<f64>,
    /// Neurons receiving it (indices in the population). Default: all.
    pub ids: Option<Vec<i64>>,
}

/// A Gaussian white-noise current: each step, each neuron gets `mean + std·ξ`, `ξ ~ N(0, 1)`
/// drawn independently per neuron and step, held constant over the step.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoiseInput {
    /// Target population.
    pub target: String,
    /// Mean \[pA\] (or the model's current unit). Default 0.
    #[serde(default)]
    pub mean: f64,
    /// Standard deviation per step \[pA\] (or the model's current unit).
    pub std: f64,
    /// Start \[ms\]. Default 0.
    #[serde(default)]
    pub start: f64,
    /// Stop \[ms\]. Default: the end of the run.
    pub stop: Option<f64>,
    /// Neurons receiving it. Default: all.
    pub ids: Option<Vec<i64>>,
}

/// A piecewise-constant current: `amplitudes[k]` from `times[k]` on.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepCurrentInput {
    /// Target population.
    pub target: String,
    /// Change times \[ms\], increasing.
    pub times: Vec<f64>,
    /// Amplitudes \[pA\], same length as `times`.
    pub amplitudes: Vec<f64>,
    /// Neurons receiving it. Default: all.
    pub ids: Option<Vec<i64>>,
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
    /// Rescale the weights so that the projection's matrix (recurrent: source = target) has
    /// this spectral radius.
    pub spectral_radius: Option<f64>,
    /// Synaptic plasticity: `{ rule = "stdp", ... }` (see `docs/plasticity.md`). The rule's own
    /// parameters are checked by the engine's rule, like neuron `params`.
    pub plasticity: Option<toml::Table>,
    /// Tsodyks–Markram short-term plasticity.
    pub stp: Option<StpSpec>,
}

/// `stp = { U = ..., tau_rec = ..., tau_fac = ... }`: Tsodyks–Markram short-term plasticity.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StpSpec {
    /// Utilisation increment per spike (release probability of a rested synapse).
    #[serde(rename = "U")]
    pub u: f64,
    /// Recovery time constant of the resources x \[ms\].
    pub tau_rec: f64,
    /// Facilitation time constant of u \[ms\]; 0 = no facilitation (u = U at every spike).
    /// Default 0.
    #[serde(default)]
    pub tau_fac: f64,
}

/// `connect = { rule = ..., ... }`.
#[derive(Debug)]
pub enum ConnectSpec {
    /// Neuron i → neuron i (equal sizes).
    OneToOne(OneToOneRule),
    /// Every source → every target.
    AllToAll(AllToAllRule),
    /// Each pair independently with probability `p`.
    FixedProbability(FixedProbabilityRule),
    /// Each target gets exactly `indegree` randomly chosen sources.
    FixedIndegree(FixedIndegreeRule),
    /// Each source gets exactly `outdegree` randomly chosen targets.
    FixedOutdegree(FixedOutdegreeRule),
    /// Exactly `n` synapses in total, each with a uniformly drawn source and target.
    FixedTotalNumber(FixedTotalNumberRule),
    /// Explicit arrays, from one `.npz` (`file`, arrays `sources`, `targets` and optionally
    /// `weights`, `delays`) or separate `.npy` files.
    Explicit(ExplicitRule),
    /// Each pair independently with probability `c·exp(−(D/λ)²)`, `D` the distance between
    /// the neurons' grid positions.
    Distance(DistanceRule),
}

/// Each pair independently with probability `c·exp(−(D/λ)²)` (positions from `[[grids]]`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DistanceRule {
    /// Probability at distance 0.
    pub c: f64,
    /// Length constant λ (grid units).
    pub lambda: f64,
    /// Allow i → i. Default true.
    #[serde(default = "yes")]
    pub allow_self: bool,
}

/// Neuron i → neuron i (equal sizes).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OneToOneRule {}

/// Every source → every target.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllToAllRule {
    /// Allow i → i when source and target are the same population. Default true.
    #[serde(default = "yes")]
    pub allow_self: bool,
}

/// Each pair independently with probability `p`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixedProbabilityRule {
    /// Connection probability.
    pub p: f64,
    /// Allow i → i. Default true.
    #[serde(default = "yes")]
    pub allow_self: bool,
}

/// Each target gets exactly `indegree` randomly chosen sources.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixedIndegreeRule {
    /// Sources per target.
    pub indegree: i64,
    /// Allow i → i. Default true.
    #[serde(default = "yes")]
    pub allow_self: bool,
    /// Allow the same pair more than once. Default true.
    #[serde(default = "yes")]
    pub allow_multapses: bool,
}

/// Each source gets exactly `outdegree` randomly chosen targets.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixedOutdegreeRule {
    /// Targets per source.
    pub outdegree: i64,
    /// Allow i → i. Default true.
    #[serde(default = "yes")]
    pub allow_self: bool,
    /// Allow the same pair more than once. Default true.
    #[serde(default = "yes")]
    pub allow_multapses: bool,
}

/// Exactly `n` synapses in total, each with a source and a target drawn uniformly and
/// independently (NEST's `fixed_total_number`; multapses always allowed).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixedTotalNumberRule {
    /// Total number of synapses.
    pub n: i64,
    /// Allow i → i. Default true.
    #[serde(default = "yes")]
    pub allow_self: bool,
}

/// Explicit arrays, from one `.npz` (`file`, arrays `sources`, `targets` and optionally
/// `weights`, `delays`) or separate `.npy` files.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExplicitRule {
    /// An `.npz` holding the arrays.
    pub file: Option<String>,
    /// `.npy` of source indices.
    pub sources: Option<String>,
    /// `.npy` of target indices.
    pub targets: Option<String>,
    /// `.npy` of weights.
    pub weights: Option<String>,
    /// `.npy` of delays \[ms\].
    pub delays: Option<String>,
}

/// `[[monitors]]`, selected by `kind`.
#[derive(Debug)]
pub enum MonitorSpec {
    /// Spike times and neuron ids.
    Spikes(SpikesMonitor),
    /// State variables sampled every `interval`.
    State(StateMonitor),
    /// Population rate in bins.
    Rate(RateMonitor),
}

/// Spike times and neuron ids.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpikesMonitor {
    /// Population.
    pub population: String,
    /// Neurons to record. Default: all.
    pub ids: Option<Vec<i64>>,
}

/// State variables sampled every `interval`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateMonitor {
    /// Name in `state.npz`. Default: the population name.
    pub name: Option<String>,
    /// Population.
    pub population: String,
    /// Variables (`v`, `I_exc`, `g_inh`, ...).
    pub variables: Vec<String>,
    /// Neurons to record.
    pub ids: Vec<i64>,
    /// Sampling interval \[ms\]. Default dt.
    pub interval: Option<f64>,
}

/// Population rate in bins.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateMonitor {
    /// Population.
    pub population: String,
    /// Bin width \[ms\]. Default dt.
    pub bin: Option<f64>,
}

/// Marks the inner field path in an error raised while deserialising a tagged table, so that
/// [`from_table`] can report `outer.path.field` instead of the enclosing table.
const FIELD_MARK: char = '\u{1f}';

/// The fields of one variant of a tagged table, with the path of a bad field kept.
fn variant_fields<T: serde::de::DeserializeOwned, E: serde::de::Error>(
    t: toml::Table,
) -> std::result::Result<T, E> {
    serde_path_to_error::deserialize(toml::Value::Table(t)).map_err(|e| {
        let path = e.path().to_string();
        let msg = e.into_inner().message().to_string();
        E::custom(if path == "." {
            msg
        } else {
            format!("{FIELD_MARK}{path}{FIELD_MARK}{msg}")
        })
    })
}

/// `Deserialize` for an enum selected by a tag field (`kind = "..."`, `rule = "..."`), each
/// variant holding a struct that rejects unknown fields. Unlike serde's internally tagged
/// enums, errors keep the path of the offending field.
macro_rules! tagged {
    ($enum:ident, $tag:literal, { $($name:literal => $variant:ident($ty:ty)),* $(,)? }) => {
        impl<'de> Deserialize<'de> for $enum {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
                use serde::de::Error;
                let mut t = toml::Table::deserialize(d)?;
                let known = [$($name),*];
                let tag = match t.remove($tag) {
                    Some(toml::Value::String(s)) => s,
                    Some(other) => {
                        return Err(D::Error::custom(format!(
                            "`{}` must be one of {}, got {other}",
                            $tag,
                            known.join(", ")
                        )));
                    }
                    None => {
                        return Err(D::Error::custom(format!("missing `{}` (one of {})", $tag, known.join(", "))));
                    }
                };
                match tag.as_str() {
                    $($name => variant_fields::<$ty, D::Error>(t).map($enum::$variant),)*
                    other => Err(D::Error::custom(format!(
                        "unknown {} \"{other}\"; expected one of {}",
                        $tag,
                        known.join(", ")
                    ))),
                }
            }
        }
    };
}

tagged!(InputSpec, "kind", { "poisson" => Poisson(PoissonInput), "dc" => Dc(DcInput), "step_current" => StepCurrent(StepCurrentInput), "noise" => Noise(NoiseInput) });
tagged!(ConnectSpec, "rule", { "one_to_one" => OneToOne(OneToOneRule), "all_to_all" => AllToAll(AllToAllRule), "fixed_probability" => FixedProbability(FixedProbabilityRule), "fixed_indegree" => FixedIndegree(FixedIndegreeRule), "fixed_outdegree" => FixedOutdegree(FixedOutdegreeRule), "fixed_total_number" => FixedTotalNumber(FixedTotalNumberRule), "explicit" => Explicit(ExplicitRule), "distance" => Distance(DistanceRule) });
tagged!(ModulatorSpec, "kind", { "activity" => Activity(ActivityModulator), "pulses" => Pulses(PulsesModulator), "series" => Series(SeriesModulator), "reward" => Reward(RewardModulator) });
tagged!(MonitorSpec, "kind", { "spikes" => Spikes(SpikesMonitor), "state" => State(StateMonitor), "rate" => Rate(RateMonitor) });

/// Deserialize an expanded table, reporting the path of the first bad field.
pub fn from_table(table: toml::Table) -> Result<ModelFile> {
    serde_path_to_error::deserialize(toml::Value::Table(table)).map_err(|e| {
        let mut path = e.path().to_string();
        let mut msg = e.into_inner().message().to_string();
        if let Some(rest) = msg.strip_prefix(FIELD_MARK)
            && let Some((inner, m)) = rest.split_once(FIELD_MARK)
        {
            path = format!("{path}.{inner}");
            msg = m.to_string();
        }
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
