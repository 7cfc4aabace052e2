//! Neuron models and their registry.
//!
//! Each model is one file; this module maps the model name of a population to its lowering.
//! Dispatch is static per block (one `match` per block and step), never per neuron.
//!
//! | name | file | kind |
//! |---|---|---|
//! | `lif` | [`lif`] | leaky integrate-and-fire; current or conductance ports, exp/alpha/delta kernels |
//! | `adex` | [`adex`] | adaptive exponential integrate-and-fire (Brette & Gerstner 2005), Naud et al. 2008 presets |
//! | `lif_adapt` | [`adex`] | leaky integrate-and-fire with adaptation current and adaptive threshold |
//! | `hh` | [`hh`] | Hodgkin–Huxley with Traub–Miles channels (COBAHH); ports |
//! | `izhikevich` | [`izhikevich`] | Izhikevich (2003) quadratic model with recovery variable, presets |
//! | `rate` | [`rate`] | leaky rate units (tanh, sigmoid, ReLU, linear) with graded output |
//! | `poisson` | [`poisson`] | Poisson spike source |
//! | `spike_generator` | [`generator`] | spikes at given times |
//! | `elm` | [`elm`] | Expressive Leaky Memory neuron (Branch-ELM; MLP over branch traces and leaky memory) |

pub mod adex;
pub mod elm;
pub mod generator;
pub mod hh;
pub mod izhikevich;
pub mod lif;
pub mod poisson;
pub mod ports;
pub mod rate;
mod simd;

use crate::BLOCK;
use glia_core::{CounterRng, Purpose};
use glia_spec::{ModelError, Population, PortSpec, Values, values};
use serde::de::DeserializeOwned;
use std::path::Path;

/// Known model names.
pub const MODELS: &[&str] = &[
    "lif",
    "adex",
    "lif_adapt",
    "izhikevich",
    "hh",
    "elm",
    "rate",
    "poisson",
    "spike_generator",
];

/// A neuron model's runtime form: its parameters and derived constants (shared by the blocks of
/// a population) and the per-block state it advances.
pub trait Neuron: Clone + std::fmt::Debug + Send + Sync {
    /// State of one block of up to [`BLOCK`] neurons (struct of arrays).
    type State: Clone + std::fmt::Debug + Send + Sync;

    /// Whether the model sends graded values ([`Neuron::output`]) instead of spikes.
    const GRADED: bool = false;

    /// Advance a block by one step. `inputs` holds, per receptor port, this step's ring-buffer
    /// row for the block (at least the block's length), which the model consumes (adds to its
    /// synaptic variables) and clears; `i_ext` is the external current per neuron (`None`:
    /// zero); the indices of neurons that spike, plus `offset`, are appended to `spikes`.
    fn update(
        &self,
        s: &mut Self::State,
        inputs: &mut [&mut [f32]],
        i_ext: Option<&[f32]>,
        offset: u32,
        spikes: &mut Vec<u32>,
    );

    /// State variable `k` (in the order of the population's variable names).
    fn var<'a>(&self, s: &'a Self::State, k: usize) -> &'a [f32];

    /// Mutable state variable `k`.
    fn var_mut<'a>(&self, s: &'a mut Self::State, k: usize) -> &'a mut [f32];

    /// What to add to stored state variable `k` to get its physical value.
    fn var_offset(&self, _k: usize) -> f64 {
        0.0
    }

    /// For graded (rate) units: the value each neuron sends along its outgoing projections
    /// every step, multiplied by the synaptic weight. `None` for spiking models.
    fn output<'a>(&self, _s: &'a Self::State) -> Option<&'a [f32]> {
        None
    }
}

/// Declares the models with state (each a [`Neuron`]) next to the two spike sources, and
/// generates the [`Model`] and [`BlockState`] enums with their static dispatch (one `match` per
/// block and step).
macro_rules! registry {
    ($($(#[$doc:meta])* $variant:ident($ty:ty)),* $(,)?) => {
        /// A population's model with its derived constants (shared by its blocks).
        #[derive(Clone, Debug)]
        pub enum Model {
            /// Poisson source.
            Poisson(poisson::PoissonSource),
            /// Spike generator.
            Generator,
            $($(#[$doc])* $variant($ty),)*
        }

        /// The state of one block.
        #[derive(Clone, Debug)]
        pub enum BlockState {
            /// Each Poisson neuron's next spike step.
            Poisson(poisson::PoissonState),
            /// Generator events.
            Generator(generator::GeneratorState),
            $($(#[$doc])* $variant(<$ty as Neuron>::State),)*
        }

        impl Model {
            /// What to add to stored state variable `k` to get its physical value.
            pub fn var_offset(&self, k: usize) -> f64 {
                match self {
                    $(Model::$variant(m) => m.var_offset(k),)*
                    _ => 0.0,
                }
            }

            /// State variable `k` of a block.
            pub fn var<'a>(&self, st: &'a BlockState, k: usize) -> &'a [f32] {
                match (self, st) {
                    $((Model::$variant(m), BlockState::$variant(st)) => m.var(st, k),)*
                    _ => &[],
                }
            }

            /// Mutable state variable `k` of a block.
            pub fn var_mut<'a>(&self, st: &'a mut BlockState, k: usize) -> &'a mut [f32] {
                match (self, st) {
                    $((Model::$variant(m), BlockState::$variant(st)) => m.var_mut(st, k),)*
                    _ => &mut [],
                }
            }

            /// Graded output of a block (rate units), see [`Neuron::output`].
            pub fn output<'a>(&self, st: &'a BlockState) -> Option<&'a [f32]> {
                match (self, st) {
                    $((Model::$variant(m), BlockState::$variant(st)) => m.output(st),)*
                    _ => None,
                }
            }

            /// Whether the model sends graded values instead of spikes.
            pub fn is_graded(&self) -> bool {
                match self {
                    $(Model::$variant(_) => <$ty as Neuron>::GRADED,)*
                    _ => false,
                }
            }

            /// Advance one block of `n` neurons starting at neuron `offset` by one step `s`.
            #[allow(clippy::too_many_arguments)]
            pub fn update(
                &self,
                st: &mut BlockState,
                inputs: &mut [&mut [f32]],
                i_ext: Option<&[f32]>,
                offset: u32,
                n: usize,
                s: u64,
                seed: u64,
                spikes: &mut Vec<u32>,
            ) {
                match (self, st) {
                    (Model::Poisson(m), BlockState::Poisson(st)) => {
                        m.update(st, seed, s, offset, n, spikes)
                    }
                    (Model::Generator, BlockState::Generator(g)) => g.update(s, spikes),
                    $((Model::$variant(m), BlockState::$variant(st)) => {
                        m.update(st, inputs, i_ext, offset, spikes)
                    })*
                    _ => unreachable!("block state does not match its population's model"),
                }
            }
        }
    };
}

registry! {
    /// Leaky integrate-and-fire.
    Lif(lif::Lif),
    /// Adaptive exponential or adaptive leaky integrate-and-fire (`adex`, `lif_adapt`).
    Adex(adex::Adex),
    /// Izhikevich (2003).
    Izhikevich(izhikevich::Izhikevich),
    /// Leaky rate units (echo-state reservoirs).
    Rate(rate::Rate),
    /// Expressive Leaky Memory neuron.
    Elm(elm::Elm),
    /// Hodgkin–Huxley (Traub–Miles).
    Hh(hh::Hh),
}

/// What a model's lowering gets: the validated population and the run's constants.
pub struct LowerCtx<'a> {
    /// The population.
    pub pop: &'a Population,
    /// Its index (stream id).
    pub id: u32,
    /// Master seed.
    pub seed: u64,
    /// Time step \[ms\].
    pub dt: f64,
    /// Steps in the run.
    pub steps: u64,
    /// Directory that relative file paths are resolved against.
    pub base_dir: &'a Path,
}

impl LowerCtx<'_> {
    /// The population's `params` table deserialised into `T`, errors naming the field.
    pub fn params<T: DeserializeOwned>(&self) -> Result<T, ModelError> {
        params(self.pop)
    }

    /// `populations[i].params.NAME`, for messages.
    pub fn path(&self, name: &str) -> String {
        format!("{}.params.{name}", self.pop.path)
    }

    /// The population's ports, or `default` when none are written.
    pub fn ports_or(&self, default: &[PortSpec]) -> Vec<PortSpec> {
        if self.pop.ports.is_empty() {
            default.to_vec()
        } else {
            self.pop.ports.clone()
        }
    }

    /// A per-neuron parameter given as a number, an array (inline or file) or a distribution
    /// (see the model format), evaluated for every neuron from the population's own streams;
    /// `param` numbers the parameter within the model (so that different parameters draw
    /// independent values). Non-finite values are an error naming the field.
    pub fn per_neuron(
        &self,
        value: &toml::Value,
        name: &str,
        param: u32,
    ) -> Result<Vec<f64>, ModelError> {
        let path = self.path(name);
        let v = values::parse(value, &path, self.pop.size, self.base_dir)?;
        let mut out = vec![0.0; self.pop.size];
        fill(
            &v,
            &mut out,
            self.seed,
            Purpose::Parameter,
            self.id | ((param + 1) << 20),
            0,
        );
        if let Some((i, x)) = out.iter().enumerate().find(|(_, x)| !x.is_finite()) {
            return Err(ModelError::invalid(
                path,
                format!("must be finite, got {x} for neuron {i}"),
            ));
        }
        Ok(out)
    }

    /// Sizes of the population's blocks.
    pub fn blocks(&self) -> impl Iterator<Item = (usize, usize)> + use<> {
        block_sizes(self.pop.size)
    }
}

/// A lowered population.
pub struct Lowered {
    /// Model and constants.
    pub model: Model,
    /// Receptor ports.
    pub ports: Vec<PortSpec>,
    /// State variable names (for monitors and initial values).
    pub variables: Vec<String>,
    /// One state per block of [`BLOCK`] neurons.
    pub blocks: Vec<BlockState>,
}

fn params<T: DeserializeOwned>(pop: &Population) -> Result<T, ModelError> {
    serde_path_to_error::deserialize(toml::Value::Table(pop.params.clone())).map_err(|e| {
        let inner = e.path().to_string();
        let path = if inner == "." {
            format!("{}.params", pop.path)
        } else {
            format!("{}.params.{inner}", pop.path)
        };
        ModelError::invalid(path, e.into_inner().message().to_string())
    })
}

fn no_ports(pop: &Population) -> Result<(), ModelError> {
    if !pop.ports.is_empty() {
        return Err(ModelError::invalid(
            format!("{}.ports", pop.path),
            format!(
                "model \"{}\" is a spike source and has no receptor ports",
                pop.model
            ),
        ));
    }
    Ok(())
}

fn block_sizes(n: usize) -> impl Iterator<Item = (usize, usize)> {
    (0..n.div_ceil(BLOCK)).map(move |b| (b * BLOCK, BLOCK.min(n - b * BLOCK)))
}

/// Lower population `id` of the model.
pub fn lower(
    pop: &Population,
    id: u32,
    seed: u64,
    dt: f64,
    steps: u64,
    base_dir: &Path,
) -> Result<Lowered, ModelError> {
    let ctx = LowerCtx {
        pop,
        id,
        seed,
        dt,
        steps,
        base_dir,
    };
    let mut lowered = match pop.model.as_str() {
        "adex" => adex::lower(&ctx)?,
        "lif_adapt" => adex::lower_lif_adapt(&ctx)?,
        "izhikevich" => izhikevich::lower(&ctx)?,
        "elm" => elm::lower(&ctx)?,
        "lif" => {
            let mut p: lif::LifParams = params(pop)?;
            p.check(&format!("{}.params", pop.path))?;
            let ports = if pop.ports.is_empty() {
                vec![
                    PortSpec::current_exp("exc", 2.0),
                    PortSpec::current_exp("inh", 2.0),
                ]
            } else {
                pop.ports.clone()
            };
            let model = lif::Lif::new(p, &ports, dt);
            let names: Vec<String> = ports.iter().map(|p| p.name.clone()).collect();
            let variables = model.variables(&names);
            let blocks = block_sizes(pop.size)
                .map(|(_, n)| BlockState::Lif(model.state(n)))
                .collect();
            Lowered {
                model: Model::Lif(model),
                ports,
                variables,
                blocks,
            }
        }
        "hh" => hh::lower(&ctx)?,
        "rate" => rate::lower(&ctx)?,
        "poisson" => {
            no_ports(pop)?;
            #[derive(serde::Deserialize)]
            #[serde(deny_unknown_fields)]
            struct P {
                rate: toml::Value,
            }
            let p: P = params(pop)?;
            let path = format!("{}.params.rate", pop.path);
            let rate = values::parse(&p.rate, &path, pop.size, base_dir)?;
            let mut probs = vec![0.0; pop.size];
            fill(&rate, &mut probs, seed, Purpose::Parameter, id, 0);
            for (i, r) in probs.iter_mut().enumerate() {
                if *r < 0.0 || *r * dt / 1000.0 > 1.0 {
                    return Err(ModelError::invalid(
                        path,
                        format!(
                            "rates must be in [0, {}] Hz (at most one spike per step), got {r} for neuron {i}",
                            1000.0 / dt
                        ),
                    ));
                }
                *r *= dt / 1000.0;
            }
            let src = poisson::PoissonSource::new(probs, id);
            let blocks = block_sizes(pop.size)
                .map(|(start, n)| BlockState::Poisson(src.state(seed, start as u32, n)))
                .collect();
            Lowered {
                model: Model::Poisson(src),
                ports: vec![],
                variables: vec![],
                blocks,
            }
        }
        "spike_generator" => {
            no_ports(pop)?;
            let (times, ids) = generator_events(pop, base_dir)?;
            let mut per_block: Vec<generator::GeneratorState> = block_sizes(pop.size)
                .map(|_| generator::GeneratorState::default())
                .collect();
            for (k, (&t, &i)) in times.iter().zip(&ids).enumerate() {
                let tp = format!("{}.params.times[{k}]", pop.path);
                if !t.is_finite() || t < dt * (1.0 - 1e-9) {
                    return Err(ModelError::invalid(
                        tp,
                        format!("spike times must be ≥ dt ({dt} ms), got {t}"),
                    ));
                }
                if i < 0 || i as u64 >= pop.size as u64 {
                    return Err(ModelError::invalid(
                        format!("{}.params.ids[{k}]", pop.path),
                        format!("neuron index must be in 0..{}, got {i}", pop.size),
                    ));
                }
                let step = (t / dt).round() as u64 - 1;
                if step < steps {
                    per_block[i as usize / BLOCK].events.push((step, i as u32));
                }
            }
            for b in &mut per_block {
                b.events.sort_unstable();
            }
            let blocks = per_block.into_iter().map(BlockState::Generator).collect();
            Lowered {
                model: Model::Generator,
                ports: vec![],
                variables: vec![],
                blocks,
            }
        }
        other => {
            return Err(ModelError::invalid(
                format!("{}.model", pop.path),
                format!(
                    "unknown model \"{other}\"; known models: {}",
                    MODELS.join(", ")
                ),
            ));
        }
    };
    // Initial values.
    for (name, vals) in &pop.initial {
        let path = format!("{}.initial.{name}", pop.path);
        let Some(k) = lowered.variables.iter().position(|v| v == name) else {
            return Err(ModelError::invalid(
                path,
                format!(
                    "model \"{}\" has no state variable \"{name}\" (it has: {})",
                    pop.model,
                    if lowered.variables.is_empty() {
                        "none".into()
                    } else {
                        lowered.variables.join(", ")
                    }
                ),
            ));
        };
        let mut all = vec![0.0; pop.size];
        fill(
            vals,
            &mut all,
            seed,
            Purpose::Initial,
            id | ((k as u32) << 16),
            0,
        );
        let offset = lowered.model.var_offset(k);
        for (b, (start, n)) in block_sizes(pop.size).enumerate() {
            for (dst, &src) in lowered.model.var_mut(&mut lowered.blocks[b], k)[..n]
                .iter_mut()
                .zip(&all[start..start + n])
            {
                *dst = (src - offset) as f32;
            }
        }
    }
    Ok(lowered)
}

/// Evaluate a value specification for every element, drawing from per-element streams.
pub fn fill(v: &Values, out: &mut [f64], seed: u64, purpose: Purpose, id: u32, step: u64) {
    match v {
        Values::Const(c) => out.fill(*c),
        Values::Array(a) => out.copy_from_slice(a),
        Values::Dist(d) => {
            for (i, x) in out.iter_mut().enumerate() {
                *x = d.sample(&mut CounterRng::new(seed, purpose, id, i as u32, step));
            }
        }
    }
}

fn generator_events(pop: &Population, base_dir: &Path) -> Result<(Vec<f64>, Vec<i64>), ModelError> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct P {
        times: Option<Vec<f64>>,
        ids: Option<Vec<i64>>,
        file: Option<String>,
    }
    let p: P = params(pop)?;
    let base = format!("{}.params", pop.path);
    match (p.file, p.times, p.ids) {
        (Some(f), None, None) => {
            let fpath = format!("{base}.file");
            let file = base_dir.join(&f);
            let times = values::load_floats(&file, Some("times"), &fpath)?;
            let ids = values::load_indices(&file, Some("ids"), &fpath)?;
            if ids.len() != times.len() {
                return Err(ModelError::invalid(
                    fpath,
                    format!(
                        "{f}: 'ids' has {} elements, 'times' {}",
                        ids.len(),
                        times.len()
                    ),
                ));
            }
            Ok((times, ids))
        }
        (Some(_), _, _) => Err(ModelError::invalid(
            format!("{base}.file"),
            "give either `file` or `times`/`ids`, not both",
        )),
        (None, Some(times), ids) => {
            let ids = match ids {
                Some(ids) => ids,
                None if pop.size == 1 => vec![0; times.len()],
                None => {
                    return Err(ModelError::invalid(
                        format!("{base}.ids"),
                        "missing (needed when size > 1: the neuron of each spike)",
                    ));
                }
            };
            if ids.len() != times.len() {
                return Err(ModelError::invalid(
                    format!("{base}.ids"),
                    format!(
                        "needs one id per spike time ({}), got {}",
                        times.len(),
                        ids.len()
                    ),
                ));
            }
            Ok((times, ids))
        }
        (None, None, _) => Err(ModelError::invalid(
            format!("{base}.times"),
            "missing (spike times in ms, or `file`)",
        )),
    }
}
