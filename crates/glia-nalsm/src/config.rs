//! The TOML configuration of a NALSM run, validated once.
//!
//! Every section and field has the value of the paper (Ivanov & Michmizos 2021, NALSM1000) as
//! its default, so a file needs only what differs. Unknown fields are errors; out-of-range
//! values are errors that name the field (`liquid.grid: ...`).

use crate::error::{NalsmError, Result};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// How the liquid's weights change.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Astrocyte-modulated STDP: the depression rate `A₋` is the astrocyte's state `A`.
    Nalsm,
    /// Plain pair STDP with `A₋ = A₊`.
    Stdp,
    /// No plasticity: every weight has magnitude `liquid.w_init` (the hand-tuned scale).
    Lsm,
}

impl Mode {
    /// The name used in files.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Nalsm => "nalsm",
            Mode::Stdp => "stdp",
            Mode::Lsm => "lsm",
        }
    }
}

/// A whole run.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `nalsm`, `stdp` or `lsm`.
    pub mode: Mode,
    /// Seed of every random stream (connectivity, labels, input spikes, readout order).
    #[serde(default = "d_seed")]
    pub seed: u64,
    /// Output directory (relative to the working directory).
    #[serde(default = "d_out")]
    pub out: PathBuf,
    /// The liquid.
    #[serde(default)]
    pub liquid: LiquidConfig,
    /// Input encoding.
    #[serde(default)]
    pub input: InputConfig,
    /// Plasticity and astrocyte.
    #[serde(default)]
    pub plasticity: PlasticityConfig,
    /// Samples and durations.
    #[serde(default)]
    pub protocol: ProtocolConfig,
    /// Softmax readout.
    #[serde(default)]
    pub readout: ReadoutConfig,
    /// Branching-factor measurement.
    #[serde(default)]
    pub branching: BranchingConfig,
    /// Data folder of MNIST (default: `glia_memory::mnist::default_dir()`).
    #[serde(default)]
    pub mnist_dir: Option<PathBuf>,
}

/// The 3-D liquid of LIF neurons.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LiquidConfig {
    /// Grid shape; the liquid has the product of these neurons.
    pub grid: [usize; 3],
    /// Fraction of excitatory neurons (labels randomly permuted over the grid).
    pub excitatory_fraction: f64,
    /// Length constant λ of the connection probability `C·exp(−(D/λ)²)` \[grid units\].
    pub lambda: f64,
    /// `C` for E→E, E→I, I→E, I→I.
    pub c: [f64; 4],
    /// Membrane time constant τ_v \[ms\] (with R = τ_v: `v ← v + I − v/τ_v`).
    pub tau_v: f64,
    /// Synaptic kernel time constants τ_u \[ms\], one drawn uniformly per neuron.
    pub tau_u: Vec<f64>,
    /// Firing threshold; reset is 0.
    pub threshold: f64,
    /// Refractory period [steps of 1 ms].
    pub refractory: u32,
    /// Bias current `b`.
    pub bias: f64,
    /// Initial weight magnitude (E: +w, I: −w, input: ±w with random sign). In `lsm` mode
    /// this is the hand-tuned weight scale.
    pub w_init: f64,
    /// Weight bound: E→ [0, w_max], I→ [−w_max, 0], input→ [−w_max, w_max].
    pub w_max: f64,
}

impl Default for LiquidConfig {
    fn default() -> Self {
        Self {
            grid: [10, 10, 10],
            excitatory_fraction: 0.8,
            lambda: 3.0,
            c: [0.2, 0.1, 0.3, 0.05],
            tau_v: 64.0,
            tau_u: vec![1.0, 2.0],
            threshold: 20.0,
            refractory: 2,
            bias: 0.0,
            w_init: 1.0,
            w_max: 3.0,
        }
    }
}

/// Input layer and encoding.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InputConfig {
    /// Probability that an input neuron connects to a liquid neuron.
    pub p_connect: f64,
    /// Current injected into an input neuron by a Bernoulli event.
    pub current: f64,
}

impl Default for InputConfig {
    fn default() -> Self {
        Self {
            p_connect: 0.15,
            current: 100.0,
        }
    }
}

/// Trace STDP and the astrocyte.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PlasticityConfig {
    /// Potentiation rate A₊ (and the astrocyte's initial state and bias).
    pub a_plus: f64,
    /// Trace time constant \[ms\]: `x ← exp(−1/τ)(x + jump·S)`.
    pub trace_tau: f64,
    /// Trace jump per spike.
    pub trace_jump: f64,
    /// Astrocyte time constant τ_astro \[ms\].
    pub astro_tau: f64,
    /// Astrocyte weight w_astro (0.015 for 1000 neurons, 0.0075 for 8000).
    pub astro_w: f64,
    /// Per-ms decay of A₊, A, w_astro and b_astro during a sample (not during initialisation).
    pub decay: f64,
}

impl Default for PlasticityConfig {
    fn default() -> Self {
        Self {
            a_plus: 0.15,
            trace_tau: 10.0,
            trace_jump: 0.1,
            astro_tau: 100.0,
            astro_w: 0.015,
            decay: 0.99,
        }
    }
}

/// Sample counts and durations.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProtocolConfig {
    /// Initialisation samples (random training images), weights carried over → W_INI.
    pub init_samples: usize,
    /// Duration of one initialisation sample \[ms\].
    pub init_ms: u32,
    /// Duration of one sample presentation \[ms\].
    pub sample_ms: u32,
    /// Training samples (the first of MNIST's 60 000 training images).
    pub train: usize,
    /// Validation samples (MNIST training images 50 000.. , or right after `train` when
    /// `train` < 50 000).
    pub val: usize,
    /// Test samples (the first of MNIST's 10 000 test images).
    pub test: usize,
    /// Checkpoint size: the features are simulated in chunks of this many samples, and the
    /// initialisation's weights saved every this many initialisation samples, atomically, in
    /// `OUT/partial/`; a rerun of the same configuration continues from there.
    pub chunk: usize,
}

impl Default for ProtocolConfig {
    fn default() -> Self {
        Self {
            init_samples: 50_000,
            init_ms: 20,
            sample_ms: 250,
            train: 50_000,
            val: 10_000,
            test: 10_000,
            chunk: 2_000,
        }
    }
}

/// Optimiser of the softmax readout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Optimizer {
    /// Adam (β₁ = 0.9, β₂ = 0.999, ε = 1e-8) with step size `lr`.
    Adam,
    /// Adadelta (Zeiler 2012, as TensorFlow applies it: `rho`, `eps`, step scaled by `lr`),
    /// the authors' readout optimiser.
    Adadelta,
}

/// Scaling of the L1-normalised spike counts before the readout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scaling {
    /// Every feature standardised with the training set's mean and standard deviation.
    Standardise,
    /// Every block of `batch` consecutive samples divided by its largest value (the authors'
    /// `x / max(x)` over a mini-batch; blocks are taken in sample order for every split).
    BatchMax,
}

/// Training targets of the cross-entropy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Targets {
    /// One-hot labels.
    OneHot,
    /// The authors' targets: the softmax of a ±1 label vector (+1 for the class, −1 for the
    /// others), i.e. e²/(e² + 9) ≈ 0.451 for the class and 1/(e² + 9) ≈ 0.061 for each other.
    SoftmaxPm1,
}

/// Softmax readout trained by mini-batch gradient descent; the epoch with the best validation
/// accuracy gives the test accuracy.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReadoutConfig {
    /// Passes over the training features.
    pub epochs: usize,
    /// Samples per mini-batch.
    pub batch: usize,
    /// Step size (Adam) or the factor on the Adadelta update.
    pub lr: f64,
    /// L2 penalty λ/2‖W‖² on the weights.
    pub lambda: f64,
    /// `adam` or `adadelta`.
    pub optimizer: Optimizer,
    /// Adadelta's decay of its running averages.
    pub rho: f64,
    /// Adadelta's ε.
    pub eps: f64,
    /// `standardise` or `batch_max`.
    pub scaling: Scaling,
    /// `one_hot` or `softmax_pm1`.
    pub targets: Targets,
    /// Visit the training samples in a new random order every epoch (else in sample order,
    /// as the authors do).
    pub shuffle: bool,
}

impl Default for ReadoutConfig {
    fn default() -> Self {
        Self {
            epochs: 60,
            batch: 64,
            lr: 1e-3,
            lambda: 1e-5,
            optimizer: Optimizer::Adam,
            rho: 0.95,
            eps: 1e-8,
            scaling: Scaling::Standardise,
            targets: Targets::OneHot,
            shuffle: true,
        }
    }
}

/// The paper's branching factor: for each liquid spike in `[from, to)`, the spikes of its
/// postsynaptic liquid neurons in the next `window` ms over those of its presynaptic liquid
/// neurons in the previous `window` ms.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BranchingConfig {
    /// Test samples whose spikes are recorded (the first ones); 0 = no measurement.
    pub samples: usize,
    /// Window \[ms\].
    pub window: u32,
    /// Start of the analysed interval \[ms\].
    pub from: u32,
    /// End of the analysed interval \[ms\].
    pub to: u32,
}

impl Default for BranchingConfig {
    fn default() -> Self {
        Self {
            samples: 20,
            window: 4,
            from: 25,
            to: 225,
        }
    }
}

fn d_seed() -> u64 {
    1
}

fn d_out() -> PathBuf {
    PathBuf::from("out/nalsm")
}

fn positive(field: &str, x: f64) -> Result<()> {
    if x > 0.0 && x.is_finite() {
        Ok(())
    } else {
        Err(NalsmError::config(field, format!("must be > 0, got {x}")))
    }
}

fn in_unit(field: &str, x: f64) -> Result<()> {
    if (0.0..=1.0).contains(&x) {
        Ok(())
    } else {
        Err(NalsmError::config(
            field,
            format!("must be in [0, 1], got {x}"),
        ))
    }
}

fn non_negative(field: &str, x: f64) -> Result<()> {
    if x >= 0.0 && x.is_finite() {
        Ok(())
    } else {
        Err(NalsmError::config(field, format!("must be ≥ 0, got {x}")))
    }
}

/// Whether `text` looks like a NALSM configuration (a top-level `mode` key and no
/// `populations` or `task`), so that `glia run` and `glia validate` can route it.
pub fn is_nalsm(text: &str) -> bool {
    toml::from_str::<toml::Table>(text).is_ok_and(|t| {
        t.get("mode").is_some_and(|m| m.is_str())
            && !t.contains_key("populations")
            && !t.contains_key("task")
    })
}

impl Config {
    /// Parse and validate a TOML string; `path` names it in errors.
    pub fn from_toml(text: &str, path: &str) -> Result<Self> {
        let de = toml::Deserializer::new(text);
        let cfg: Config = serde_path_to_error::deserialize(de).map_err(|e| NalsmError::Parse {
            path: path.to_string(),
            why: format!("{}: {}", e.path(), e.inner().message()),
        })?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Read, parse and validate a file. A relative `out` stays relative to the working
    /// directory.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| NalsmError::Parse {
            path: path.display().to_string(),
            why: e.to_string(),
        })?;
        Self::from_toml(&text, &path.display().to_string())
    }

    /// Range and consistency checks.
    pub fn validate(&self) -> Result<()> {
        let l = &self.liquid;
        if l.grid.contains(&0) {
            return Err(NalsmError::config(
                "liquid.grid",
                format!("every side must be ≥ 1, got {:?}", l.grid),
            ));
        }
        let n: usize = l.grid.iter().product();
        if n > 1 << 20 {
            return Err(NalsmError::config(
                "liquid.grid",
                format!("at most 1 048 576 neurons, got {n}"),
            ));
        }
        in_unit("liquid.excitatory_fraction", l.excitatory_fraction)?;
        positive("liquid.lambda", l.lambda)?;
        for (k, &c) in l.c.iter().enumerate() {
            in_unit(&format!("liquid.c[{k}]"), c)?;
        }
        if !(l.tau_v >= 1.0 && l.tau_v.is_finite()) {
            return Err(NalsmError::config(
                "liquid.tau_v",
                format!("must be ≥ 1 ms (Euler step of 1 ms), got {}", l.tau_v),
            ));
        }
        if l.tau_u.is_empty() || l.tau_u.len() > 255 {
            return Err(NalsmError::config(
                "liquid.tau_u",
                format!("needs 1 to 255 values, got {}", l.tau_u.len()),
            ));
        }
        for (k, &t) in l.tau_u.iter().enumerate() {
            positive(&format!("liquid.tau_u[{k}]"), t)?;
        }
        positive("liquid.threshold", l.threshold)?;
        if !l.bias.is_finite() {
            return Err(NalsmError::config("liquid.bias", "must be finite"));
        }
        non_negative("liquid.w_init", l.w_init)?;
        non_negative("liquid.w_max", l.w_max)?;
        if l.w_init > l.w_max && self.mode != Mode::Lsm {
            return Err(NalsmError::config(
                "liquid.w_init",
                format!("must be ≤ liquid.w_max = {}, got {}", l.w_max, l.w_init),
            ));
        }
        in_unit("input.p_connect", self.input.p_connect)?;
        non_negative("input.current", self.input.current)?;
        let p = &self.plasticity;
        non_negative("plasticity.a_plus", p.a_plus)?;
        positive("plasticity.trace_tau", p.trace_tau)?;
        non_negative("plasticity.trace_jump", p.trace_jump)?;
        if !(p.astro_tau >= 1.0 && p.astro_tau.is_finite()) {
            return Err(NalsmError::config(
                "plasticity.astro_tau",
                format!("must be ≥ 1 ms, got {}", p.astro_tau),
            ));
        }
        if !p.astro_w.is_finite() {
            return Err(NalsmError::config("plasticity.astro_w", "must be finite"));
        }
        in_unit("plasticity.decay", p.decay)?;
        let pr = &self.protocol;
        if pr.sample_ms == 0 {
            return Err(NalsmError::config("protocol.sample_ms", "must be ≥ 1"));
        }
        if pr.init_samples > 0 && pr.init_ms == 0 {
            return Err(NalsmError::config("protocol.init_ms", "must be ≥ 1"));
        }
        if pr.init_samples >= 1 << 24 {
            return Err(NalsmError::config(
                "protocol.init_samples",
                format!("must be < 16 777 216, got {}", pr.init_samples),
            ));
        }
        if pr.train < 2 {
            return Err(NalsmError::config(
                "protocol.train",
                format!("must be ≥ 2, got {}", pr.train),
            ));
        }
        if pr.val < 1 {
            return Err(NalsmError::config("protocol.val", "must be ≥ 1"));
        }
        if pr.train + pr.val > 60_000 {
            return Err(NalsmError::config(
                "protocol.val",
                format!(
                    "train + val must be ≤ 60 000 (MNIST's training set), got {} + {}",
                    pr.train, pr.val
                ),
            ));
        }
        if pr.test < 1 || pr.test > 10_000 {
            return Err(NalsmError::config(
                "protocol.test",
                format!("must be in [1, 10 000], got {}", pr.test),
            ));
        }
        if pr.chunk == 0 {
            return Err(NalsmError::config("protocol.chunk", "must be ≥ 1"));
        }
        let r = &self.readout;
        if r.epochs == 0 {
            return Err(NalsmError::config("readout.epochs", "must be ≥ 1"));
        }
        if r.batch == 0 {
            return Err(NalsmError::config("readout.batch", "must be ≥ 1"));
        }
        positive("readout.lr", r.lr)?;
        non_negative("readout.lambda", r.lambda)?;
        if !(r.rho > 0.0 && r.rho < 1.0) {
            return Err(NalsmError::config(
                "readout.rho",
                format!("must be in (0, 1), got {}", r.rho),
            ));
        }
        positive("readout.eps", r.eps)?;
        let b = &self.branching;
        if b.samples > pr.test {
            return Err(NalsmError::config(
                "branching.samples",
                format!("must be ≤ protocol.test = {}, got {}", pr.test, b.samples),
            ));
        }
        if b.samples > 0 {
            if b.window == 0 {
                return Err(NalsmError::config("branching.window", "must be ≥ 1"));
            }
            if !(b.from < b.to && b.to <= pr.sample_ms) {
                return Err(NalsmError::config(
                    "branching.to",
                    format!(
                        "need from < to ≤ protocol.sample_ms = {}, got from = {}, to = {}",
                        pr.sample_ms, b.from, b.to
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Liquid size.
    pub fn neurons(&self) -> usize {
        self.liquid.grid.iter().product()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_paper_and_bad_values_name_the_field() {
        let c = Config::from_toml("mode = \"nalsm\"", "x.toml").unwrap();
        assert_eq!(c.neurons(), 1000);
        assert_eq!(c.protocol.train, 50_000);
        let e = Config::from_toml("mode = \"nalsm\"\n[liquid]\ngrid = [10, 0, 10]", "x.toml")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("liquid.grid:"), "{e}");
        let e = Config::from_toml("mode = \"nalsm\"\n[protocol]\ntrain = 55000", "x.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("protocol.val") && e.contains("60 000"), "{e}");
        let e = Config::from_toml("mode = \"nalsm\"\n[liquid]\ntau_u = [1.0, -2.0]", "x.toml")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("liquid.tau_u[1]:"), "{e}");
        let e = Config::from_toml("mode = \"nalsm\"\n[liquid]\ngird = [1, 1, 1]", "x.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("x.toml") && e.contains("gird"), "{e}");
        let e = Config::from_toml("mode = \"lsn\"", "x.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("mode"), "{e}");
    }
}
