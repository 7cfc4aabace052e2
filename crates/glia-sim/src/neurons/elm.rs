//! Expressive Leaky Memory neuron, Branch-ELM (Spieler et al. 2023, "The ELM neuron: an
//! efficient and expressive cortical neuron model can solve long-horizon tasks",
//! arXiv:2306.16922; authors' code github.com/AaronSpieler/elmneuron).
//!
//! A phenomenological neuron: synaptic input is summed per dendritic branch into leaky branch
//! traces `b`, a small MLP reads the traces and the memory units `m` and writes a bounded
//! update into the memory, which leaks with time constants spread over three decades; the
//! output is a linear read-out of the memory. One step `h` (= dt, ms):
//!
//! ```text
//! b_t  = κ_b ⊙ b_{t−1} + Σ_{synapses s of the branch} relu(w_s)·x_{t,s}      κ_b = e^{−h/τ_b}
//! Δm_t = g(MLP([b_t, κ_m ⊙ m_{t−1}]))
//! m_t  = κ_m ⊙ m_{t−1} + (1 − κ_λ) ⊙ Δm_t               κ_m = e^{−h/τ_m}, κ_λ = e^{−h·λ/τ_m}
//! y_t  = W_y m_t + b_y
//! ```
//!
//! The MLP has `L ≥ 0` hidden layers `u ← act(W u + c)` (`act` = ReLU, the authors' default,
//! or SiLU) and a linear output layer with bias; `g(x) = 1.7159·tanh(2x/3)` (LeCun's scaled
//! tanh, what the authors' code applies; the paper writes `tanh`, also available). `b` and `m`
//! start at zero. Details taken from the authors' code (`expressive_leaky_memory_neuron_v2.py`,
//! `modeling_utils.py`): the MLP input is `[b, κ_m ⊙ m]` in that order; every linear layer has
//! a bias; the branch decay `τ_b` may differ per branch; defaults `τ_b = 5 ms`, `λ = 5`,
//! `τ_m` log-spaced in `[1, 1000]` ms, hidden width `2·d_m`, one hidden layer, `w_s = 0.5`.
//!
//! **Two ways to run it.**
//! - As a library function: [`ElmWeights`] (from an `.npz` file, [`ElmWeights::load`], or a
//!   seeded random initialisation, [`ElmWeights::random`]) → [`Elm::new`] for a step `h` →
//!   [`Elm::forward`] on an input sequence `x` (T × n_syn), using the synaptic weights `w_s` and
//!   the synapse → branch map of the weights.
//! - As the population model `"elm"`: every neuron of the population is one ELM neuron, all
//!   sharing the weights. Synapses are the projections: the population has one receptor port
//!   per branch, `b0`, `b1`, …, each a delta port, and a spike of weight `w` arriving at port
//!   `bk` in a step adds `w` to that step's input of branch `k` — the weight plays the role of
//!   `relu(w_s)·x`, so weights into these ports must be ≥ 0 (checked when the network is
//!   built). The file's `w_s` and `synapse_branch` are not used by the population.
//!   Poisson inputs (`[[inputs]] kind = "poisson"`) into a branch port work the same way;
//!   current inputs are rejected. The model does not spike: its result is the state variable
//!   `y`, recorded by state monitors (spike and rate monitors of the population stay empty).
//!
//! **Weights file** (`.npz`; float arrays may be float32 or float64, shapes exact; other arrays
//! in the file are ignored):
//!
//! | array | shape | meaning |
//! |---|---|---|
//! | `tau_m` | (d_m,) | memory time constants \[ms\], > 0 (required) |
//! | `mlp_w0`, `mlp_b0` | (h₀, n_b + d_m), (h₀,) | first layer: its input width gives n_b (required) |
//! | `mlp_wk`, `mlp_bk` | (h_k, h_{k−1}), (h_k,) | further layers, k = 1, 2, … consecutive; the last has h = d_m (it is the output layer) |
//! | `w_y`, `b_y` | (n_out, d_m), (n_out,) | read-out (required) |
//! | `tau_b` | () or (n_b,) | branch time constants \[ms\], > 0 (default 5) |
//! | `lambda` | () | λ > 0 (default 5) |
//! | `w_s` | (n_syn,) | synaptic weights before relu (library forward; default: one synapse of weight 1 per branch) |
//! | `synapse_branch` | (n_syn,) integer | branch of each synapse, in `0..n_b` (default: contiguous, `s / (n_syn / n_b)`, as the authors; then n_syn must be a multiple of n_b) |
//!
//! A missing file or array, a wrong shape, a non-finite value or a time constant ≤ 0 is an
//! error naming the field and the array.
//!
//! **Random initialisation** (no `weights`): as PyTorch's `nn.Linear` (the authors' code),
//! every weight and bias of a layer with `fan_in` inputs is uniform in `±1/√fan_in`;
//! `w_s = 0.5`; `τ_m` log-spaced from `tau_m_min` to `tau_m_max`; one `τ_b` for all branches.
//! The draws come from counter-based streams keyed by the seed, the layer and the row only, so
//! the same seed and sizes give the same weights in the library and in any population.
//!
//! **Population parameters** (`params`):
//!
//! | param | unit | default | meaning |
//! |---|---|---|---|
//! | `weights` | — | — | path of the weights `.npz` (relative to the model file); without it, random initialisation with: |
//! | `seed` | — | simulation seed | seed of the random initialisation |
//! | `branches` | — | required | number of branches n_b |
//! | `memory` | — | 100 | memory units d_m |
//! | `outputs` | — | 1 | outputs n_out |
//! | `hidden` | — | 2·`memory` | width of each hidden layer |
//! | `layers` | — | 1 | number of hidden layers |
//! | `tau_m_min`, `tau_m_max` | ms | 1, 1000 | range of the log-spaced `τ_m` |
//! | `tau_b` | ms | 5 | branch time constant |
//! | `lambda` | — | 5 | λ |
//! | `mlp_activation` | — | `"relu"` | hidden-layer activation, `"relu"` or `"silu"` (with either weights source) |
//! | `update_activation` | — | `"lecun_tanh"` | `g`: `"lecun_tanh"` (1.7159·tanh(2x/3)) or `"tanh"` (with either weights source) |
//!
//! State variables: `y` (output 0; with n_out > 1 also `y0`, `y1`, … — `y0` is `y`), `m0`, `m1`,
//! … (memory), `b0`, `b1`, … (branch traces). Monitors sample them after the step, so the
//! sample of step t is `y_t`.
//!
//! **Computation.** Weights and state are f32 (the decay factors are computed in f64). Each
//! block first advances its branch traces (one vectorised loop per branch), then runs the MLP
//! on tiles of [`TILE`] neurons: the inputs of a tile sit in a scratch buffer (one row per
//! input, one lane per neuron) kept in the block state, and each dense layer accumulates
//! `W[r, j]·z_j` over the tile's lanes, so the work is dense, vectorises over neurons and
//! allocates nothing. [`Elm::forward`] runs the same kernel on a block of one neuron. Against
//! a float64 NumPy implementation of the equations (`validation/elm_reference.py`) outputs
//! agree to 1e-5 (tests/elm.rs).

use super::{LowerCtx, Lowered, Model, Neuron};
use glia_core::{CounterRng, Purpose};
use glia_io::ArrayData;
use glia_spec::{Kernel, ModelError, PortSpec, SynapseKind};
use ndarray::{Array2, ArrayView2};
use serde::Deserialize;
use std::path::Path;

/// Neurons whose MLPs are evaluated together (lanes of the scratch buffers).
pub const TILE: usize = 32;

/// LeCun's scaled tanh, `A·tanh(B·x)`: `A`.
const LECUN_A: f32 = 1.7159;
/// `B`.
const LECUN_B: f32 = 2.0 / 3.0;

/// Hidden-layer activation of the MLP.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    /// `max(x, 0)` (the authors' default).
    #[default]
    Relu,
    /// `x·σ(x)`.
    Silu,
}

/// The nonlinearity `g` applied to the MLP output to give the memory update `Δm`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UpdateActivation {
    /// `1.7159·tanh(2x/3)` (the authors' code).
    #[default]
    LecunTanh,
    /// `tanh(x)` (the paper's equation).
    Tanh,
}

/// A dense layer `W x + c`, `W` row-major `rows × cols`.
#[derive(Clone, Debug, PartialEq)]
pub struct Dense {
    /// Output width.
    pub rows: usize,
    /// Input width.
    pub cols: usize,
    /// Weights, row-major.
    pub w: Vec<f64>,
    /// Bias (`rows`).
    pub c: Vec<f64>,
}

/// The parameters of one ELM neuron, as read or drawn (f64). See the module docs for the file
/// format.
#[derive(Clone, Debug, PartialEq)]
pub struct ElmWeights {
    /// Synaptic weights before relu (n_syn); used by [`Elm::forward`] only.
    pub w_s: Vec<f64>,
    /// Branch of each synapse (n_syn, in `0..n_b`).
    pub synapse_branch: Vec<usize>,
    /// Branch time constants \[ms\] (n_b).
    pub tau_b: Vec<f64>,
    /// Memory time constants \[ms\] (d_m).
    pub tau_m: Vec<f64>,
    /// λ.
    pub lambda: f64,
    /// MLP layers: the hidden layers, then the output layer (`rows = d_m`).
    pub mlp: Vec<Dense>,
    /// Read-out (`n_out × d_m`).
    pub w_y: Dense,
    /// Hidden-layer activation.
    pub activation: Activation,
    /// `g`.
    pub update: UpdateActivation,
}

/// Sizes and constants of a random initialisation ([`ElmWeights::random`]); the defaults are
/// the authors' (with one branch).
#[derive(Clone, Debug, PartialEq)]
pub struct ElmInit {
    /// Branches n_b.
    pub branches: usize,
    /// Synapses per branch (contiguous, as the authors'; library forward only).
    pub synapses_per_branch: usize,
    /// Memory units d_m.
    pub memory: usize,
    /// Outputs n_out.
    pub outputs: usize,
    /// Width of each hidden layer.
    pub hidden: usize,
    /// Number of hidden layers.
    pub layers: usize,
    /// Smallest `τ_m` \[ms\].
    pub tau_m_min: f64,
    /// Largest `τ_m` \[ms\].
    pub tau_m_max: f64,
    /// `τ_b` \[ms\].
    pub tau_b: f64,
    /// λ.
    pub lambda: f64,
    /// Initial `w_s`.
    pub w_s: f64,
}

impl Default for ElmInit {
    fn default() -> Self {
        Self {
            branches: 1,
            synapses_per_branch: 1,
            memory: 100,
            outputs: 1,
            hidden: 200,
            layers: 1,
            tau_m_min: 1.0,
            tau_m_max: 1000.0,
            tau_b: 5.0,
            lambda: 5.0,
            w_s: 0.5,
        }
    }
}

impl ElmInit {
    /// Check ranges; `path` is the parameter table's path (fields are named after
    /// [`ElmInit`]'s, as in the model file).
    pub fn check(&self, path: &str) -> Result<(), ModelError> {
        let bad = |f: &str, m: String| Err(ModelError::invalid(format!("{path}.{f}"), m));
        for (name, v) in [
            ("branches", self.branches),
            ("synapses_per_branch", self.synapses_per_branch),
            ("memory", self.memory),
            ("outputs", self.outputs),
        ] {
            if v == 0 {
                return bad(name, "must be ≥ 1, got 0".into());
            }
        }
        if self.layers > 0 && self.hidden == 0 {
            return bad("hidden", "must be ≥ 1 when layers > 0, got 0".into());
        }
        for (name, v) in [
            ("tau_m_min", self.tau_m_min),
            ("tau_m_max", self.tau_m_max),
            ("tau_b", self.tau_b),
            ("lambda", self.lambda),
        ] {
            if !(v > 0.0 && v.is_finite()) {
                return bad(name, format!("must be > 0, got {v}"));
            }
        }
        if self.tau_m_max < self.tau_m_min {
            return bad(
                "tau_m_max",
                format!(
                    "must be ≥ tau_m_min ({}), got {}",
                    self.tau_m_min, self.tau_m_max
                ),
            );
        }
        if !self.w_s.is_finite() {
            return bad("w_s", format!("must be finite, got {}", self.w_s));
        }
        Ok(())
    }
}

/// Stream id base of the random initialisation (plus the layer number).
const INIT_STREAM: u32 = 0x00E1_0000;

impl ElmWeights {
    /// Branches n_b.
    pub fn n_branch(&self) -> usize {
        self.tau_b.len()
    }

    /// Memory units d_m.
    pub fn n_memory(&self) -> usize {
        self.tau_m.len()
    }

    /// Outputs n_out.
    pub fn n_output(&self) -> usize {
        self.w_y.rows
    }

    /// Synapses n_syn (of the library forward pass).
    pub fn n_synapse(&self) -> usize {
        self.w_s.len()
    }

    /// Draw weights as described in the module docs (`init` must pass [`ElmInit::check`]).
    pub fn random(init: &ElmInit, seed: u64) -> Self {
        let layer = |k: usize, rows: usize, cols: usize| {
            let bound = 1.0 / (cols as f64).sqrt();
            let mut w = Vec::with_capacity(rows * cols);
            let mut c = Vec::with_capacity(rows);
            for r in 0..rows {
                let mut rng = CounterRng::new(
                    seed,
                    Purpose::Parameter,
                    INIT_STREAM + k as u32,
                    r as u32,
                    0,
                );
                for _ in 0..cols {
                    w.push(bound * (2.0 * rng.uniform() - 1.0));
                }
                c.push(bound * (2.0 * rng.uniform() - 1.0));
            }
            Dense { rows, cols, w, c }
        };
        let (nb, dm) = (init.branches, init.memory);
        let mut mlp = Vec::new();
        let mut width = nb + dm;
        for k in 0..init.layers {
            mlp.push(layer(k, init.hidden, width));
            width = init.hidden;
        }
        mlp.push(layer(init.layers, dm, width));
        let w_y = layer(init.layers + 1, init.outputs, dm);
        let n_syn = nb * init.synapses_per_branch;
        let tau_m = (0..dm)
            .map(|j| {
                if dm == 1 {
                    init.tau_m_min
                } else {
                    init.tau_m_min
                        * (init.tau_m_max / init.tau_m_min).powf(j as f64 / (dm - 1) as f64)
                }
            })
            .collect();
        Self {
            w_s: vec![init.w_s; n_syn],
            synapse_branch: (0..n_syn).map(|s| s / init.synapses_per_branch).collect(),
            tau_b: vec![init.tau_b; nb],
            tau_m,
            lambda: init.lambda,
            mlp,
            w_y,
            activation: Activation::default(),
            update: UpdateActivation::default(),
        }
    }

    /// Read weights from an `.npz` file (format in the module docs); `path` names the field
    /// that gave the file, for messages (`populations[0].params.weights: FILE (array 'w_y'):
    /// expected shape [2, 6] (n_out × d_m), got [2, 5]`). The activations are the defaults.
    pub fn load(file: &Path, path: &str) -> Result<Self, ModelError> {
        let z = NpzFile { file, path };
        let names =
            glia_io::npz_names(file).map_err(|e| ModelError::invalid(path, e.to_string()))?;
        let (_, tau_m) = z.floats("tau_m", Some(1))?;
        let dm = tau_m.len();
        if dm == 0 {
            return Err(z.err("tau_m", "needs at least one memory unit, got shape [0]"));
        }
        z.positive("tau_m", &tau_m)?;

        // MLP layers mlp_w0, mlp_w1, ... (consecutive), each with its bias.
        let mut n_layers = 0;
        while names.iter().any(|n| *n == format!("mlp_w{n_layers}")) {
            n_layers += 1;
        }
        if n_layers == 0 {
            return Err(z.err(
                "mlp_w0",
                "no such array in the file (the MLP's first layer)",
            ));
        }
        if let Some(stray) = names.iter().find(|n| {
            ["mlp_w", "mlp_b"].iter().any(|p| {
                n.strip_prefix(p)
                    .and_then(|k| k.parse::<usize>().ok())
                    .is_some_and(|k| k >= n_layers)
            })
        }) {
            return Err(z.err(
                stray,
                &format!(
                    "layers must be numbered consecutively from 0, but the file has mlp_w0 … mlp_w{} and {stray}",
                    n_layers - 1
                ),
            ));
        }
        let mut mlp = Vec::with_capacity(n_layers);
        let mut n_b = 0;
        for k in 0..n_layers {
            let wname = format!("mlp_w{k}");
            let (shape, w) = z.floats(&wname, Some(2))?;
            let (rows, cols) = (shape[0], shape[1]);
            if k == 0 {
                if cols <= dm {
                    return Err(z.err(
                        &wname,
                        &format!(
                            "expected shape [hidden, n_b + d_m] with n_b ≥ 1 and d_m = {dm} (from tau_m), got {shape:?}"
                        ),
                    ));
                }
                n_b = cols - dm;
            } else {
                let prev = mlp.last().map_or(0, |l: &Dense| l.rows);
                if cols != prev {
                    return Err(z.err(
                        &wname,
                        &format!(
                            "expected {prev} columns (the rows of mlp_w{}), got shape {shape:?}",
                            k - 1
                        ),
                    ));
                }
            }
            if k + 1 == n_layers && rows != dm {
                return Err(z.err(
                    &wname,
                    &format!(
                        "the last layer must have d_m = {dm} rows (from tau_m), got shape {shape:?}"
                    ),
                ));
            }
            if rows == 0 {
                return Err(z.err(&wname, "layers need at least one row, got 0"));
            }
            let bname = format!("mlp_b{k}");
            let (_, c) = z.floats_shape(&bname, &[rows], "rows of the layer")?;
            mlp.push(Dense { rows, cols, w, c });
        }
        let (shape, wy) = z.floats("w_y", Some(2))?;
        if shape[1] != dm || shape[0] == 0 {
            return Err(z.err(
                "w_y",
                &format!("expected shape [n_out ≥ 1, d_m = {dm}], got {shape:?}"),
            ));
        }
        let n_out = shape[0];
        let (_, by) = z.floats_shape("b_y", &[n_out], "n_out")?;
        let w_y = Dense {
            rows: n_out,
            cols: dm,
            w: wy,
            c: by,
        };
        let tau_b = match z.optional("tau_b")? {
            None => vec![5.0; n_b],
            Some((shape, v)) if shape.is_empty() => vec![v[0]; n_b],
            Some((shape, v)) if shape == [n_b] => v,
            Some((shape, _)) => {
                return Err(z.err(
                    "tau_b",
                    &format!("expected shape [] or [{n_b}] (n_b), got {shape:?}"),
                ));
            }
        };
        z.positive("tau_b", &tau_b)?;
        let lambda = match z.optional("lambda")? {
            None => 5.0,
            Some((shape, v)) if shape.is_empty() || shape == [1] => v[0],
            Some((shape, _)) => {
                return Err(z.err(
                    "lambda",
                    &format!("expected shape [] (a scalar), got {shape:?}"),
                ));
            }
        };
        z.positive("lambda", &[lambda])?;
        let w_s = match z.optional("w_s")? {
            None => vec![1.0; n_b],
            Some((shape, v)) if shape.len() == 1 && !v.is_empty() => v,
            Some((shape, _)) => {
                return Err(z.err("w_s", &format!("expected shape [n_syn ≥ 1], got {shape:?}")));
            }
        };
        let n_syn = w_s.len();
        let synapse_branch = match z.indices("synapse_branch")? {
            None => {
                if !n_syn.is_multiple_of(n_b) {
                    return Err(z.err(
                        "w_s",
                        &format!(
                            "without 'synapse_branch', n_syn ({n_syn}) must be a multiple of n_b ({n_b})"
                        ),
                    ));
                }
                (0..n_syn).map(|s| s / (n_syn / n_b)).collect()
            }
            Some((shape, v)) => {
                if shape != [n_syn] {
                    return Err(z.err(
                        "synapse_branch",
                        &format!("expected shape [{n_syn}] (n_syn, from w_s), got {shape:?}"),
                    ));
                }
                let mut out = Vec::with_capacity(n_syn);
                for (s, &k) in v.iter().enumerate() {
                    if k < 0 || k as usize >= n_b {
                        return Err(z.err(
                            "synapse_branch",
                            &format!("element {s} is {k}; branches are 0..{n_b}"),
                        ));
                    }
                    out.push(k as usize);
                }
                out
            }
        };
        Ok(Self {
            w_s,
            synapse_branch,
            tau_b,
            tau_m,
            lambda,
            mlp,
            w_y,
            activation: Activation::default(),
            update: UpdateActivation::default(),
        })
    }
}

/// An array's shape and elements.
type Arr<T> = (Vec<usize>, Vec<T>);

/// Reading arrays of one weights file, with messages naming the field and the array.
struct NpzFile<'a> {
    file: &'a Path,
    path: &'a str,
}

impl NpzFile<'_> {
    fn err(&self, array: &str, message: &str) -> ModelError {
        ModelError::invalid(
            self.path,
            format!("{} (array '{array}'): {message}", self.file.display()),
        )
    }

    fn optional(&self, name: &str) -> Result<Option<Arr<f64>>, ModelError> {
        let got = glia_io::read_npz_array(self.file, name)
            .map_err(|e| ModelError::invalid(self.path, e.to_string()))?;
        let Some((shape, data)) = got else {
            return Ok(None);
        };
        let v = match data {
            ArrayData::Float(v) => v,
            ArrayData::Int(v) => v.into_iter().map(|i| i as f64).collect(),
        };
        if let Some((i, x)) = v.iter().enumerate().find(|(_, x)| !x.is_finite()) {
            return Err(self.err(name, &format!("element {i} is {x}; values must be finite")));
        }
        Ok(Some((shape, v)))
    }

    /// A required float array with `ndim` dimensions (if given).
    fn floats(&self, name: &str, ndim: Option<usize>) -> Result<Arr<f64>, ModelError> {
        let (shape, v) = self
            .optional(name)?
            .ok_or_else(|| self.err(name, "no such array in the file"))?;
        if let Some(d) = ndim
            && shape.len() != d
        {
            return Err(self.err(
                name,
                &format!("expected a {d}-D array, got shape {shape:?}"),
            ));
        }
        Ok((shape, v))
    }

    /// A required float array of exactly `want` shape.
    fn floats_shape(&self, name: &str, want: &[usize], what: &str) -> Result<Arr<f64>, ModelError> {
        let (shape, v) = self.floats(name, None)?;
        if shape != want {
            return Err(self.err(
                name,
                &format!("expected shape {want:?} ({what}), got {shape:?}"),
            ));
        }
        Ok((shape, v))
    }

    fn positive(&self, name: &str, v: &[f64]) -> Result<(), ModelError> {
        if let Some((i, x)) = v.iter().enumerate().find(|(_, x)| x.is_nan() || **x <= 0.0) {
            let which = if v.len() > 1 {
                format!("element {i} is {x}")
            } else {
                format!("is {x}")
            };
            return Err(self.err(name, &format!("{which}; must be > 0")));
        }
        Ok(())
    }

    fn indices(&self, name: &str) -> Result<Option<Arr<i64>>, ModelError> {
        let got = glia_io::read_npz_array(self.file, name)
            .map_err(|e| ModelError::invalid(self.path, e.to_string()))?;
        match got {
            None => Ok(None),
            Some((shape, ArrayData::Int(v))) => Ok(Some((shape, v))),
            Some((_, ArrayData::Float(_))) => {
                Err(self.err(name, "must have an integer dtype, got a float array"))
            }
        }
    }
}

/// A dense layer in f32.
#[derive(Clone, Debug)]
struct Layer {
    rows: usize,
    cols: usize,
    w: Vec<f32>,
    c: Vec<f32>,
}

impl From<&Dense> for Layer {
    fn from(d: &Dense) -> Self {
        Self {
            rows: d.rows,
            cols: d.cols,
            w: d.w.iter().map(|&x| x as f32).collect(),
            c: d.c.iter().map(|&x| x as f32).collect(),
        }
    }
}

/// An ELM neuron (or population of them) ready to run with step `h`: f32 weights and decay
/// factors. Shared by all blocks of a population.
#[derive(Clone, Debug)]
pub struct Elm {
    nb: usize,
    dm: usize,
    no: usize,
    /// `e^{−h/τ_b}` per branch.
    kappa_b: Vec<f32>,
    /// `e^{−h/τ_m}` per memory unit.
    kappa_m: Vec<f32>,
    /// `1 − e^{−h·λ/τ_m}` per memory unit.
    gain: Vec<f32>,
    /// Hidden layers then output layer.
    layers: Vec<Layer>,
    w_y: Layer,
    activation: Activation,
    update: UpdateActivation,
    /// Widest layer input or output (rows of the scratch buffers).
    width: usize,
    /// `relu(w_s)` (library forward).
    syn_w: Vec<f64>,
    /// Branch of each synapse (library forward).
    syn_branch: Vec<usize>,
}

/// State of one block of ELM neurons (struct of arrays, f32; row `k` of a variable is
/// `[k·n, (k+1)·n)`).
#[derive(Clone, Debug)]
pub struct ElmState {
    n: usize,
    /// Outputs (n_out × n).
    pub y: Vec<f32>,
    /// Memory (d_m × n).
    pub m: Vec<f32>,
    /// Branch traces (n_b × n).
    pub b: Vec<f32>,
    /// Scratch: MLP activations of a tile, two buffers of `width × TILE`.
    za: Vec<f32>,
    zb: Vec<f32>,
}

/// What [`Elm::forward`] returns: one row per step.
#[derive(Clone, Debug)]
pub struct ElmTrace {
    /// Outputs (T × n_out).
    pub y: Array2<f64>,
    /// Memory (T × d_m).
    pub m: Array2<f64>,
    /// Branch traces (T × n_b).
    pub b: Array2<f64>,
}

impl Elm {
    /// Decay factors for step `h` \[ms\] (> 0) and f32 weights.
    pub fn new(w: &ElmWeights, h: f64) -> Result<Self, ModelError> {
        if !(h > 0.0 && h.is_finite()) {
            return Err(ModelError::invalid("dt", format!("must be > 0, got {h}")));
        }
        let layers: Vec<Layer> = w.mlp.iter().map(Layer::from).collect();
        let width = layers
            .iter()
            .flat_map(|l| [l.rows, l.cols])
            .max()
            .unwrap_or(0);
        Ok(Self {
            nb: w.n_branch(),
            dm: w.n_memory(),
            no: w.n_output(),
            kappa_b: w.tau_b.iter().map(|t| (-h / t).exp() as f32).collect(),
            kappa_m: w.tau_m.iter().map(|t| (-h / t).exp() as f32).collect(),
            gain: w
                .tau_m
                .iter()
                .map(|t| -(-h * w.lambda / t).exp_m1() as f32)
                .collect(),
            layers,
            w_y: Layer::from(&w.w_y),
            activation: w.activation,
            update: w.update,
            width,
            syn_w: w.w_s.iter().map(|&x| x.max(0.0)).collect(),
            syn_branch: w.synapse_branch.clone(),
        })
    }

    /// Branches.
    pub fn n_branch(&self) -> usize {
        self.nb
    }

    /// A block of `n` neurons, all state zero.
    pub fn state(&self, n: usize) -> ElmState {
        ElmState {
            n,
            y: vec![0.0; self.no * n],
            m: vec![0.0; self.dm * n],
            b: vec![0.0; self.nb * n],
            za: vec![0.0; self.width * TILE],
            zb: vec![0.0; self.width * TILE],
        }
    }

    /// The receptor ports: one delta port per branch, `b0`, `b1`, ….
    pub fn ports(&self) -> Vec<PortSpec> {
        (0..self.nb)
            .map(|k| PortSpec {
                name: format!("b{k}"),
                kind: SynapseKind::Current,
                kernel: Kernel::Delta,
                tau_syn: 0.0,
            })
            .collect()
    }

    /// State variable names: `y` (and `y0`, `y1`, … when n_out > 1), `m0`, …, `b0`, ….
    pub fn variables(&self) -> Vec<String> {
        let mut v = vec!["y".to_string()];
        if self.no > 1 {
            v.extend((0..self.no).map(|k| format!("y{k}")));
        }
        v.extend((0..self.dm).map(|k| format!("m{k}")));
        v.extend((0..self.nb).map(|k| format!("b{k}")));
        v
    }

    /// Which array and row variable `k` is: 0 = y, 1 = m, 2 = b.
    fn locate(&self, k: usize) -> (u8, usize) {
        let ny = if self.no > 1 { 1 + self.no } else { 1 };
        if k < ny {
            (0, k.saturating_sub(1))
        } else if k < ny + self.dm {
            (1, k - ny)
        } else {
            (2, k - ny - self.dm)
        }
    }

    /// Run one neuron over the input `x` (T × n_syn, one row per step): the branch input of
    /// step t is `Σ_s relu(w_s)·x[t, s]` over the synapses of the branch. Errors if `x` does
    /// not have n_syn columns.
    pub fn forward(&self, x: ArrayView2<'_, f64>) -> Result<ElmTrace, ModelError> {
        let n_syn = self.syn_w.len();
        if x.ncols() != n_syn {
            return Err(ModelError::invalid(
                "x",
                format!("expected {n_syn} columns (synapses), got {}", x.ncols()),
            ));
        }
        let steps = x.nrows();
        let mut s = self.state(1);
        let mut out = ElmTrace {
            y: Array2::zeros((steps, self.no)),
            m: Array2::zeros((steps, self.dm)),
            b: Array2::zeros((steps, self.nb)),
        };
        let mut acc = vec![0.0f64; self.nb];
        let mut buf = vec![0.0f32; self.nb];
        let mut inputs: Vec<&mut [f32]> = buf.chunks_mut(1).collect();
        for (t, row) in x.rows().into_iter().enumerate() {
            acc.fill(0.0);
            for ((&w, &k), &xs) in self.syn_w.iter().zip(&self.syn_branch).zip(row) {
                acc[k] += w * xs;
            }
            for (inp, &a) in inputs.iter_mut().zip(&acc) {
                inp[0] = a as f32;
            }
            self.update_block(&mut s, &mut inputs);
            for (dst, &v) in out.y.row_mut(t).iter_mut().zip(&s.y) {
                *dst = f64::from(v);
            }
            for (dst, &v) in out.m.row_mut(t).iter_mut().zip(&s.m) {
                *dst = f64::from(v);
            }
            for (dst, &v) in out.b.row_mut(t).iter_mut().zip(&s.b) {
                *dst = f64::from(v);
            }
        }
        Ok(out)
    }

    /// Advance a block by one step; `inputs[k]` is branch `k`'s input this step (at least the
    /// block's length), consumed and cleared.
    #[inline(never)]
    pub fn update_block(&self, s: &mut ElmState, inputs: &mut [&mut [f32]]) {
        let n = s.n;
        let (nb, dm) = (self.nb, self.dm);
        debug_assert!(inputs.len() == nb && inputs.iter().all(|x| x.len() >= n));
        let ElmState {
            y, m, b, za, zb, ..
        } = s;
        // 1. Branch traces.
        for (k, inp) in inputs.iter_mut().enumerate() {
            let kb = self.kappa_b[k];
            let row = &mut b[k * n..(k + 1) * n];
            let inp = &mut inp[..n];
            for i in 0..n {
                row[i] = row[i] * kb + inp[i];
                inp[i] = 0.0;
            }
        }
        // 2. MLP, memory and read-out, a tile of neurons at a time.
        let mut lo = 0;
        while lo < n {
            let hi = (lo + TILE).min(n);
            let t = hi - lo;
            for k in 0..nb {
                za[k * TILE..k * TILE + t].copy_from_slice(&b[k * n + lo..k * n + hi]);
            }
            for j in 0..dm {
                let km = self.kappa_m[j];
                let dst = &mut za[(nb + j) * TILE..(nb + j) * TILE + t];
                for (d, &mv) in dst.iter_mut().zip(&m[j * n + lo..j * n + hi]) {
                    *d = km * mv;
                }
            }
            let (mut cur, mut nxt): (&mut [f32], &mut [f32]) = (&mut za[..], &mut zb[..]);
            let last = self.layers.len() - 1;
            for (l, layer) in self.layers.iter().enumerate() {
                dense(layer, cur, nxt, t);
                if l < last {
                    match self.activation {
                        Activation::Relu => activate(nxt, layer.rows, t, |x| x.max(0.0)),
                        Activation::Silu => {
                            activate(nxt, layer.rows, t, |x| x / (1.0 + (-x).exp()))
                        }
                    }
                }
                std::mem::swap(&mut cur, &mut nxt);
            }
            // `cur` holds the MLP output (d_m rows).
            match self.update {
                UpdateActivation::LecunTanh => {
                    self.memory(m, cur, n, lo, t, |x| LECUN_A * (LECUN_B * x).tanh())
                }
                UpdateActivation::Tanh => self.memory(m, cur, n, lo, t, f32::tanh),
            }
            // Read-out.
            let wy = &self.w_y;
            for o in 0..self.no {
                let acc = &mut y[o * n + lo..o * n + hi];
                acc.fill(wy.c[o]);
                for (j, &w) in wy.w[o * dm..(o + 1) * dm].iter().enumerate() {
                    for (a, &mv) in acc.iter_mut().zip(&m[j * n + lo..j * n + hi]) {
                        *a += w * mv;
                    }
                }
            }
            lo = hi;
        }
    }

    /// `m ← κ_m m + (1 − κ_λ) g(out)` for neurons `lo..lo + t`.
    #[inline(always)]
    fn memory(
        &self,
        m: &mut [f32],
        out: &[f32],
        n: usize,
        lo: usize,
        t: usize,
        g: impl Fn(f32) -> f32,
    ) {
        for j in 0..self.dm {
            let (km, gain) = (self.kappa_m[j], self.gain[j]);
            let row = &mut m[j * n + lo..j * n + lo + t];
            for (mv, &o) in row.iter_mut().zip(&out[j * TILE..j * TILE + t]) {
                *mv = km * *mv + gain * g(o);
            }
        }
    }
}

/// `out[r] = c[r] + Σ_j W[r, j]·inp[j]` over the first `t` lanes of each row (rows of the
/// buffers are `TILE` apart).
#[inline(never)]
fn dense(l: &Layer, inp: &[f32], out: &mut [f32], t: usize) {
    for r in 0..l.rows {
        let acc = &mut out[r * TILE..r * TILE + t];
        acc.fill(l.c[r]);
        for (j, &w) in l.w[r * l.cols..(r + 1) * l.cols].iter().enumerate() {
            for (a, &x) in acc.iter_mut().zip(&inp[j * TILE..j * TILE + t]) {
                *a += w * x;
            }
        }
    }
}

/// Apply `f` to the first `t` lanes of `rows` rows.
#[inline(always)]
fn activate(buf: &mut [f32], rows: usize, t: usize, f: impl Fn(f32) -> f32) {
    for r in 0..rows {
        for x in &mut buf[r * TILE..r * TILE + t] {
            *x = f(*x);
        }
    }
}

impl Neuron for Elm {
    type State = ElmState;

    fn update(
        &self,
        s: &mut ElmState,
        inputs: &mut [&mut [f32]],
        _i_ext: Option<&[f32]>,
        _offset: u32,
        _spikes: &mut Vec<u32>,
    ) {
        self.update_block(s, inputs);
    }

    fn var<'a>(&self, s: &'a ElmState, k: usize) -> &'a [f32] {
        let n = s.n;
        let (which, row) = self.locate(k);
        let v = match which {
            0 => &s.y,
            1 => &s.m,
            _ => &s.b,
        };
        &v[row * n..(row + 1) * n]
    }

    fn var_mut<'a>(&self, s: &'a mut ElmState, k: usize) -> &'a mut [f32] {
        let n = s.n;
        let (which, row) = self.locate(k);
        let v = match which {
            0 => &mut s.y,
            1 => &mut s.m,
            _ => &mut s.b,
        };
        &mut v[row * n..(row + 1) * n]
    }
}

/// Parameters of an `elm` population, as in the model file (see the module docs).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ElmParams {
    /// Weights file.
    pub weights: Option<String>,
    /// Seed of the random initialisation.
    pub seed: Option<u64>,
    /// Branches.
    pub branches: Option<usize>,
    /// Memory units.
    pub memory: Option<usize>,
    /// Outputs.
    pub outputs: Option<usize>,
    /// Hidden width.
    pub hidden: Option<usize>,
    /// Hidden layers.
    pub layers: Option<usize>,
    /// Smallest `τ_m` \[ms\].
    pub tau_m_min: Option<f64>,
    /// Largest `τ_m` \[ms\].
    pub tau_m_max: Option<f64>,
    /// `τ_b` \[ms\].
    pub tau_b: Option<f64>,
    /// λ.
    pub lambda: Option<f64>,
    /// Hidden-layer activation.
    #[serde(default)]
    pub mlp_activation: Activation,
    /// `g`.
    #[serde(default)]
    pub update_activation: UpdateActivation,
}

impl ElmParams {
    /// The weights: read from the file (relative to `base_dir`) or drawn; `path` is the
    /// parameter table's path, `seed` the simulation seed.
    pub fn weights(
        &self,
        path: &str,
        base_dir: &Path,
        seed: u64,
    ) -> Result<ElmWeights, ModelError> {
        let mut w = match &self.weights {
            Some(f) => {
                let random_only = [
                    ("seed", self.seed.is_some()),
                    ("branches", self.branches.is_some()),
                    ("memory", self.memory.is_some()),
                    ("outputs", self.outputs.is_some()),
                    ("hidden", self.hidden.is_some()),
                    ("layers", self.layers.is_some()),
                    ("tau_m_min", self.tau_m_min.is_some()),
                    ("tau_m_max", self.tau_m_max.is_some()),
                    ("tau_b", self.tau_b.is_some()),
                    ("lambda", self.lambda.is_some()),
                ];
                if let Some((name, _)) = random_only.iter().find(|(_, given)| *given) {
                    return Err(ModelError::invalid(
                        format!("{path}.{name}"),
                        "only for a random initialisation: with `weights` it comes from the weights file",
                    ));
                }
                ElmWeights::load(&base_dir.join(f), &format!("{path}.weights"))?
            }
            None => {
                let Some(branches) = self.branches else {
                    return Err(ModelError::invalid(
                        format!("{path}.branches"),
                        "missing (number of branches; or give `weights`, a weights file)",
                    ));
                };
                let d = ElmInit::default();
                let memory = self.memory.unwrap_or(d.memory);
                let init = ElmInit {
                    branches,
                    synapses_per_branch: 1,
                    memory,
                    outputs: self.outputs.unwrap_or(d.outputs),
                    hidden: self.hidden.unwrap_or(2 * memory),
                    layers: self.layers.unwrap_or(d.layers),
                    tau_m_min: self.tau_m_min.unwrap_or(d.tau_m_min),
                    tau_m_max: self.tau_m_max.unwrap_or(d.tau_m_max),
                    tau_b: self.tau_b.unwrap_or(d.tau_b),
                    lambda: self.lambda.unwrap_or(d.lambda),
                    w_s: d.w_s,
                };
                init.check(path)?;
                ElmWeights::random(&init, self.seed.unwrap_or(seed))
            }
        };
        w.activation = self.mlp_activation;
        w.update = self.update_activation;
        Ok(w)
    }
}

/// Lower an `elm` population.
pub fn lower(ctx: &LowerCtx<'_>) -> Result<Lowered, ModelError> {
    let p: ElmParams = ctx.params()?;
    if !ctx.pop.ports.is_empty() {
        return Err(ModelError::invalid(
            format!("{}.ports", ctx.pop.path),
            "an elm population's ports are its branches b0, b1, … (delta ports made from the weights); remove `ports`",
        ));
    }
    let w = p.weights(&format!("{}.params", ctx.pop.path), ctx.base_dir, ctx.seed)?;
    let model = Elm::new(&w, ctx.dt)?;
    let blocks = ctx
        .blocks()
        .map(|(_, n)| super::BlockState::Elm(model.state(n)))
        .collect();
    Ok(Lowered {
        ports: model.ports(),
        variables: model.variables(),
        model: Model::Elm(model),
        blocks,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> ElmWeights {
        small_seeded(9)
    }

    fn small_seeded(seed: u64) -> ElmWeights {
        let init = ElmInit {
            branches: 3,
            synapses_per_branch: 2,
            memory: 5,
            outputs: 2,
            hidden: 7,
            layers: 2,
            ..ElmInit::default()
        };
        ElmWeights::random(&init, seed)
    }

    /// One step from rest written out by hand in f64 (the equations of the module docs), for a
    /// random neuron: the library pass agrees to 1e-6 (f32 weights and state).
    #[test]
    fn one_step_by_hand() {
        let w = small();
        let h = 0.5;
        let x = [1.0, 0.0, 2.0, 1.0, 0.0, 3.0];
        let elm = Elm::new(&w, h).unwrap();
        let tr = elm
            .forward(
                ndarray::Array2::from_shape_vec((1, 6), x.to_vec())
                    .unwrap()
                    .view(),
            )
            .unwrap();
        let mut b = [0.0f64; 3];
        for s in 0..6 {
            b[w.synapse_branch[s]] += w.w_s[s].max(0.0) * x[s];
        }
        let mut z: Vec<f64> = b.to_vec();
        z.extend([0.0; 5]);
        for (l, d) in w.mlp.iter().enumerate() {
            let mut o: Vec<f64> = (0..d.rows)
                .map(|r| d.c[r] + (0..d.cols).map(|j| d.w[r * d.cols + j] * z[j]).sum::<f64>())
                .collect();
            if l + 1 < w.mlp.len() {
                o.iter_mut().for_each(|v| *v = v.max(0.0));
            }
            z = o;
        }
        let m: Vec<f64> = (0..5)
            .map(|j| (1.0 - (-h * 5.0 / w.tau_m[j]).exp()) * 1.7159 * (2.0 / 3.0 * z[j]).tanh())
            .collect();
        for o in 0..2 {
            let y = w.w_y.c[o] + (0..5).map(|j| w.w_y.w[o * 5 + j] * m[j]).sum::<f64>();
            assert!(
                (tr.y[[0, o]] - y).abs() < 1e-6,
                "y{o}: {} vs {y}",
                tr.y[[0, o]]
            );
        }
        for j in 0..5 {
            assert!((tr.m[[0, j]] - m[j]).abs() < 1e-6);
        }
        for k in 0..3 {
            assert!((tr.b[[0, k]] - b[k]).abs() < 1e-6);
        }
    }

    /// Random initialisation: shapes, the authors' bounds `±1/√fan_in`, log-spaced `τ_m` from
    /// 1 to 1000 ms, and the same seed giving the same weights.
    #[test]
    fn random_init() {
        let w = small();
        assert_eq!(w, small());
        assert_ne!(w.mlp[0].w, small_seeded(10).mlp[0].w);
        let dims: Vec<(usize, usize)> = w.mlp.iter().map(|d| (d.rows, d.cols)).collect();
        assert_eq!(dims, vec![(7, 8), (7, 7), (5, 7)]);
        assert_eq!((w.w_y.rows, w.w_y.cols), (2, 5));
        for d in w.mlp.iter().chain([&w.w_y]) {
            let bound = 1.0 / (d.cols as f64).sqrt();
            assert!(d.w.iter().chain(&d.c).all(|x| x.abs() <= bound));
        }
        assert!((w.tau_m[0] - 1.0).abs() < 1e-12 && (w.tau_m[4] - 1000.0).abs() < 1e-9);
        assert!((w.tau_m[2] - 1000f64.sqrt()).abs() < 1e-9);
        assert_eq!(w.synapse_branch, vec![0, 0, 1, 1, 2, 2]);
        assert_eq!(w.tau_b, vec![5.0; 3]);
    }

    /// Neurons in one block evolve independently: a block of 70 neurons (three tiles) with
    /// different inputs equals 70 single-neuron runs exactly.
    #[test]
    fn block_equals_single_neurons() {
        let w = small();
        let elm = Elm::new(&w, 1.0).unwrap();
        let n = 70;
        let mut block = elm.state(n);
        let mut singles: Vec<ElmState> = (0..n).map(|_| elm.state(1)).collect();
        let mut bufs = vec![vec![0.0f32; n]; 3];
        for step in 0..50u32 {
            let val = |k: usize, i: usize| ((step as usize * 7 + k * 3 + i * 11) % 5) as f32 * 0.5;
            for (k, buf) in bufs.iter_mut().enumerate() {
                for (i, v) in buf.iter_mut().enumerate() {
                    *v = val(k, i);
                }
            }
            let mut rows: Vec<&mut [f32]> = bufs.iter_mut().map(|b| &mut b[..]).collect();
            elm.update_block(&mut block, &mut rows);
            assert!(
                bufs.iter().all(|b| b.iter().all(|&x| x == 0.0)),
                "inputs cleared"
            );
            for (i, s) in singles.iter_mut().enumerate() {
                let mut one: Vec<[f32; 1]> = (0..3).map(|k| [val(k, i)]).collect();
                let mut rows: Vec<&mut [f32]> = one.iter_mut().map(|b| &mut b[..]).collect();
                elm.update_block(s, &mut rows);
            }
        }
        for (i, s) in singles.iter().enumerate() {
            for k in 0..elm.variables().len() {
                assert_eq!(
                    elm.var(&block, k)[i],
                    elm.var(s, k)[0],
                    "neuron {i} var {k}"
                );
            }
        }
    }

    /// Variable names and their rows.
    #[test]
    fn variables() {
        let elm = Elm::new(&small(), 1.0).unwrap();
        let v = elm.variables();
        assert_eq!(&v[..4], &["y", "y0", "y1", "m0"]);
        assert_eq!(v.len(), 3 + 5 + 3);
        assert_eq!(v[10], "b2");
        let mut s = elm.state(2);
        elm.var_mut(&mut s, 2)[1] = 4.0;
        assert_eq!(s.y, vec![0.0, 0.0, 0.0, 4.0]);
        elm.var_mut(&mut s, 10)[0] = 3.0;
        assert_eq!(s.b[4], 3.0);
        assert_eq!(elm.var(&s, 0), elm.var(&s, 1));
    }
}
