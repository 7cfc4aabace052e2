//! From the model file as written to a [`Model`] the engine can lower without further checks
//! (apart from what each neuron model checks of its own parameters).

use crate::raw::{
    AllToAllRule, ConnectSpec, DcInput, DistanceRule, ExplicitRule, FixedIndegreeRule,
    FixedOutdegreeRule, FixedProbabilityRule, FixedTotalNumberRule, InputSpec, ModelFile,
    MonitorSpec, NoiseInput, PoissonInput, PopulationSpec, RateMonitor, SpikesMonitor,
    StateMonitor, StepCurrentInput,
};
use crate::values::{self, Values, show};
use crate::{ModelError, Overrides, Result};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// Most worker threads a model may ask for.
pub const MAX_THREADS: usize = 1024;

/// Largest delay, in steps.
pub const MAX_DELAY_STEPS: u64 = u16::MAX as u64;

/// A validated model.
#[derive(Clone, Debug)]
pub struct Model {
    /// Time step \[ms\].
    pub dt: f64,
    /// Simulated time \[ms\] (a whole number of steps).
    pub duration: f64,
    /// Number of steps.
    pub steps: u64,
    /// Seed of all random streams.
    pub seed: u64,
    /// Worker threads (≥ 1; 0 in the file means one per core).
    pub threads: usize,
    /// `\[parameters\]` after overrides.
    pub parameters: BTreeMap<String, f64>,
    /// Populations, in file order.
    pub populations: Vec<Population>,
    /// Inputs.
    pub inputs: Vec<Input>,
    /// Projections.
    pub projections: Vec<Projection>,
    /// Monitors.
    pub monitors: Vec<Monitor>,
    /// Grids that give populations positions (`[[grids]]`).
    pub grids: Vec<Grid>,
    /// Modulator channels (`[[modulators]]`).
    pub modulators: Vec<crate::modulators::Modulator>,
    /// Directory that relative paths in the model are resolved against.
    pub base_dir: PathBuf,
}

/// A regular 3-D grid whose points are handed out to populations.
#[derive(Clone, Debug)]
pub struct Grid {
    /// Name.
    pub name: String,
    /// Points along x, y, z.
    pub shape: [usize; 3],
    /// Distance between neighbouring points.
    pub spacing: f64,
    /// Population indices, in the order they take points.
    pub populations: Vec<usize>,
    /// Permute the points randomly first (stream `(seed, Layout, grid index)`).
    pub shuffle: bool,
    /// Where in the model, e.g. `grids[0]`.
    pub path: String,
}

/// A population: model name and raw parameters (the neuron model validates them).
#[derive(Clone, Debug)]
pub struct Population {
    /// Unique name.
    pub name: String,
    /// Number of neurons.
    pub size: usize,
    /// Model name.
    pub model: String,
    /// Model parameters, unchecked.
    pub params: toml::Table,
    /// Receptor ports as written (empty: the model's defaults).
    pub ports: Vec<PortSpec>,
    /// Initial values by state-variable name (names checked by the model).
    pub initial: Vec<(String, Values)>,
    /// `populations[i]`, for messages.
    pub path: String,
}

/// How a receptor port turns a weight into an effect.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SynapseKind {
    /// Weight is a current jump \[pA\].
    Current,
    /// Weight is a conductance jump \[nS\]; driving force `E_rev − v`.
    Conductance {
        /// Reversal potential \[mV\].
        e_rev: f64,
    },
}

/// The time course of a port's response to one spike of weight `w`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kernel {
    /// `w·e^{−t/τ}`.
    Exp,
    /// `w·(t/τ)·e^{1−t/τ}`: rises to its peak `w` at `t = τ`.
    Alpha,
    /// Instantaneous: the membrane potential jumps by `w` \[mV\] (current ports only).
    Delta,
}

/// A receptor port.
#[derive(Clone, Debug, PartialEq)]
pub struct PortSpec {
    /// Port name (`exc`, `inh`, ...).
    pub name: String,
    /// Current or conductance.
    pub kind: SynapseKind,
    /// Time course.
    pub kernel: Kernel,
    /// Time constant \[ms\] (unused, 0, for [`Kernel::Delta`]).
    pub tau_syn: f64,
}

impl PortSpec {
    /// A current port with an exponential kernel.
    pub fn current_exp(name: &str, tau_syn: f64) -> Self {
        Self {
            name: name.into(),
            kind: SynapseKind::Current,
            kernel: Kernel::Exp,
            tau_syn,
        }
    }

    /// A conductance port with an exponential kernel.
    pub fn conductance_exp(name: &str, tau_syn: f64, e_rev: f64) -> Self {
        Self {
            name: name.into(),
            kind: SynapseKind::Conductance { e_rev },
            kernel: Kernel::Exp,
            tau_syn,
        }
    }
}

/// A validated input.
#[derive(Clone, Debug)]
pub struct Input {
    /// Target population index.
    pub target: usize,
    /// What it injects.
    pub kind: InputKind,
    /// `inputs[i]`, for messages.
    pub path: String,
}

/// What an input injects.
#[derive(Clone, Debug)]
pub enum InputKind {
    /// Poisson spikes into a port.
    Poisson {
        /// Port name (checked by the engine).
        port: String,
        /// Rate per source \[Hz\].
        rate: Values,
        /// Independent sources per neuron.
        sources: u64,
        /// Weight per spike.
        weight: f64,
        /// First step with input.
        start: u64,
        /// First step without input.
        stop: u64,
    },
    /// A Gaussian current, `mean + std·ξ` per neuron and step \[pA\].
    Noise {
        /// Neurons (all when `None`).
        ids: Option<Vec<u32>>,
        /// Mean.
        mean: f64,
        /// Standard deviation.
        std: f64,
        /// First step with input.
        start: u64,
        /// First step without input.
        stop: u64,
    },
    /// A piecewise-constant current \[pA\]: `(first step, amplitude)`, increasing steps.
    Current {
        /// Neurons (all when `None`).
        ids: Option<Vec<u32>>,
        /// Change points.
        changes: Vec<(u64, f64)>,
    },
}

/// A validated projection.
#[derive(Clone, Debug)]
pub struct Projection {
    /// Unique name.
    pub name: String,
    /// Source population index.
    pub source: usize,
    /// Target population index.
    pub target: usize,
    /// Receptor port name on the target (checked by the engine).
    pub port: String,
    /// Connection rule.
    pub connect: Connect,
    /// Weights.
    pub weight: Values,
    /// Delays \[ms\], each ≥ dt.
    pub delay: Values,
    /// Spectral radius to rescale the (recurrent) weight matrix to.
    pub spectral_radius: Option<f64>,
    /// Tsodyks–Markram short-term plasticity, if any.
    pub stp: Option<Stp>,
    /// Plasticity rule, if the weights are plastic.
    pub plasticity: Option<Plasticity>,
    /// `projections[i]`, for messages.
    pub path: String,
}

/// Tsodyks–Markram short-term plasticity parameters of one projection.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stp {
    /// Utilisation increment `U` in (0, 1].
    pub u: f64,
    /// Recovery time constant \[ms\] (> 0).
    pub tau_rec: f64,
    /// Facilitation time constant \[ms\] (≥ 0; 0 = none).
    pub tau_fac: f64,
}

/// A projection's `plasticity` table: the fields every rule shares, validated here, and the
/// rule's own parameters, which the engine's rule deserialises (rejecting unknown fields).
#[derive(Clone, Debug)]
pub struct Plasticity {
    /// Rule name (`"stdp"`, `"triplet"`, `"vogels"`, ...).
    pub rule: String,
    /// Lower weight bound (default 0).
    pub w_min: f64,
    /// Upper weight bound (default +inf).
    pub w_max: f64,
    /// Dendritic part of the delay \[ms\] (default 0: the whole delay is axonal).
    pub dendritic_delay: f64,
    /// Dendritic part of the delay in steps (≤ the delay in steps).
    pub dendritic_steps: u16,
    /// The remaining fields: the rule's own parameters.
    pub params: toml::Table,
    /// `modulate = { param = "channel" }`: rule parameters driven by modulator channels, in
    /// file order (the engine checks that the rule has the parameter and the channel exists).
    pub modulate: Vec<(String, String)>,
    /// `projections[i].plasticity`, for messages.
    pub path: String,
}

/// A validated connection rule.
#[derive(Clone, Debug)]
pub enum Connect {
    /// i → i.
    OneToOne,
    /// All pairs.
    AllToAll {
        /// Allow i → i.
        allow_self: bool,
    },
    /// Bernoulli per pair.
    FixedProbability {
        /// Probability.
        p: f64,
        /// Allow i → i.
        allow_self: bool,
    },
    /// Fixed number of sources per target.
    FixedIndegree {
        /// Sources per target.
        indegree: u64,
        /// Allow i → i.
        allow_self: bool,
        /// Allow repeated pairs.
        allow_multapses: bool,
    },
    /// Fixed number of targets per source.
    FixedOutdegree {
        /// Targets per source.
        outdegree: u64,
        /// Allow i → i.
        allow_self: bool,
        /// Allow repeated pairs.
        allow_multapses: bool,
    },
    /// Fixed total number of synapses, sources and targets drawn uniformly (with multapses).
    FixedTotalNumber {
        /// Total number of synapses.
        n: u64,
        /// Allow i → i.
        allow_self: bool,
    },
    /// Explicit synapses.
    Explicit {
        /// Source indices.
        sources: Vec<u32>,
        /// Target indices.
        targets: Vec<u32>,
        /// Per-synapse weights, if given.
        weights: Option<Vec<f64>>,
        /// Per-synapse delays \[ms\], if given.
        delays: Option<Vec<f64>>,
    },
    /// Bernoulli per pair with probability `c·exp(−(D/λ)²)`, `D` the distance between grid
    /// positions.
    Distance {
        /// Probability at distance 0.
        c: f64,
        /// Length constant λ.
        lambda: f64,
        /// Allow i → i.
        allow_self: bool,
    },
}

/// A validated monitor.
#[derive(Clone, Debug)]
pub struct Monitor {
    /// Population index.
    pub population: usize,
    /// What it records.
    pub kind: MonitorKind,
    /// `monitors[i]`, for messages.
    pub path: String,
}

/// What a monitor records.
#[derive(Clone, Debug)]
pub enum MonitorKind {
    /// Spikes of `ids` (all when `None`).
    Spikes {
        /// Recorded neurons.
        ids: Option<Vec<u32>>,
    },
    /// State variables.
    State {
        /// Name of the monitor.
        name: String,
        /// Variables.
        variables: Vec<String>,
        /// Recorded neurons.
        ids: Vec<u32>,
        /// Sampling interval in steps.
        every: u64,
    },
    /// Population rate.
    Rate {
        /// Bin width in steps.
        bin: u64,
    },
}

fn positive(x: f64, path: &str, unit: &str) -> Result<f64> {
    if !x.is_finite() || x <= 0.0 {
        return Err(ModelError::invalid(
            path,
            format!(
                "must be > 0{}{unit}, got {x}",
                if unit.is_empty() { "" } else { " " }
            ),
        ));
    }
    Ok(x)
}

fn time_steps(t: f64, dt: f64, path: &str) -> Result<u64> {
    if !t.is_finite() || t < 0.0 {
        return Err(ModelError::invalid(
            path,
            format!("must be a time ≥ 0 ms, got {t}"),
        ));
    }
    let (s, _) = glia_core::time::to_steps(t, dt);
    Ok(s as u64)
}

fn ids(list: &[i64], size: usize, path: &str) -> Result<Vec<u32>> {
    if list.is_empty() {
        return Err(ModelError::invalid(
            path,
            "must name at least one neuron, got []",
        ));
    }
    let mut seen = HashMap::with_capacity(list.len());
    list.iter()
        .enumerate()
        .map(|(k, &i)| {
            if i < 0 || i as u64 >= size as u64 {
                return Err(ModelError::invalid(
                    format!("{path}[{k}]"),
                    format!("neuron index must be in 0..{size}, got {i}"),
                ));
            }
            // A repeated id would, e.g., inject a current twice into one neuron.
            if let Some(first) = seen.insert(i, k) {
                return Err(ModelError::invalid(
                    format!("{path}[{k}]"),
                    format!("neuron {i} is already listed at {path}[{first}], got {i} again"),
                ));
            }
            Ok(i as u32)
        })
        .collect()
}

/// Validate a deserialised model file.
pub fn validate(raw: ModelFile, base_dir: &Path, ov: &Overrides) -> Result<Model> {
    let sim = &raw.simulation;
    let dt = positive(sim.dt, "simulation.dt", "ms")?;
    let duration = positive(
        ov.duration.unwrap_or(sim.duration),
        "simulation.duration",
        "ms",
    )?;
    let (steps, _) = glia_core::time::to_steps(duration, dt);
    if steps < 1 {
        return Err(ModelError::invalid(
            "simulation.duration",
            format!("must be at least one step (dt = {dt} ms), got {duration}"),
        ));
    }
    let steps = steps as u64;
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let threads = match ov.threads.unwrap_or(sim.threads) {
        0 => cores,
        n if n > MAX_THREADS => {
            return Err(ModelError::invalid(
                "simulation.threads",
                format!(
                    "must be at most {MAX_THREADS} (this machine has {cores} cores; 0 = one per core), got {n}"
                ),
            ));
        }
        n => n,
    };
    let seed = ov.seed.unwrap_or(sim.seed);

    // Populations.
    let mut by_name: HashMap<&str, usize> = HashMap::new();
    let mut populations = Vec::with_capacity(raw.populations.len());
    if raw.populations.is_empty() {
        return Err(ModelError::invalid(
            "populations",
            "the model has no populations",
        ));
    }
    for (i, p) in raw.populations.iter().enumerate() {
        let path = format!("populations[{i}]");
        populations.push(population(p, &path, base_dir)?);
        if by_name.insert(p.name.as_str(), i).is_some() {
            return Err(ModelError::invalid(
                format!("{path}.name"),
                format!("duplicate population name \"{}\"", p.name),
            ));
        }
    }
    let find = |name: &str, path: String| -> Result<usize> {
        by_name.get(name).copied().ok_or_else(|| {
            let mut known: Vec<&str> = raw.populations.iter().map(|p| p.name.as_str()).collect();
            known.sort_unstable();
            ModelError::invalid(
                path,
                format!(
                    "no population named \"{name}\" (populations: {})",
                    known.join(", ")
                ),
            )
        })
    };

    // Inputs.
    let mut inputs = Vec::new();
    for (i, inp) in raw.inputs.iter().enumerate() {
        let path = format!("inputs[{i}]");
        let (target, kind) = match inp {
            InputSpec::Poisson(PoissonInput {
                target,
                port,
                rate,
                sources,
                weight,
                start,
                stop,
            }) => {
                let t = find(target, format!("{path}.target"))?;
                let rate =
                    values::parse(rate, &format!("{path}.rate"), populations[t].size, base_dir)?;
                if rate.lower_bound() < 0.0 {
                    return Err(ModelError::invalid(
                        format!("{path}.rate"),
                        format!("rates must be ≥ 0 Hz, got {}", rate.lower_bound()),
                    ));
                }
                if *sources < 1 {
                    return Err(ModelError::invalid(
                        format!("{path}.sources"),
                        format!("must be ≥ 1, got {sources}"),
                    ));
                }
                if !weight.is_finite() {
                    return Err(ModelError::invalid(
                        format!("{path}.weight"),
                        format!("must be finite, got {weight}"),
                    ));
                }
                scalar_f32(*weight, &format!("{path}.weight"))?;
                let (a, b) = start_stop(*start, *stop, duration, dt, &path)?;
                (
                    t,
                    InputKind::Poisson {
                        port: port.clone(),
                        rate,
                        sources: *sources as u64,
                        weight: *weight,
                        start: a,
                        stop: b,
                    },
                )
            }
            InputSpec::Dc(DcInput {
                target,
                amplitude,
                start,
                stop,
                ids: sel,
            }) => {
                let t = find(target, format!("{path}.target"))?;
                if !amplitude.is_finite() {
                    return Err(ModelError::invalid(
                        format!("{path}.amplitude"),
                        format!("must be finite, got {amplitude}"),
                    ));
                }
                scalar_f32(*amplitude, &format!("{path}.amplitude"))?;
                let (a, b) = start_stop(*start, *stop, duration, dt, &path)?;
                let sel = sel
                    .as_deref()
                    .map(|l| ids(l, populations[t].size, &format!("{path}.ids")))
                    .transpose()?;
                (
                    t,
                    InputKind::Current {
                        ids: sel,
                        changes: vec![(a, *amplitude), (b, 0.0)],
                    },
                )
            }
            InputSpec::Noise(NoiseInput {
                target,
                mean,
                std,
                start,
                stop,
                ids: sel,
            }) => {
                let t = find(target, format!("{path}.target"))?;
                if !mean.is_finite() {
                    return Err(ModelError::invalid(
                        format!("{path}.mean"),
                        format!("must be finite, got {mean}"),
                    ));
                }
                if !(std.is_finite() && *std >= 0.0) {
                    return Err(ModelError::invalid(
                        format!("{path}.std"),
                        format!("must be ≥ 0, got {std}"),
                    ));
                }
                scalar_f32(*mean, &format!("{path}.mean"))?;
                scalar_f32(*std, &format!("{path}.std"))?;
                let (a, b) = start_stop(*start, *stop, duration, dt, &path)?;
                let sel = sel
                    .as_deref()
                    .map(|l| ids(l, populations[t].size, &format!("{path}.ids")))
                    .transpose()?;
                (
                    t,
                    InputKind::Noise {
                        ids: sel,
                        mean: *mean,
                        std: *std,
                        start: a,
                        stop: b,
                    },
                )
            }
            InputSpec::StepCurrent(StepCurrentInput {
                target,
                times,
                amplitudes,
                ids: sel,
            }) => {
                let t = find(target, format!("{path}.target"))?;
                if times.len() != amplitudes.len() {
                    return Err(ModelError::invalid(
                        format!("{path}.amplitudes"),
                        format!(
                            "needs one amplitude per time ({}), got {}",
                            times.len(),
                            amplitudes.len()
                        ),
                    ));
                }
                let mut changes = Vec::with_capacity(times.len());
                for (k, (&tm, &amp)) in times.iter().zip(amplitudes).enumerate() {
                    let s = time_steps(tm, dt, &format!("{path}.times[{k}]"))?;
                    if let Some(&(prev, _)) = changes.last()
                        && s <= prev
                    {
                        return Err(ModelError::invalid(
                            format!("{path}.times[{k}]"),
                            format!(
                                "times must increase by at least one step, got {tm} after {}",
                                prev as f64 * dt
                            ),
                        ));
                    }
                    if !amp.is_finite() {
                        return Err(ModelError::invalid(
                            format!("{path}.amplitudes[{k}]"),
                            format!("must be finite, got {amp}"),
                        ));
                    }
                    scalar_f32(amp, &format!("{path}.amplitudes[{k}]"))?;
                    changes.push((s, amp));
                }
                let sel = sel
                    .as_deref()
                    .map(|l| ids(l, populations[t].size, &format!("{path}.ids")))
                    .transpose()?;
                (t, InputKind::Current { ids: sel, changes })
            }
        };
        inputs.push(Input { target, kind, path });
    }

    // Modulators.
    let sizes: Vec<usize> = populations.iter().map(|p| p.size).collect();
    let modulators = crate::modulators::validate(&raw.modulators, dt, &sizes, &find, base_dir)?;

    // Grids.
    let mut grids = Vec::new();
    let mut placed: HashMap<usize, usize> = HashMap::new();
    for (g, gs) in raw.grids.iter().enumerate() {
        let path = format!("grids[{g}]");
        if gs.shape.len() != 3 {
            return Err(ModelError::invalid(
                format!("{path}.shape"),
                format!(
                    "must list 3 sizes [nx, ny, nz], got {} ({:?})",
                    gs.shape.len(),
                    gs.shape
                ),
            ));
        }
        let mut shape = [0usize; 3];
        for (k, &n) in gs.shape.iter().enumerate() {
            if n < 1 {
                return Err(ModelError::invalid(
                    format!("{path}.shape[{k}]"),
                    format!("must be ≥ 1, got {n}"),
                ));
            }
            shape[k] = n as usize;
        }
        let spacing = positive(gs.spacing, &format!("{path}.spacing"), "")?;
        if gs.populations.is_empty() {
            return Err(ModelError::invalid(
                format!("{path}.populations"),
                "must name at least one population, got []",
            ));
        }
        let mut pops = Vec::new();
        for (k, name) in gs.populations.iter().enumerate() {
            let p = find(name, format!("{path}.populations[{k}]"))?;
            if let Some(other) = placed.insert(p, g) {
                return Err(ModelError::invalid(
                    format!("{path}.populations[{k}]"),
                    format!("population \"{name}\" is already placed by grids[{other}]"),
                ));
            }
            pops.push(p);
        }
        let points = shape.iter().try_fold(1usize, |a, &b| a.checked_mul(b));
        let total: usize = pops.iter().map(|&p| populations[p].size).sum();
        if points != Some(total) {
            return Err(ModelError::invalid(
                format!("{path}.shape"),
                format!(
                    "{}×{}×{} points must equal the populations' total size {total}, got {}",
                    shape[0],
                    shape[1],
                    shape[2],
                    points.map_or("more than 2^64".to_string(), |n| n.to_string())
                ),
            ));
        }
        grids.push(Grid {
            name: gs.name.clone().unwrap_or_else(|| path.clone()),
            shape,
            spacing,
            populations: pops,
            shuffle: gs.shuffle,
            path,
        });
    }

    // Projections.
    let mut projections = Vec::new();
    let mut proj_names: HashMap<String, usize> = HashMap::new();
    for (i, pr) in raw.projections.iter().enumerate() {
        let path = format!("projections[{i}]");
        let source = find(&pr.source, format!("{path}.source"))?;
        let target = find(&pr.target, format!("{path}.target"))?;
        let (ns, nt) = (populations[source].size, populations[target].size);
        let connect = connect(
            &pr.connect,
            ns,
            nt,
            source == target,
            &format!("{path}.connect"),
            base_dir,
        )?;
        if let Connect::Distance { .. } = connect {
            for (side, p) in [("source", source), ("target", target)] {
                if !placed.contains_key(&p) {
                    return Err(ModelError::invalid(
                        format!("{path}.connect.rule"),
                        format!(
                            "\"distance\" needs positions, but the {side} population \"{}\" is on no grid; list it in a [[grids]] entry",
                            populations[p].name
                        ),
                    ));
                }
            }
        }
        let n_explicit = match &connect {
            Connect::Explicit { sources, .. } => Some(sources.len()),
            _ => None,
        };
        let (file_weights, file_delays) = match &connect {
            Connect::Explicit {
                weights, delays, ..
            } => (weights.as_ref(), delays.as_ref()),
            _ => (None, None),
        };
        let weight = per_synapse(
            pr.weight.as_ref(),
            file_weights,
            n_explicit,
            1.0,
            &path,
            "weight",
            base_dir,
        )?;
        let delay = per_synapse(
            pr.delay.as_ref(),
            file_delays,
            n_explicit,
            dt,
            &path,
            "delay",
            base_dir,
        )?;
        check_delays(&delay, dt, &format!("{path}.delay"))?;
        let name = pr
            .name
            .clone()
            .unwrap_or_else(|| format!("{}->{}", pr.source, pr.target));
        let count = proj_names.entry(name.clone()).or_insert(0);
        *count += 1;
        let name = match (&pr.name, *count) {
            (Some(_), c) if c > 1 => {
                return Err(ModelError::invalid(
                    format!("{path}.name"),
                    format!("duplicate projection name \"{name}\""),
                ));
            }
            (None, c) if c > 1 => format!("{name}#{c}"),
            _ => name,
        };
        if let Some(other) = projections.iter().find(|p: &&Projection| p.name == name) {
            return Err(ModelError::invalid(
                format!("{path}.name"),
                format!(
                    "projection name \"{name}\" is already used by {}; name one of them",
                    other.path
                ),
            ));
        }
        check_f32(&weight, &format!("{path}.weight"))?;
        if let Some(r) = pr.spectral_radius {
            let rp = format!("{path}.spectral_radius");
            if !(r > 0.0 && r.is_finite()) {
                return Err(ModelError::invalid(rp, format!("must be > 0, got {r}")));
            }
            if source != target {
                return Err(ModelError::invalid(
                    rp,
                    format!(
                        "only a recurrent projection (source = target) has a spectral radius; this one goes from \"{}\" to \"{}\"",
                        pr.source, pr.target
                    ),
                ));
            }
        }
        let plasticity = match &pr.plasticity {
            Some(t) => Some(plasticity(t, &delay, dt, &path)?),
            None => None,
        };
        projections.push(Projection {
            name,
            source,
            target,
            port: pr.port.clone(),
            connect,
            weight,
            delay,
            spectral_radius: pr.spectral_radius,
            stp: pr
                .stp
                .as_ref()
                .map(|st| stp(st, &format!("{path}.stp")))
                .transpose()?,
            plasticity,
            path,
        });
    }

    // Monitors.
    let mut monitors = Vec::new();
    let mut state_names: HashMap<String, usize> = HashMap::new();
    for (i, m) in raw.monitors.iter().enumerate() {
        let path = format!("monitors[{i}]");
        let (pop, kind) = match m {
            MonitorSpec::Spikes(SpikesMonitor {
                population,
                ids: sel,
            }) => {
                let p = find(population, format!("{path}.population"))?;
                let sel = sel
                    .as_deref()
                    .map(|l| ids(l, populations[p].size, &format!("{path}.ids")))
                    .transpose()?;
                (p, MonitorKind::Spikes { ids: sel })
            }
            MonitorSpec::State(StateMonitor {
                name,
                population,
                variables,
                ids: sel,
                interval,
            }) => {
                let p = find(population, format!("{path}.population"))?;
                if variables.is_empty() {
                    return Err(ModelError::invalid(
                        format!("{path}.variables"),
                        "must name at least one variable, got []",
                    ));
                }
                // Each variable becomes the array `{name}.{var}` of state.npz: no repeats.
                for (k, v) in variables.iter().enumerate() {
                    if variables[..k].contains(v) {
                        return Err(ModelError::invalid(
                            format!("{path}.variables[{k}]"),
                            format!("variable listed twice, got \"{v}\" again"),
                        ));
                    }
                }
                let sel = ids(sel, populations[p].size, &format!("{path}.ids"))?;
                let every = match interval {
                    None => 1,
                    Some(x) => {
                        let x = positive(*x, &format!("{path}.interval"), "ms")?;
                        let (s, on_grid) = glia_core::time::to_steps(x, dt);
                        if s < 1 || !on_grid {
                            return Err(ModelError::invalid(
                                format!("{path}.interval"),
                                format!("must be a multiple of dt ({dt} ms), got {x}"),
                            ));
                        }
                        s as u64
                    }
                };
                let name = name.clone().unwrap_or_else(|| population.clone());
                if state_names.insert(name.clone(), i).is_some() {
                    return Err(ModelError::invalid(
                        format!("{path}.name"),
                        format!(
                            "two state monitors are named \"{name}\"; set `name` on one of them"
                        ),
                    ));
                }
                (
                    p,
                    MonitorKind::State {
                        name,
                        variables: variables.clone(),
                        ids: sel,
                        every,
                    },
                )
            }
            MonitorSpec::Rate(RateMonitor { population, bin }) => {
                let p = find(population, format!("{path}.population"))?;
                let bin = match bin {
                    None => 1,
                    Some(x) => {
                        let x = positive(*x, &format!("{path}.bin"), "ms")?;
                        let (s, on_grid) = glia_core::time::to_steps(x, dt);
                        if s < 1 || !on_grid {
                            return Err(ModelError::invalid(
                                format!("{path}.bin"),
                                format!("must be a multiple of dt ({dt} ms), got {x}"),
                            ));
                        }
                        s as u64
                    }
                };
                (p, MonitorKind::Rate { bin })
            }
        };
        monitors.push(Monitor {
            population: pop,
            kind,
            path,
        });
    }
    let spike_pops: Vec<usize> = monitors
        .iter()
        .filter(|m| matches!(m.kind, MonitorKind::Spikes { .. }))
        .map(|m| m.population)
        .collect();
    for (k, p) in spike_pops.iter().enumerate() {
        if spike_pops[..k].contains(p) {
            return Err(ModelError::invalid(
                "monitors",
                format!(
                    "population \"{}\" has two spike monitors; use one (with `ids` for a subset)",
                    populations[*p].name
                ),
            ));
        }
    }
    // Rate monitors write `{population}.t` and `{population}.rate` to rates.npz: one per
    // population, or the second would only fail when outputs are written, after the run.
    let mut rate_pops: HashMap<usize, usize> = HashMap::new();
    for (i, m) in monitors.iter().enumerate() {
        if matches!(m.kind, MonitorKind::Rate { .. })
            && let Some(first) = rate_pops.insert(m.population, i)
        {
            return Err(ModelError::invalid(
                format!("{}.population", m.path),
                format!(
                    "population \"{}\" already has a rate monitor (monitors[{first}]); use one per population, got \"{}\" again",
                    populations[m.population].name, populations[m.population].name
                ),
            ));
        }
    }

    Ok(Model {
        dt,
        duration: steps as f64 * dt,
        steps,
        seed,
        threads,
        parameters: raw.parameters,
        populations,
        inputs,
        projections,
        monitors,
        grids,
        modulators,
        base_dir: base_dir.to_path_buf(),
    })
}

/// A projection's `weight` or `delay`: from the model file, from the explicit connectivity
/// arrays (`from_file`), or `default`. Per-synapse arrays and files in the model file need the
/// explicit rule (`n_explicit` synapses); giving both is an error.
fn per_synapse(
    given: Option<&toml::Value>,
    from_file: Option<&Vec<f64>>,
    n_explicit: Option<usize>,
    default: f64,
    path: &str,
    field: &str,
    base_dir: &Path,
) -> Result<Values> {
    let fpath = format!("{path}.{field}");
    match (given, from_file) {
        (Some(_), Some(_)) => Err(ModelError::invalid(
            fpath,
            format!("{field}s are given twice: in the connectivity file and in `{field}`"),
        )),
        (Some(v), None) => {
            if let (toml::Value::Array(_) | toml::Value::Table(_), None) = (v, n_explicit)
                && !v.as_table().is_some_and(|t| t.contains_key("dist"))
            {
                return Err(ModelError::invalid(
                    fpath,
                    format!(
                        "per-synapse arrays and files are only possible with rule = \"explicit\" (give `{field}s` there)"
                    ),
                ));
            }
            values::parse(v, &fpath, n_explicit.unwrap_or(0), base_dir)
        }
        (None, Some(a)) => Ok(Values::Array(a.clone())),
        (None, None) => Ok(Values::Const(default)),
    }
}

fn start_stop(
    start: f64,
    stop: Option<f64>,
    duration: f64,
    dt: f64,
    path: &str,
) -> Result<(u64, u64)> {
    let a = time_steps(start, dt, &format!("{path}.start"))?;
    let b = time_steps(stop.unwrap_or(duration), dt, &format!("{path}.stop"))?;
    if b < a {
        return Err(ModelError::invalid(
            format!("{path}.stop"),
            format!(
                "must be ≥ start ({start} ms), got {}",
                stop.unwrap_or(duration)
            ),
        ));
    }
    Ok((a, b))
}

/// Values stored in f32 (weights, state) must be finite there too.
fn check_f32(v: &Values, path: &str) -> Result<()> {
    for x in [v.lower_bound(), v.upper_bound()] {
        scalar_f32(x, path)?;
    }
    Ok(())
}

/// A number the engine stores or adds in single precision (input amplitudes, weights, means)
/// must be finite there too: `1e300` is a finite f64 but an infinite f32.
fn scalar_f32(x: f64, path: &str) -> Result<()> {
    if x.is_finite() && x.abs() > f64::from(f32::MAX) {
        return Err(ModelError::invalid(
            path,
            format!(
                "must be within ±{:e} (stored as 32-bit floats), got {x:e}",
                f32::MAX
            ),
        ));
    }
    Ok(())
}

/// Split a `plasticity` table into the shared fields (checked here) and the rule's parameters.
fn plasticity(t: &toml::Table, delay: &Values, dt: f64, proj_path: &str) -> Result<Plasticity> {
    let path = format!("{proj_path}.plasticity");
    let mut params = t.clone();
    let rule = match params.remove("rule") {
        Some(toml::Value::String(r)) => r,
        Some(other) => {
            return Err(ModelError::invalid(
                format!("{path}.rule"),
                format!("must be a string (the rule's name), got {other}"),
            ));
        }
        None => {
            return Err(ModelError::invalid(
                format!("{path}.rule"),
                "missing (the plasticity rule's name, e.g. \"stdp\")",
            ));
        }
    };
    let modulate = match params.remove("modulate") {
        None => Vec::new(),
        Some(toml::Value::Table(t)) => t
            .into_iter()
            .map(|(k, v)| match v {
                toml::Value::String(m) => Ok((k, m)),
                other => Err(ModelError::invalid(
                    format!("{path}.modulate.{k}"),
                    format!("must be the name of a modulator channel, got {other}"),
                )),
            })
            .collect::<Result<_>>()?,
        Some(other) => {
            return Err(ModelError::invalid(
                format!("{path}.modulate"),
                format!("must be a table {{ parameter = \"channel\" }}, got {other}"),
            ));
        }
    };
    let mut num = |name: &str, default: f64| -> Result<f64> {
        match params.remove(name) {
            None => Ok(default),
            Some(toml::Value::Float(x)) => Ok(x),
            Some(toml::Value::Integer(i)) => Ok(i as f64),
            Some(other) => Err(ModelError::invalid(
                format!("{path}.{name}"),
                format!("must be a number, got {other}"),
            )),
        }
    };
    let w_min = num("w_min", 0.0)?;
    let w_max = num("w_max", f64::INFINITY)?;
    let dendritic_delay = num("dendritic_delay", 0.0)?;
    if w_min.is_nan() || w_min == f64::INFINITY {
        return Err(ModelError::invalid(
            format!("{path}.w_min"),
            format!("must be a number below w_max, got {w_min}"),
        ));
    }
    if w_max.is_nan() || w_max <= w_min {
        return Err(ModelError::invalid(
            format!("{path}.w_max"),
            format!("must be > w_min ({w_min}), got {w_max}"),
        ));
    }
    // With per-synapse delays the dendritic part is the same for every synapse and the axonal
    // part is the rest (`d_q − dendritic_delay`): it must not exceed the smallest delay, which
    // for a distribution is only known once the synapses are drawn (checked when building).
    let d = match delay {
        Values::Const(d) => *d,
        Values::Array(v) => v.iter().copied().fold(f64::INFINITY, f64::min),
        Values::Dist(_) => f64::INFINITY,
    };
    let d_steps = if d.is_finite() {
        ((d / dt).round() as i64).max(1)
    } else {
        i64::MAX
    };
    if dendritic_delay.is_nan() || dendritic_delay < 0.0 || !dendritic_delay.is_finite() {
        return Err(ModelError::invalid(
            format!("{path}.dendritic_delay"),
            format!("must be ≥ 0 ms, got {dendritic_delay}"),
        ));
    }
    let dd_steps = (dendritic_delay / dt).round() as i64;
    if dd_steps > d_steps {
        return Err(ModelError::invalid(
            format!("{path}.dendritic_delay"),
            format!(
                "must be ≤ the projection's {} ({d} ms), got {dendritic_delay}",
                if matches!(delay, Values::Const(_)) {
                    "delay"
                } else {
                    "smallest delay"
                }
            ),
        ));
    }
    Ok(Plasticity {
        rule,
        w_min,
        w_max,
        dendritic_delay,
        dendritic_steps: dd_steps as u16,
        params,
        modulate,
        path,
    })
}

fn check_delays(delay: &Values, dt: f64, path: &str) -> Result<()> {
    let lo = delay.lower_bound();
    if lo < dt * (1.0 - 1e-9) {
        let what = match delay {
            Values::Dist(_) => {
                format!("a distribution whose draws can go down to {lo}; set `min` ≥ dt")
            }
            Values::Array(a) => {
                let (k, x) = a
                    .iter()
                    .enumerate()
                    .find(|(_, x)| **x < dt * (1.0 - 1e-9))
                    .map(|(k, x)| (k, *x))
                    .unwrap_or((0, lo));
                format!("{x} (synapse {k})")
            }
            Values::Const(c) => format!("{c}"),
        };
        return Err(ModelError::invalid(
            path,
            format!("must be ≥ dt ({dt} ms), got {what}"),
        ));
    }
    let hi = delay.upper_bound();
    if hi.is_finite() && (hi / dt).round() as u64 > MAX_DELAY_STEPS {
        return Err(ModelError::invalid(
            path,
            format!(
                "must be ≤ {} ms ({MAX_DELAY_STEPS} steps), got {hi}",
                MAX_DELAY_STEPS as f64 * dt
            ),
        ));
    }
    if !hi.is_finite() {
        return Err(ModelError::invalid(
            path,
            "a distribution without an upper bound; set `max`",
        ));
    }
    Ok(())
}

fn population(p: &PopulationSpec, path: &str, base_dir: &Path) -> Result<Population> {
    if p.name.is_empty() || p.name.contains(['.', '/', ' ']) {
        return Err(ModelError::invalid(
            format!("{path}.name"),
            format!(
                "must be a non-empty name without '.', '/' or spaces, got \"{}\"",
                p.name
            ),
        ));
    }
    if p.size < 1 || p.size > u32::MAX as i64 {
        return Err(ModelError::invalid(
            format!("{path}.size"),
            format!("must be between 1 and {}, got {}", u32::MAX, p.size),
        ));
    }
    let size = p.size as usize;
    let mut ports = Vec::new();
    for (name, port) in &p.ports {
        let pp = format!("{path}.ports.{name}");
        let kernel = match port.kernel.as_str() {
            "exp" => Kernel::Exp,
            "alpha" => Kernel::Alpha,
            "delta" => Kernel::Delta,
            other => {
                return Err(ModelError::invalid(
                    format!("{pp}.kernel"),
                    format!("unknown kernel \"{other}\"; expected \"exp\", \"alpha\" or \"delta\""),
                ));
            }
        };
        let tau_syn = match (kernel, port.tau_syn) {
            (Kernel::Delta, None) => 0.0,
            (Kernel::Delta, Some(_)) => {
                return Err(ModelError::invalid(
                    format!("{pp}.tau_syn"),
                    "a delta port has no time constant (remove tau_syn, or use kernel = \"exp\")",
                ));
            }
            (_, Some(t)) => positive(t, &format!("{pp}.tau_syn"), "ms")?,
            (_, None) => {
                return Err(ModelError::invalid(
                    format!("{pp}.tau_syn"),
                    format!("missing (the {} kernel's time constant in ms)", port.kernel),
                ));
            }
        };
        if kernel == Kernel::Delta && port.kind != "current" {
            return Err(ModelError::invalid(
                format!("{pp}.type"),
                "a delta port is a current port (weights are jumps of the membrane potential in mV)",
            ));
        }
        let kind = match (port.kind.as_str(), port.e_rev) {
            ("current", None) => SynapseKind::Current,
            ("current", Some(_)) => {
                return Err(ModelError::invalid(
                    format!("{pp}.E_rev"),
                    "a current port has no reversal potential (use type = \"conductance\")",
                ));
            }
            ("conductance", Some(e)) if e.is_finite() => SynapseKind::Conductance { e_rev: e },
            ("conductance", Some(e)) => {
                return Err(ModelError::invalid(
                    format!("{pp}.E_rev"),
                    format!("must be finite, got {e}"),
                ));
            }
            ("conductance", None) => {
                return Err(ModelError::invalid(
                    format!("{pp}.E_rev"),
                    "missing (a conductance port needs its reversal potential in mV)",
                ));
            }
            (other, _) => {
                return Err(ModelError::invalid(
                    format!("{pp}.type"),
                    format!(
                        "unknown port type \"{other}\"; expected \"current\" or \"conductance\""
                    ),
                ));
            }
        };
        ports.push(PortSpec {
            name: name.clone(),
            kind,
            kernel,
            tau_syn,
        });
    }
    let initial = p
        .initial
        .iter()
        .map(|(k, v)| {
            let vpath = format!("{path}.initial.{k}");
            let vals = values::parse(v, &vpath, size, base_dir)?;
            check_f32(&vals, &vpath)?;
            Ok((k.clone(), vals))
        })
        .collect::<Result<Vec<_>>>()?;
    let _ = show;
    Ok(Population {
        name: p.name.clone(),
        size,
        model: p.model.clone(),
        params: p.params.clone(),
        ports,
        initial,
        path: path.to_string(),
    })
}

fn connect(
    c: &ConnectSpec,
    ns: usize,
    nt: usize,
    same: bool,
    path: &str,
    base_dir: &Path,
) -> Result<Connect> {
    let degree =
        |k: i64, field: &str, limit: usize, multapses: bool, allow_self: bool| -> Result<u64> {
            if k < 0 {
                return Err(ModelError::invalid(
                    format!("{path}.{field}"),
                    format!("must be ≥ 0, got {k}"),
                ));
            }
            let avail = if same && !allow_self {
                limit.saturating_sub(1)
            } else {
                limit
            };
            if !multapses && k as u64 > avail as u64 {
                return Err(ModelError::invalid(
                    format!("{path}.{field}"),
                    format!("must be ≤ {avail} without multapses, got {k}"),
                ));
            }
            if multapses && avail == 0 && k > 0 {
                return Err(ModelError::invalid(
                    format!("{path}.{field}"),
                    "no candidate partners (a single neuron without self-connections)",
                ));
            }
            Ok(k as u64)
        };
    Ok(match c {
        ConnectSpec::OneToOne(_) => {
            if ns != nt {
                return Err(ModelError::invalid(
                    format!("{path}.rule"),
                    format!("one_to_one needs equal sizes, got {ns} → {nt}"),
                ));
            }
            Connect::OneToOne
        }
        ConnectSpec::AllToAll(AllToAllRule { allow_self }) => Connect::AllToAll {
            allow_self: *allow_self,
        },
        ConnectSpec::FixedProbability(FixedProbabilityRule { p, allow_self }) => {
            if !(0.0..=1.0).contains(p) {
                return Err(ModelError::invalid(
                    format!("{path}.p"),
                    format!("must be a probability in [0, 1], got {p}"),
                ));
            }
            Connect::FixedProbability {
                p: *p,
                allow_self: *allow_self,
            }
        }
        ConnectSpec::FixedIndegree(FixedIndegreeRule {
            indegree,
            allow_self,
            allow_multapses,
        }) => Connect::FixedIndegree {
            indegree: degree(*indegree, "indegree", ns, *allow_multapses, *allow_self)?,
            allow_self: *allow_self,
            allow_multapses: *allow_multapses,
        },
        ConnectSpec::FixedOutdegree(FixedOutdegreeRule {
            outdegree,
            allow_self,
            allow_multapses,
        }) => Connect::FixedOutdegree {
            outdegree: degree(*outdegree, "outdegree", nt, *allow_multapses, *allow_self)?,
            allow_self: *allow_self,
            allow_multapses: *allow_multapses,
        },
        ConnectSpec::FixedTotalNumber(FixedTotalNumberRule { n, allow_self }) => {
            if *n > 0 && (ns == 0 || nt == 0) {
                return Err(ModelError::invalid(
                    format!("{path}.n"),
                    format!("must be 0 for an empty population, got {n}"),
                ));
            }
            Connect::FixedTotalNumber {
                // Every source has the same candidates, so the degree check is the one-partner
                // case: `n ≥ 0` and at least one candidate target.
                n: degree(*n, "n", nt, true, *allow_self)?,
                allow_self: *allow_self,
            }
        }
        ConnectSpec::Distance(DistanceRule {
            c,
            lambda,
            allow_self,
        }) => {
            if !(0.0..=1.0).contains(c) {
                return Err(ModelError::invalid(
                    format!("{path}.c"),
                    format!("must be a probability in [0, 1], got {c}"),
                ));
            }
            let lambda = positive(*lambda, &format!("{path}.lambda"), "")?;
            Connect::Distance {
                c: *c,
                lambda,
                allow_self: *allow_self,
            }
        }
        ConnectSpec::Explicit(ExplicitRule {
            file,
            sources,
            targets,
            weights,
            delays,
        }) => explicit(
            file.as_deref(),
            [sources, targets, weights, delays],
            ns,
            nt,
            path,
            base_dir,
        )?,
    })
}

fn stp(st: &crate::raw::StpSpec, path: &str) -> Result<Stp> {
    if !(st.u > 0.0 && st.u <= 1.0) {
        return Err(ModelError::invalid(
            format!("{path}.U"),
            format!("must be in (0, 1], got {}", st.u),
        ));
    }
    let tau_rec = positive(st.tau_rec, &format!("{path}.tau_rec"), "ms")?;
    if !(st.tau_fac >= 0.0 && st.tau_fac.is_finite()) {
        return Err(ModelError::invalid(
            format!("{path}.tau_fac"),
            format!("must be ≥ 0 ms (0 = no facilitation), got {}", st.tau_fac),
        ));
    }
    Ok(Stp {
        u: st.u,
        tau_rec,
        tau_fac: st.tau_fac,
    })
}

fn explicit(
    file: Option<&str>,
    parts: [&Option<String>; 4],
    ns: usize,
    nt: usize,
    path: &str,
    base_dir: &Path,
) -> Result<Connect> {
    let names = ["sources", "targets", "weights", "delays"];
    // Where each array comes from: (file, array-in-npz, field path)
    let mut src: Vec<Option<(PathBuf, Option<&str>, String)>> = Vec::new();
    for (k, part) in parts.iter().enumerate() {
        src.push(match (file, part) {
            (Some(_), Some(_)) => {
                return Err(ModelError::invalid(
                    format!("{path}.{}", names[k]),
                    "give either `file` (an .npz) or separate .npy files, not both",
                ));
            }
            (Some(f), None) => {
                let fpath = base_dir.join(f);
                let has = glia_io::npz_names(&fpath)
                    .map_err(|e| ModelError::invalid(format!("{path}.file"), e.to_string()))?
                    .iter()
                    .any(|n| n == names[k]);
                has.then(|| (fpath, Some(names[k]), format!("{path}.file")))
            }
            (None, Some(p)) => Some((base_dir.join(p), None, format!("{path}.{}", names[k]))),
            (None, None) => None,
        });
    }
    let need = |k: usize| -> Result<&(PathBuf, Option<&str>, String)> {
        src[k].as_ref().ok_or_else(|| {
            ModelError::invalid(
                if file.is_some() {
                    format!("{path}.file")
                } else {
                    format!("{path}.{}", names[k])
                },
                format!("explicit connectivity needs a `{}` array", names[k]),
            )
        })
    };
    let idx = |k: usize, n: usize| -> Result<Vec<u32>> {
        let (f, a, p) = need(k)?;
        let raw = values::load_indices(f, *a, p)?;
        raw.iter()
            .enumerate()
            .map(|(e, &i)| {
                if i < 0 || i as u64 >= n as u64 {
                    Err(ModelError::invalid(
                        p,
                        format!(
                            "{}: {}[{e}] = {i} is outside the population (size {n})",
                            f.display(),
                            names[k]
                        ),
                    ))
                } else {
                    Ok(i as u32)
                }
            })
            .collect()
    };
    let sources = idx(0, ns)?;
    let targets = idx(1, nt)?;
    if sources.len() != targets.len() {
        let (_, _, p) = need(1)?;
        return Err(ModelError::invalid(
            p,
            format!(
                "sources and targets differ in length ({} vs {})",
                sources.len(),
                targets.len()
            ),
        ));
    }
    let floats = |k: usize| -> Result<Option<Vec<f64>>> {
        let Some((f, a, p)) = &src[k] else {
            return Ok(None);
        };
        let v = values::load_floats(f, *a, p)?;
        if v.len() != sources.len() {
            return Err(ModelError::invalid(
                p,
                format!(
                    "{}: {} has {} elements, expected {} (one per synapse)",
                    f.display(),
                    names[k],
                    v.len(),
                    sources.len()
                ),
            ));
        }
        Ok(Some(v))
    };
    Ok(Connect::Explicit {
        weights: floats(2)?,
        delays: floats(3)?,
        sources,
        targets,
    })
}
