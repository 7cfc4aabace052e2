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
use faer::{Mat, MatMut};
use glia_sim::neurons::Model;
use glia_sim::neurons::rate::Activation;
use glia_sim::{Delays, Weights};
use std::ops::Range;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

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
        self.xp[..n].copy_from_slice(&self.x);
        self.xp[n] = 0.0;
        let all = Part {
            rows: 0..n,
            slices: 0..n.div_ceil(LANES),
        };
        let k = Consts {
            n,
            win: &self.win,
            bias: &self.bias,
            leak: &self.leak,
            act: self.act,
            mode: self.mode,
        };
        Self::step_rows_with(&self.w, k, &self.xp, u0, &all, &mut self.z, &mut self.x);
    }

    /// The rows `part.rows` of one step: from the previous state `xp` (all `n` units and a
    /// trailing zero) and the input `u0`, write the new states of those rows into `xnew`
    /// (`z`: scratch of the same length).
    #[inline]
    fn step_rows_with(
        w: &Recurrent,
        k: Consts<'_>,
        xp: &[f32],
        u0: f32,
        part: &Part,
        z: &mut [f32],
        xnew: &mut [f32],
    ) {
        let r = part.rows.clone();
        recurrent_rows(w, k.n, xp, part, z);
        // + W_in u (the engine's input buffer, 0 + w u), then + b first.
        for ((zi, &w), &b) in z.iter_mut().zip(&k.win[r.clone()]).zip(&k.bias[r.clone()]) {
            *zi = b + (*zi + (0.0 + w * u0));
        }
        apply(k.act, k.mode, z);
        for (((xi, &f), &a), &old) in xnew
            .iter_mut()
            .zip(z.iter())
            .zip(&k.leak[r.clone()])
            .zip(&xp[r])
        {
            *xi = (1.0 - a) * old + a * f;
        }
    }

    fn consts(&self) -> Consts<'_> {
        Consts {
            n: self.n,
            win: &self.win,
            bias: &self.bias,
            leak: &self.leak,
            act: self.act,
            mode: self.mode,
        }
    }

    /// The contiguous row ranges (multiples of [`LANES`] rows, whole sparse slices) that
    /// `threads` threads update, balanced by the work of `W x` (nonzeros with padding, or
    /// rows for a dense `W`).
    fn parts(&self, threads: usize) -> Vec<Part> {
        let n = self.n;
        let slices = n.div_ceil(LANES);
        let cost = |s: usize| -> usize {
            match &self.w {
                Recurrent::Sparse { ptr, .. } => ptr[s + 1] - ptr[s] + 4,
                Recurrent::Dense(_) => 1,
            }
        };
        let total: usize = (0..slices).map(cost).sum();
        let threads = threads.clamp(1, slices.max(1));
        let mut parts = Vec::with_capacity(threads);
        let (mut s0, mut acc) = (0, 0);
        for s in 0..slices {
            acc += cost(s);
            let k = parts.len() + 1;
            if k < threads && acc * threads >= total * k {
                parts.push(s0..s + 1);
                s0 = s + 1;
            }
        }
        parts.push(s0..slices);
        parts
            .into_iter()
            .map(|sl| Part {
                rows: (sl.start * LANES).min(n)..(sl.end * LANES).min(n),
                slices: sl,
            })
            .collect()
    }

    /// Run over the series `u` (one input dimension) and return the features as the columns
    /// of an `F × T` matrix (column `s` is the state after step `s`): each step writes one
    /// contiguous column and no transpose is needed (`run_columns(u).transpose()` is the
    /// `T × F` matrix of [`FastEsn::run`], as a strided view).
    pub fn run_columns(&mut self, u: &[f64]) -> Mat<f64> {
        self.run_columns_threads(u, 1)
    }

    /// As [`FastEsn::run_columns`] on `threads` threads (0 is taken as 1): each thread owns a
    /// contiguous range of units (whole slices of `W`, balanced by nonzeros) for the whole
    /// run, computes their next state from a private copy of the current one and writes
    /// their rows of every column; one barrier per step separates the steps. Every unit's
    /// sums are those of the serial kernel, so the states are bit-identical for any
    /// `threads`.
    pub fn run_columns_threads(&mut self, u: &[f64], threads: usize) -> Mat<f64> {
        let n = self.n;
        let mut out = Mat::<f64>::zeros(n, u.len());
        let parts = self.parts(threads);
        if parts.len() <= 1 || u.is_empty() {
            for (s, &v) in u.iter().enumerate() {
                self.advance(v as f32);
                for (o, &x) in out.col_as_slice_mut(s).iter_mut().zip(&self.x) {
                    *o = f64::from(x);
                }
            }
            return out;
        }
        // The state of step s in `bufs[s % 2]` (f32 bits): threads read all of it and write
        // their own rows of the other buffer; the barrier after each step orders the two.
        let bufs: [Vec<AtomicU32>; 2] = [
            self.x.iter().map(|v| AtomicU32::new(v.to_bits())).collect(),
            (0..n).map(|_| AtomicU32::new(0)).collect(),
        ];
        let barrier = StepBarrier::new(parts.len());
        let mut panels = Vec::with_capacity(parts.len());
        let mut rest = out.as_mut();
        for p in &parts {
            let (a, b) = rest.split_at_row_mut(p.rows.len());
            panels.push(a);
            rest = b;
        }
        let (w, k) = (&self.w, self.consts());
        let (bufs, barrier) = (&bufs, &barrier);
        let worker = move |part: Part, mut panel: MatMut<'_, f64>| {
            let mut xp = vec![0.0f32; n + 1];
            let mut z = vec![0.0f32; part.rows.len()];
            let mut xnew = vec![0.0f32; part.rows.len()];
            for (s, &v) in u.iter().enumerate() {
                for (d, a) in xp.iter_mut().zip(&bufs[s % 2]) {
                    *d = f32::from_bits(a.load(Ordering::Relaxed));
                }
                Self::step_rows_with(w, k, &xp, v as f32, &part, &mut z, &mut xnew);
                for (a, &x) in bufs[(s + 1) % 2][part.rows.clone()].iter().zip(&xnew) {
                    a.store(x.to_bits(), Ordering::Relaxed);
                }
                for (o, &x) in panel.as_mut().col_mut(s).iter_mut().zip(&xnew) {
                    *o = f64::from(x);
                }
                barrier.wait();
            }
        };
        std::thread::scope(|sc| {
            let mut jobs = parts.into_iter().zip(panels);
            let mine = jobs.next();
            for (p, panel) in jobs {
                sc.spawn(move || worker(p, panel));
            }
            if let Some((p, panel)) = mine {
                worker(p, panel);
            }
        });
        for (x, a) in self.x.iter_mut().zip(&bufs[u.len() % 2]) {
            *x = f32::from_bits(a.load(Ordering::Relaxed));
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

/// Rows of one step's work: `rows` (a multiple of [`LANES`] from its start) and the sparse
/// slices that hold them.
#[derive(Clone, Debug)]
struct Part {
    rows: Range<usize>,
    slices: Range<usize>,
}

/// What a step reads besides `W` and the state.
#[derive(Clone, Copy)]
struct Consts<'a> {
    n: usize,
    win: &'a [f32],
    bias: &'a [f32],
    leak: &'a [f32],
    act: Activation,
    mode: Nonlinearity,
}

/// A barrier for a fixed team that spins, then yields (one wait per step of
/// [`FastEsn::run_columns_threads`]: a few microseconds of work between two waits).
struct StepBarrier {
    n: usize,
    arrived: AtomicUsize,
    generation: AtomicUsize,
}

impl StepBarrier {
    fn new(n: usize) -> Self {
        Self {
            n,
            arrived: AtomicUsize::new(0),
            generation: AtomicUsize::new(0),
        }
    }

    fn wait(&self) {
        let g = self.generation.load(Ordering::Acquire);
        if self.arrived.fetch_add(1, Ordering::AcqRel) + 1 == self.n {
            self.arrived.store(0, Ordering::Relaxed);
            self.generation.store(g.wrapping_add(1), Ordering::Release);
            return;
        }
        let mut spins = 0u32;
        while self.generation.load(Ordering::Acquire) == g {
            if spins < 4096 {
                spins += 1;
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
    }
}

/// `z = W x` for all rows, sources ascending (the engine's order of delivery).
fn recurrent(w: &Recurrent, n: usize, x: &[f32], xp: &mut [f32], z: &mut [f32]) {
    xp[..n].copy_from_slice(x);
    xp[n] = 0.0;
    let all = Part {
        rows: 0..n,
        slices: 0..n.div_ceil(LANES),
    };
    recurrent_rows(w, n, xp, &all, z);
}

/// `z = (W x)[part.rows]` from `xp` (`x` followed by one zero), sources ascending.
#[inline]
fn recurrent_rows(w: &Recurrent, n: usize, xp: &[f32], part: &Part, z: &mut [f32]) {
    let r0 = part.rows.start;
    let m = part.rows.len();
    match w {
        Recurrent::Dense(w) => {
            let x = &xp[..n];
            z.fill(0.0);
            // Eight columns per pass (z is loaded and stored once per eight columns); the
            // additions into each z[i] stay in source order.
            let col = |j: usize| &w[j * n + r0..j * n + r0 + m];
            let mut j = 0;
            while j + 8 <= n {
                let xs = &x[j..j + 8];
                let (c0, c1, c2, c3) = (col(j), col(j + 1), col(j + 2), col(j + 3));
                let (c4, c5, c6, c7) = (col(j + 4), col(j + 5), col(j + 6), col(j + 7));
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
                for (zi, &a) in z.iter_mut().zip(col(j)) {
                    *zi += a * xj;
                }
                j += 1;
            }
        }
        Recurrent::Sparse { ptr, cols, vals } => {
            // `min(n)` (a no-op: every index is ≤ n) lets the compiler drop the bounds checks
            // of the gather below.
            let xp = &xp[..=n];
            for (s, zc) in part.slices.clone().zip(z.chunks_mut(LANES)) {
                let (a, b) = (LANES * ptr[s], LANES * ptr[s + 1]);
                let acc = slice_sums(xp, &cols[a..b], &vals[a..b]);
                zc.copy_from_slice(&acc[..zc.len()]);
            }
        }
    }
}

/// One slice of the sliced-ELLPACK `W x`: with `j = LANES k + l`, lane `l` sums
/// `xp[cols[j]] · vals[j]` over `k` in order (a product, then a sum: no fused multiply-add, as
/// the engine). An explicit AVX2 gather was measured within noise of this loop (20–22 µs per
/// step at N = 500 and 10 % density), so the safe loop stays.
#[inline]
fn slice_sums(xp: &[f32], cols: &[u32], vals: &[f32]) -> [f32; LANES] {
    let n = xp.len() - 1;
    let mut acc = [0.0f32; LANES];
    for (c, v) in cols.chunks_exact(LANES).zip(vals.chunks_exact(LANES)) {
        for l in 0..LANES {
            // `min(n)` (a no-op: every index is ≤ n) drops the bounds checks.
            acc[l] += xp[(c[l] as usize).min(n)] * v[l];
        }
    }
    acc
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
