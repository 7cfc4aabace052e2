//! The softmax readout on spike counts with validation-based model selection.
//!
//! Features: each sample's counts are divided by their sum (L1, as the authors' readout does),
//! then either standardised with the training set's mean and standard deviation
//! ([`standardise`]) or divided by the largest value of their block of `batch` samples
//! ([`batch_max`], the authors' `x / max(x)` per mini-batch). One softmax layer (weights and
//! biases from 0) is trained on the mean cross-entropy against one-hot or the authors'
//! softened targets ([`Targets`]) plus `λ/2 ‖W‖²`, by mini-batch Adam or Adadelta
//! ([`Adadelta`], the authors' optimiser); after every epoch the validation accuracy is
//! measured, and the test accuracy reported is that of the epoch with the best validation
//! accuracy (the first on ties). With `shuffle`, the sample order of epoch `e` is a
//! Fisher–Yates permutation from the counter-based stream `(seed, Other, 0xA11, 0, e)`;
//! without, samples are visited in order, as the authors do. A mini-batch gradient is summed
//! over fixed blocks of [`BLOCK`] samples in parallel and the blocks are added in order: same
//! seed, same result, for any thread count.
//!
//! glia-reservoir's `Logistic` solves the same problem on `faer` matrices but gives no
//! per-epoch validation and indexes element by element; this is the lean row-major version
//! for 50 000 × 8000 features.

use crate::config::{Optimizer, ReadoutConfig, Targets};
use glia_core::{CounterRng, Purpose};
use rayon::prelude::*;
use serde::Serialize;

/// Classes of MNIST.
pub const CLASSES: usize = 10;

/// Row-major `f32` features.
#[derive(Clone, Debug)]
pub struct Matrix {
    /// Rows (samples).
    pub rows: usize,
    /// Columns (features).
    pub cols: usize,
    /// `rows × cols` values.
    pub data: Vec<f32>,
}

impl Matrix {
    fn row(&self, i: usize) -> &[f32] {
        &self.data[i * self.cols..(i + 1) * self.cols]
    }
}

/// Row-normalised (L1) features from counts.
pub fn l1_rows(counts: &[u16], cols: usize) -> Matrix {
    let rows = counts.len() / cols;
    let mut data = Vec::with_capacity(counts.len());
    for r in counts.chunks_exact(cols) {
        let s: u64 = r.iter().map(|&c| u64::from(c)).sum();
        let inv = if s > 0 { 1.0 / s as f64 } else { 0.0 };
        data.extend(r.iter().map(|&c| (f64::from(c) * inv) as f32));
    }
    Matrix { rows, cols, data }
}

/// Column means and inverse standard deviations (1 for constant columns) of `m`.
pub fn standardiser(m: &Matrix) -> (Vec<f32>, Vec<f32>) {
    let mut mean = vec![0f64; m.cols];
    let mut sq = vec![0f64; m.cols];
    for i in 0..m.rows {
        for (j, &x) in m.row(i).iter().enumerate() {
            mean[j] += f64::from(x);
            sq[j] += f64::from(x) * f64::from(x);
        }
    }
    let t = m.rows.max(1) as f64;
    let mut mu = vec![0f32; m.cols];
    let mut inv = vec![1f32; m.cols];
    for j in 0..m.cols {
        let mj = mean[j] / t;
        let var = (sq[j] / t - mj * mj).max(0.0);
        mu[j] = mj as f32;
        if var > 1e-20 {
            inv[j] = (1.0 / var.sqrt()) as f32;
        }
    }
    (mu, inv)
}

/// Apply a standardiser in place.
pub fn standardise(m: &mut Matrix, mu: &[f32], inv: &[f32]) {
    for r in m.data.chunks_exact_mut(m.cols) {
        for ((x, &a), &b) in r.iter_mut().zip(mu).zip(inv) {
            *x = (*x - a) * b;
        }
    }
}

/// Divide every block of `batch` consecutive rows (from row 0; the last may be shorter) by
/// the block's largest value (blocks whose values are all 0 are left as they are).
pub fn batch_max(m: &mut Matrix, batch: usize) {
    let cols = m.cols;
    for blk in m.data.chunks_mut(batch.max(1) * cols.max(1)) {
        let mx = blk.iter().copied().fold(0f32, f32::max);
        if mx > 0.0 {
            for x in blk {
                *x /= mx;
            }
        }
    }
}

/// Samples per block of a mini-batch gradient (summed in parallel, then in block order).
pub const BLOCK: usize = 32;

/// Adadelta (Zeiler 2012) as TensorFlow's `ApplyAdadelta` applies it, per parameter:
/// `a ← ρ a + (1−ρ) g²`, `u = √(d + ε)/√(a + ε) · g`, `d ← ρ d + (1−ρ) u²`, `θ ← θ − lr·u`.
#[derive(Clone, Debug)]
pub struct Adadelta {
    /// ρ.
    pub rho: f32,
    /// ε.
    pub eps: f32,
    /// Factor on the update.
    pub lr: f32,
    /// Running average of squared gradients.
    pub acc_g: Vec<f32>,
    /// Running average of squared updates.
    pub acc_u: Vec<f32>,
}

impl Adadelta {
    /// State for `n` parameters, all averages 0.
    pub fn new(n: usize, lr: f32, rho: f32, eps: f32) -> Self {
        Self {
            rho,
            eps,
            lr,
            acc_g: vec![0.0; n],
            acc_u: vec![0.0; n],
        }
    }

    /// Update parameter `k` with gradient `g`.
    #[inline]
    pub fn step(&mut self, k: usize, param: &mut f32, g: f32) {
        let a = self.rho * self.acc_g[k] + (1.0 - self.rho) * g * g;
        self.acc_g[k] = a;
        let u = (self.acc_u[k] + self.eps).sqrt() / (a + self.eps).sqrt() * g;
        self.acc_u[k] = self.rho * self.acc_u[k] + (1.0 - self.rho) * u * u;
        *param -= self.lr * u;
    }
}

/// Adam with β₁ = 0.9, β₂ = 0.999, ε = 1e-8.
#[derive(Clone, Debug)]
struct Adam {
    lr: f32,
    m1: Vec<f32>,
    m2: Vec<f32>,
    c1: f32,
    c2: f32,
    t: i32,
}

impl Adam {
    const B1: f32 = 0.9;
    const B2: f32 = 0.999;
    fn new(n: usize, lr: f32) -> Self {
        Self {
            lr,
            m1: vec![0.0; n],
            m2: vec![0.0; n],
            c1: 1.0,
            c2: 1.0,
            t: 0,
        }
    }
    fn begin(&mut self) {
        self.t += 1;
        self.c1 = 1.0 - Self::B1.powi(self.t);
        self.c2 = 1.0 - Self::B2.powi(self.t);
    }
    #[inline]
    fn step(&mut self, k: usize, param: &mut f32, g: f32) {
        self.m1[k] = Self::B1 * self.m1[k] + (1.0 - Self::B1) * g;
        self.m2[k] = Self::B2 * self.m2[k] + (1.0 - Self::B2) * g * g;
        *param -= self.lr * (self.m1[k] / self.c1) / ((self.m2[k] / self.c2).sqrt() + 1e-8);
    }
}

enum Opt {
    Adam(Adam),
    Adadelta(Adadelta),
}

/// Apply `step(k, param, gradient)` to every weight (with the L2 term) and bias.
fn apply(
    model: &mut Softmax,
    grad: &[f32],
    lambda: f32,
    mut step: impl FnMut(usize, &mut f32, f32),
) {
    let nw = model.w.len();
    for (k, (w, &g)) in model.w.iter_mut().zip(grad).enumerate() {
        let gk = g + lambda * *w;
        step(k, w, gk);
    }
    for (c, b) in model.b.iter_mut().enumerate() {
        step(nw + c, b, grad[nw + c]);
    }
}

/// Training targets of class `y`: one-hot, or the softmax of the ±1 label vector.
pub fn targets(kind: Targets) -> [[f32; CLASSES]; CLASSES] {
    let mut t = [[0f32; CLASSES]; CLASSES];
    for (y, row) in t.iter_mut().enumerate() {
        match kind {
            Targets::OneHot => row[y] = 1.0,
            Targets::SoftmaxPm1 => {
                let e2 = std::f64::consts::E * std::f64::consts::E;
                let z = e2 + (CLASSES - 1) as f64;
                for (c, v) in row.iter_mut().enumerate() {
                    *v = (if c == y { e2 / z } else { 1.0 / z }) as f32;
                }
            }
        }
    }
    t
}

/// A softmax layer: `W` is `cols × CLASSES` row-major.
#[derive(Clone, Debug)]
pub struct Softmax {
    /// Weights.
    pub w: Vec<f32>,
    /// Biases.
    pub b: [f32; CLASSES],
}

impl Softmax {
    fn logits(&self, x: &[f32], out: &mut [f32; CLASSES]) {
        *out = self.b;
        for (j, &xj) in x.iter().enumerate() {
            if xj != 0.0 {
                let wr = &self.w[j * CLASSES..(j + 1) * CLASSES];
                for c in 0..CLASSES {
                    out[c] += xj * wr[c];
                }
            }
        }
    }

    /// Predicted class of each row.
    pub fn predict(&self, m: &Matrix) -> Vec<u8> {
        (0..m.rows)
            .into_par_iter()
            .map(|i| {
                let mut z = [0f32; CLASSES];
                self.logits(m.row(i), &mut z);
                (0..CLASSES).fold(0, |b, c| if z[c] > z[b] { c } else { b }) as u8
            })
            .collect()
    }

    /// Fraction of rows classified as their label.
    pub fn accuracy(&self, m: &Matrix, labels: &[u8]) -> f64 {
        let p = self.predict(m);
        p.iter().zip(labels).filter(|(a, b)| a == b).count() as f64 / labels.len().max(1) as f64
    }
}

/// Accuracies of one epoch.
#[derive(Clone, Debug, Serialize)]
pub struct Epoch {
    /// Epoch number (from 1).
    pub epoch: usize,
    /// Training accuracy (measured for the selected epoch only, to save time).
    pub train: Option<f64>,
    /// Validation accuracy.
    pub val: f64,
    /// Test accuracy.
    pub test: f64,
}

/// Result of [`fit`].
#[derive(Clone, Debug, Serialize)]
pub struct Fit {
    /// The epoch with the best validation accuracy.
    pub best_epoch: usize,
    /// Its validation accuracy.
    pub val_accuracy: f64,
    /// Its test accuracy.
    pub test_accuracy: f64,
    /// Its training accuracy.
    pub train_accuracy: f64,
    /// Every epoch.
    pub epochs: Vec<Epoch>,
}

/// Features and their labels.
#[derive(Clone, Copy, Debug)]
pub struct Labelled<'a>(pub &'a Matrix, pub &'a [u8]);

/// Train on `train`, select the epoch by `val`, report `test`.
pub fn fit(
    cfg: &ReadoutConfig,
    seed: u64,
    train: Labelled<'_>,
    val: Labelled<'_>,
    test: Labelled<'_>,
    progress: &dyn crate::Progress,
) -> Fit {
    let Labelled(train, ytr) = train;
    let Labelled(val, yv) = val;
    let Labelled(test, yt) = test;
    let f = train.cols;
    let mut model = Softmax {
        w: vec![0.0; f * CLASSES],
        b: [0.0; CLASSES],
    };
    let np = f * CLASSES + CLASSES;
    let mut opt = match cfg.optimizer {
        Optimizer::Adam => Opt::Adam(Adam::new(np, cfg.lr as f32)),
        Optimizer::Adadelta => Opt::Adadelta(Adadelta::new(
            np,
            cfg.lr as f32,
            cfg.rho as f32,
            cfg.eps as f32,
        )),
    };
    let tgt = targets(cfg.targets);
    let mut grad = vec![0f32; np];
    let lambda = cfg.lambda as f32;
    let mut order: Vec<usize> = (0..train.rows).collect();
    let mut best: Option<(f64, Epoch, Softmax)> = None;
    let mut epochs = Vec::new();
    for e in 0..cfg.epochs {
        if cfg.shuffle {
            let mut rng = CounterRng::new(seed, Purpose::Other, 0xA11, 0, e as u64);
            for i in (1..order.len()).rev() {
                let j = rng.below(i as u64 + 1) as usize;
                order.swap(i, j);
            }
        }
        for chunk in order.chunks(cfg.batch) {
            let inv = 1.0 / chunk.len() as f32;
            let parts: Vec<Vec<f32>> = chunk
                .par_chunks(BLOCK)
                .map(|blk| {
                    let mut g = vec![0f32; np];
                    for &i in blk {
                        let x = train.row(i);
                        let mut z = [0f32; CLASSES];
                        model.logits(x, &mut z);
                        let mx = z.iter().copied().fold(f32::MIN, f32::max);
                        let mut s = 0.0;
                        for v in &mut z {
                            *v = (*v - mx).exp();
                            s += *v;
                        }
                        let t = &tgt[usize::from(ytr[i])];
                        for (c, v) in z.iter_mut().enumerate() {
                            *v = (*v / s - t[c]) * inv;
                        }
                        for (j, &xj) in x.iter().enumerate() {
                            if xj != 0.0 {
                                let gr = &mut g[j * CLASSES..(j + 1) * CLASSES];
                                for c in 0..CLASSES {
                                    gr[c] += xj * z[c];
                                }
                            }
                        }
                        for c in 0..CLASSES {
                            g[f * CLASSES + c] += z[c];
                        }
                    }
                    g
                })
                .collect();
            grad.copy_from_slice(&parts[0]);
            for p in &parts[1..] {
                for (a, &b) in grad.iter_mut().zip(p) {
                    *a += b;
                }
            }
            match &mut opt {
                Opt::Adam(a) => {
                    a.begin();
                    apply(&mut model, &grad, lambda, |k, p, g| a.step(k, p, g));
                }
                Opt::Adadelta(a) => apply(&mut model, &grad, lambda, |k, p, g| a.step(k, p, g)),
            }
        }
        let ep = Epoch {
            epoch: e + 1,
            train: None,
            val: model.accuracy(val, yv),
            test: model.accuracy(test, yt),
        };
        if best.as_ref().is_none_or(|(v, _, _)| ep.val > *v) {
            best = Some((ep.val, ep.clone(), model.clone()));
        }
        epochs.push(ep);
        progress.inc(1);
    }
    let (_, b, m) = best.expect("at least one epoch");
    let train_accuracy = m.accuracy(train, ytr);
    epochs[b.epoch - 1].train = Some(train_accuracy);
    Fit {
        best_epoch: b.epoch,
        val_accuracy: b.val,
        test_accuracy: b.test,
        train_accuracy,
        epochs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separable_classes_are_learned_and_selection_uses_validation() {
        // Class c lights feature c (plus noise-free offsets): linearly separable.
        let mk = |n: usize| {
            let mut d = vec![0u16; n * 12];
            let mut y = vec![0u8; n];
            for i in 0..n {
                let c = i % CLASSES;
                y[i] = c as u8;
                d[i * 12 + c] = 5;
                d[i * 12 + 10] = 1;
                d[i * 12 + 11] = (i % 3) as u16;
            }
            (l1_rows(&d, 12), y)
        };
        let (mut tr, ytr) = mk(200);
        let (mut va, yv) = mk(50);
        let (mut te, yt) = mk(50);
        let (mu, inv) = standardiser(&tr);
        for m in [&mut tr, &mut va, &mut te] {
            standardise(m, &mu, &inv);
        }
        let cfg = ReadoutConfig {
            epochs: 20,
            batch: 16,
            lr: 1e-2,
            lambda: 0.0,
            ..ReadoutConfig::default()
        };
        let (a, b, c) = (Labelled(&tr, &ytr), Labelled(&va, &yv), Labelled(&te, &yt));
        let fit1 = fit(&cfg, 3, a, b, c, &crate::Silent);
        assert_eq!(fit1.test_accuracy, 1.0);
        let best = fit1.epochs.iter().map(|e| e.val).fold(0.0, f64::max);
        assert_eq!(fit1.val_accuracy, best);
        assert_eq!(fit1.epochs[fit1.best_epoch - 1].val, best);
        // Deterministic.
        let fit2 = fit(&cfg, 3, a, b, c, &crate::Silent);
        assert_eq!(fit1.best_epoch, fit2.best_epoch);
    }

    #[test]
    fn adadelta_matches_a_hand_computation() {
        // Two steps on one parameter, g = 0.5 then −1, ρ = 0.9, ε = 0.01, lr = 0.1:
        // a1 = 0.1·0.25 = 0.025, u1 = √0.01/√0.035·0.5 = 0.267261,
        // d1 = 0.1·u1² = 0.00714286, θ1 = 1 − 0.0267261 = 0.973274;
        // a2 = 0.9·0.025 + 0.1·1 = 0.1225, u2 = √0.0171429/√0.1325·(−1) = −0.359694,
        // θ2 = θ1 + 0.0359694 = 1.009243.
        let mut o = Adadelta::new(1, 0.1, 0.9, 0.01);
        let mut th = 1.0f32;
        o.step(0, &mut th, 0.5);
        assert!((th - 0.973_274).abs() < 1e-6, "{th}");
        assert!((o.acc_u[0] - 0.007_142_86).abs() < 1e-8);
        o.step(0, &mut th, -1.0);
        assert!((o.acc_g[0] - 0.1225).abs() < 1e-7);
        assert!((th - 1.009_243).abs() < 1e-6, "{th}");
    }

    #[test]
    fn authors_targets_and_batch_max() {
        let t = targets(Targets::SoftmaxPm1);
        let e2 = std::f64::consts::E.powi(2);
        assert!((f64::from(t[3][3]) - e2 / (e2 + 9.0)).abs() < 1e-7);
        assert!((f64::from(t[3][0]) - 1.0 / (e2 + 9.0)).abs() < 1e-7);
        assert!((t[7].iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert_eq!(targets(Targets::OneHot)[2][2], 1.0);
        let mut m = Matrix {
            rows: 3,
            cols: 2,
            data: vec![1.0, 2.0, 4.0, 0.5, 3.0, 1.5],
        };
        batch_max(&mut m, 2);
        assert_eq!(m.data, vec![0.25, 0.5, 1.0, 0.125, 1.0, 0.5]);
    }

    #[test]
    fn adadelta_readout_learns_and_is_thread_count_invariant() {
        // Overlapping classes (feature c lit with noise), 100 samples per batch → 4 blocks.
        let mk = |n: usize, off: u64| {
            let mut d = vec![0u16; n * 12];
            let mut y = vec![0u8; n];
            for i in 0..n {
                let c = i % CLASSES;
                y[i] = c as u8;
                let mut r = CounterRng::new(7, Purpose::Other, off as u32, i as u32, 0);
                for j in 0..12 {
                    d[i * 12 + j] = r.below(3) as u16;
                }
                d[i * 12 + c] += 4;
            }
            let mut m = l1_rows(&d, 12);
            batch_max(&mut m, 100);
            (m, y)
        };
        let (tr, ytr) = mk(400, 1);
        let (va, yv) = mk(100, 2);
        let (te, yt) = mk(100, 3);
        let cfg = ReadoutConfig {
            epochs: 30,
            batch: 100,
            lr: 1.0,
            lambda: 0.0,
            optimizer: Optimizer::Adadelta,
            targets: Targets::SoftmaxPm1,
            shuffle: false,
            ..ReadoutConfig::default()
        };
        let run = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| {
                    fit(
                        &cfg,
                        1,
                        Labelled(&tr, &ytr),
                        Labelled(&va, &yv),
                        Labelled(&te, &yt),
                        &crate::Silent,
                    )
                })
        };
        let (a, b) = (run(1), run(3));
        assert!(a.test_accuracy > 0.8, "{}", a.test_accuracy);
        let acc = |f: &Fit| {
            f.epochs
                .iter()
                .map(|e| (e.train, e.val))
                .collect::<Vec<_>>()
        };
        assert_eq!(acc(&a), acc(&b));
    }
}
