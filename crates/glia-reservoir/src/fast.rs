//! A dedicated kernel for plain echo-state networks: one `rate` population, recurrent
//! projections onto itself with one-step delays, one input dimension through one
//! [`crate::esn::InputLink`], and
//! nothing else (no plasticity, no short-term plasticity, no monitors, no `[[inputs]]`).
//!
//! It computes exactly the engine's update (see [`glia_sim::neurons::rate`])
//!
//! ```text
//! x(s) = (1 − a) x(s−1) + a f( b + (W x(s−1) + W_in u(s)) )
//! ```
//!
//! in f32 with the sums in the engine's order (sources ascending, then the input), but without
//! the engine's per-step machinery: `W x` is a dense column sweep (four columns per pass, the
//! additions still in source order) when `W` is denser than [`DENSE_ABOVE`], otherwise a gather
//! over rows by target, and the nonlinearity is applied to the whole vector at once.
//!
//! With [`Nonlinearity::Exact`] (libm `tanh`, `1/(1 + e^{−z})`) and a single recurrent
//! projection the states are bit-identical to the engine's. [`Nonlinearity::Fast`] (the
//! default of experiments) evaluates `tanh` by a vectorised rational approximation (absolute
//! error below [`TANH_MAX_ERR`]) and the sigmoid as `½ + ½ tanh(z/2)`; states then differ from
//! the engine's by rounding-level amounts (see `tests/fast_esn.rs`).

use crate::esn::Esn;
use faer::Mat;
use glia_sim::neurons::Model;
use glia_sim::neurons::rate::Activation;
use glia_sim::{Delays, Weights};

/// Density (nonzero fraction of `W`) above which `W x` is a dense sweep: the sweep streams
/// all `n²` weights (4 MB at n = 1000, beyond L2), the gather only the nonzeros but with an
/// index per weight; measured on Zen 3 (`esn_kernel_bench`), the gather wins up to about
/// 30 % density at n = 500.
pub const DENSE_ABOVE: f64 = 0.25;

/// Bound on `|tanh_fast(z) − tanh(z)|` over all finite `z` (checked by a test on a fine grid).
pub const TANH_MAX_ERR: f32 = 5e-7;

/// How the nonlinearity is evaluated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nonlinearity {
    /// libm, as the engine does (bit-identical states).
    Exact,
    /// Vectorised rational approximation of `tanh` (sigmoid through `tanh`).
    Fast,
}

/// `W x` storage.
#[derive(Clone, Debug)]
enum Recurrent {
    /// Column-major `n × n`: `w[j·n + i]` is the weight from `j` to `i`.
    Dense(Vec<f32>),
    /// Sliced ELLPACK with slices of [`LANES`] rows by target: slice `s` holds
    /// `len_s = ptr[s+1] − ptr[s]` entries per row, stored lane-interleaved (entry `k` of row
    /// `LANES·s + l` at `LANES·(ptr[s] + k) + l`), each row's sources ascending and padded at
    /// its end with weight 0 from the always-zero source `n` (so eight rows accumulate side
    /// by side, each in the engine's order).
    Sparse {
        ptr: Vec<usize>,
        cols: Vec<u32>,
        vals: Vec<f32>,
    },
}

/// Rows per slice of the sparse layout (one AVX2 vector of f32).
const LANES: usize = 8;

/// How `W x` is stored (see [`FastEsn::with_layout`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// Dense when more than [`DENSE_ABOVE`] of `W` is nonzero, else sparse.
    Auto,
    /// Dense column sweep.
    Dense,
    /// Sliced-ELLPACK gather.
    Sparse,
}

/// A plain echo-state network run outside the engine (see the module documentation).
#[derive(Clone, Debug)]
pub struct FastEsn {
    n: usize,
    w: Recurrent,
    /// Input weights (one input dimension).
    win: Vec<f32>,
    leak: Vec<f32>,
    bias: Vec<f32>,
    act: Activation,
    mode: Nonlinearity,
    x: Vec<f32>,
    /// `x` followed by one zero (the padding source of the sparse layout).
    xp: Vec<f32>,
    z: Vec<f32>,
    pop: usize,
}

/// Eigen's rational approximation of `tanh` on `[−7.9053, 7.9053]` (where it reaches ±1 in
/// f32), with `tanh z = z` below `4·10⁻⁴`. Branch-free, so loops over slices vectorise.
#[inline(always)]
pub fn tanh_fast(z: f32) -> f32 {
    const CLAMP: f32 = 7.905_311;
    const A1: f32 = 4.893_524_6e-3;
    const A3: f32 = 6.372_619_3e-4;
    const A5: f32 = 1.485_722_4e-5;
    const A7: f32 = 5.122_297e-8;
    #[allow(clippy::excessive_precision)] // Eigen's coefficient as published
    const A9: f32 = -8.604_671_5e-11;
    const A11: f32 = 2.000_188e-13;
    const A13: f32 = -2.760_768_5e-16;
    const B0: f32 = 4.893_525e-3;
    const B2: f32 = 2.268_434_6e-3;
    const B4: f32 = 1.185_347e-4;
    const B6: f32 = 1.198_258_4e-6;
    let x = z.clamp(-CLAMP, CLAMP);
    let x2 = x * x;
    let mut p = x2 * A13 + A11;
    p = x2 * p + A9;
    p = x2 * p + A7;
    p = x2 * p + A5;
    p = x2 * p + A3;
    p = x2 * p + A1;
    p *= x;
    let mut q = x2 * B6 + B4;
    q = x2 * q + B2;
    q = x2 * q + B0;
    let r = p / q;
    if z.abs() < 4e-4 { z } else { r }
}

impl FastEsn {
    /// The kernel for `esn` if it is a plain echo-state network (module documentation), with
    /// its current state; `None` otherwise (the engine must run it).
    pub fn from_esn(esn: &Esn, mode: Nonlinearity) -> Option<Self> {
        Self::with_layout(esn, mode, Layout::Auto)
    }

    /// As [`FastEsn::from_esn`], with the storage of `W` chosen by `layout`.
    pub fn with_layout(esn: &Esn, mode: Nonlinearity, layout: Layout) -> Option<Self> {
        let net = &esn.net;
        if net.pops.len() != 1
            || esn.features != [(0, 0)]
            || esn.feature_kind() != crate::esn::FeatureKind::State
        {
            return None;
        }
        let pop = 0;
        let act = match &net.pops[pop].model {
            Model::Rate(r) => r.activation,
            _ => return None,
        };
        if !net.plastic.is_empty()
            || net.has_external_inputs(pop)
            || !net.monitors.spikes.is_empty()
            || !net.monitors.state.is_empty()
            || !net.monitors.rates.is_empty()
            || esn.dim != 1
            || esn.inputs.len() != 1
            || esn.inputs[0].pop != pop
        {
            return None;
        }
        let n = net.pops[pop].size;
        let mut triples: Vec<(u32, u32, f32)> = Vec::new();
        for p in &net.projs {
            if p.plastic || p.stp.is_some() {
                return None;
            }
            let one = match &p.csr.delays {
                Delays::Const(d) => *d == 1,
                Delays::PerSynapse(v) => v.iter().all(|&d| d == 1),
                // Packed target words (spiking sources only): leave them to the engine.
                Delays::Packed { .. } => false,
            };
            if !one {
                return None;
            }
            let csr = &p.csr;
            for j in 0..n {
                for q in csr.row_ptr[j] as usize..csr.row_ptr[j + 1] as usize {
                    let w = match &csr.weights {
                        Weights::Const(w) => *w,
                        Weights::PerSynapse(v) => v[q],
                    };
                    triples.push((csr.targets[q], j as u32, w));
                }
            }
        }
        let (leak, bias) = net.rate_params(pop)?;
        let nnz = triples.len();
        let dense = match layout {
            Layout::Auto => nnz as f64 > DENSE_ABOVE * (n * n) as f64,
            Layout::Dense => true,
            Layout::Sparse => false,
        };
        let w = if dense {
            let mut d = vec![0.0f32; n * n];
            // Several projections: their weights add (the engine adds their contributions,
            // in projection order; the sum here is per entry, a rounding-level difference).
            for &(i, j, v) in &triples {
                d[j as usize * n + i as usize] += v;
            }
            Recurrent::Dense(d)
        } else {
            // Stable sort by target keeps sources ascending within each projection; a second
            // stable sort by source within target orders across projections.
            triples.sort_by_key(|&(i, j, _)| (i, j));
            let mut start = vec![0usize; n + 1];
            for &(i, _, _) in &triples {
                start[i as usize + 1] += 1;
            }
            for i in 0..n {
                start[i + 1] += start[i];
            }
            let slices = n.div_ceil(LANES);
            let mut ptr = vec![0usize; slices + 1];
            for s in 0..slices {
                let len = (s * LANES..((s + 1) * LANES).min(n))
                    .map(|i| start[i + 1] - start[i])
                    .max()
                    .unwrap_or(0);
                ptr[s + 1] = ptr[s] + len;
            }
            let total = ptr[slices] * LANES;
            let mut cols = vec![n as u32; total];
            let mut vals = vec![0.0f32; total];
            for i in 0..n {
                let (s, l) = (i / LANES, i % LANES);
                for (k, t) in triples[start[i]..start[i + 1]].iter().enumerate() {
                    cols[LANES * (ptr[s] + k) + l] = t.1;
                    vals[LANES * (ptr[s] + k) + l] = t.2;
                }
            }
            Recurrent::Sparse { ptr, cols, vals }
        };
        let win = esn.inputs[0].weights.clone();
        let mut x = vec![0.0f32; n];
        net.read_state(pop, 0, &mut x);
        Some(Self {
            n,
            w,
            win,
            leak,
            bias,
            act,
            mode,
            xp: vec![0.0; n + 1],
            x,
            z: vec![0.0; n],
            pop,
        })
    }

    /// Whether `W x` is computed densely.
    pub fn is_dense(&self) -> bool {
        matches!(self.w, Recurrent::Dense(_))
    }

    /// Number of features (units).
    pub fn n_features(&self) -> usize {
        self.n
    }

    /// The current state.
    pub fn state(&self) -> &[f32] {
        &self.x
    }

    /// Hand the run back to `esn`'s network after `steps` kernel steps, so that its outputs
    /// and any further engine steps continue exactly from here: the state, the step count and
    /// the pending recurrent input `W x` (which the engine would have delivered at the end of
    /// the last step). The network must not have stepped since [`FastEsn::from_esn`] read it
    /// from a network that had not stepped (its input buffers empty), as experiments do.
    pub fn store(&self, esn: &mut Esn, steps: u64) {
        let x: Vec<f64> = self.x.iter().map(|&v| f64::from(v)).collect();
        esn.net
            .set_state(self.pop, "x", &x)
            .expect("finite rate state of the right length");
        esn.net.step += steps;
        let mut z = vec![0.0f32; self.n];
        let mut xp = vec![0.0f32; self.n + 1];
        recurrent(&self.w, self.n, &self.x, &mut xp, &mut z);
        esn.net.add_input(self.pop, esn.inputs[0].port, &z);
    }

    /// Feed `u` (one input dimension: `u[0]`) and advance one step.
    pub fn step(&mut self, u: &[f64]) {
        self.advance(u[0] as f32);
    }

    /// One step with input `u0`.
    #[inline]
    fn advance(&mut self, u0: f32) {
        let n = self.n;
        let z = &mut self.z;
        recurrent(&self.w, n, &self.x, &mut self.xp, z);
        // + W_in u (the engine's input buffer, 0 + w u), then + b first.
        for ((zi, &w), &b) in z.iter_mut().zip(&self.win).zip(&self.bias) {
            *zi = b + (*zi + (0.0 + w * u0));
        }
        apply(self.act, self.mode, z);
        for ((xi, &f), &a) in self.x.iter_mut().zip(z.iter()).zip(&self.leak) {
            *xi = (1.0 - a) * *xi + a * f;
        }
    }

    /// Run over the series `u` (one input dimension) and return the features as the columns
    /// of an `F × T` matrix (column `s` is the state after step `s`): each step writes one
    /// contiguous column and no transpose is needed (`run_columns(u).transpose()` is the
    /// `T × F` matrix of [`FastEsn::run`], as a strided view).
    pub fn run_columns(&mut self, u: &[f64]) -> Mat<f64> {
        let mut out = Mat::<f64>::zeros(self.n, u.len());
        for (s, &v) in u.iter().enumerate() {
            self.advance(v as f32);
            for (o, &x) in out.col_as_slice_mut(s).iter_mut().zip(&self.x) {
                *o = f64::from(x);
            }
        }
        out
    }

    /// Run over the series `u` (one input dimension) and return the `T × F` feature matrix
    /// (as [`Esn::run`]).
    pub fn run(&mut self, u: &[f64]) -> Mat<f64> {
        let (t, n) = (u.len(), self.n);
        // One contiguous f32 row per step, then one blocked transpose into the column-major
        // T × F matrix (writing a T × F row each step touches F pages per step).
        let mut rows = vec![0.0f32; t * n];
        for (&v, row) in u.iter().zip(rows.chunks_exact_mut(n.max(1))) {
            self.advance(v as f32);
            row.copy_from_slice(&self.x);
        }
        let mut out = Mat::<f64>::zeros(t, n);
        const TILE: usize = 64;
        for j0 in (0..n).step_by(TILE) {
            for s0 in (0..t).step_by(TILE) {
                for j in j0..(j0 + TILE).min(n) {
                    let col = &mut out.col_as_slice_mut(j)[s0..(s0 + TILE).min(t)];
                    for (k, o) in col.iter_mut().enumerate() {
                        *o = f64::from(rows[(s0 + k) * n + j]);
                    }
                }
            }
        }
        out
    }
}

/// `z = W x`, sources ascending (the engine's order of delivery).
#[inline]
fn recurrent(w: &Recurrent, n: usize, x: &[f32], xp: &mut [f32], z: &mut [f32]) {
    match w {
        Recurrent::Dense(w) => {
            z.fill(0.0);
            // Eight columns per pass (z is loaded and stored once per eight columns); the
            // additions into each z[i] stay in source order.
            let mut j = 0;
            while j + 8 <= n {
                let xs = &x[j..j + 8];
                let c = &w[j * n..(j + 8) * n];
                let (c0, r) = c.split_at(n);
                let (c1, r) = r.split_at(n);
                let (c2, r) = r.split_at(n);
                let (c3, r) = r.split_at(n);
                let (c4, r) = r.split_at(n);
                let (c5, r) = r.split_at(n);
                let (c6, c7) = r.split_at(n);
                let (x0, x1, x2, x3) = (xs[0], xs[1], xs[2], xs[3]);
                let (x4, x5, x6, x7) = (xs[4], xs[5], xs[6], xs[7]);
                for ((((((((zi, &a0), &a1), &a2), &a3), &a4), &a5), &a6), &a7) in z
                    .iter_mut()
                    .zip(c0)
                    .zip(c1)
                    .zip(c2)
                    .zip(c3)
                    .zip(c4)
                    .zip(c5)
                    .zip(c6)
                    .zip(c7)
                {
                    *zi = *zi
                        + a0 * x0
                        + a1 * x1
                        + a2 * x2
                        + a3 * x3
                        + a4 * x4
                        + a5 * x5
                        + a6 * x6
                        + a7 * x7;
                }
                j += 8;
            }
            while j < n {
                let xj = x[j];
                for (zi, &a) in z.iter_mut().zip(&w[j * n..(j + 1) * n]) {
                    *zi += a * xj;
                }
                j += 1;
            }
        }
        Recurrent::Sparse { ptr, cols, vals } => {
            xp[..n].copy_from_slice(x);
            xp[n] = 0.0;
            // `min(n)` (a no-op: every index is ≤ n) lets the compiler drop the bounds checks
            // of the gather below.
            let xp = &xp[..=n];
            for (s, zc) in z.chunks_mut(LANES).enumerate() {
                let (a, b) = (LANES * ptr[s], LANES * ptr[s + 1]);
                let mut acc = [0.0f32; LANES];
                for (c, v) in cols[a..b]
                    .chunks_exact(LANES)
                    .zip(vals[a..b].chunks_exact(LANES))
                {
                    for l in 0..LANES {
                        acc[l] += xp[(c[l] as usize).min(n)] * v[l];
                    }
                }
                zc.copy_from_slice(&acc[..zc.len()]);
            }
        }
    }
}

/// `f` over a slice, in place.
#[inline]
fn apply(act: Activation, mode: Nonlinearity, z: &mut [f32]) {
    match (act, mode) {
        (Activation::Tanh, Nonlinearity::Exact) => z.iter_mut().for_each(|v| *v = v.tanh()),
        (Activation::Tanh, Nonlinearity::Fast) => z.iter_mut().for_each(|v| *v = tanh_fast(*v)),
        (Activation::Sigmoid, Nonlinearity::Exact) => {
            z.iter_mut().for_each(|v| *v = 1.0 / (1.0 + (-*v).exp()))
        }
        (Activation::Sigmoid, Nonlinearity::Fast) => z
            .iter_mut()
            .for_each(|v| *v = 0.5 + 0.5 * tanh_fast(0.5 * *v)),
        (Activation::Relu, _) => z.iter_mut().for_each(|v| *v = v.max(0.0)),
        (Activation::Linear, _) => {}
    }
}
