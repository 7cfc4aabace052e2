//! The softmax readout on spike counts with validation-based model selection.
//!
//! Features: each sample's counts are divided by their sum (L1, as the authors' readout does),
//! then every feature is standardised with the training set's mean and standard deviation.
//! One softmax layer is trained by mini-batch Adam on the mean cross-entropy plus
//! `λ/2 ‖W‖²`; after every epoch the validation accuracy is measured, and the test accuracy
//! reported is that of the epoch with the best validation accuracy (the first on ties).
//! The sample order of epoch `e` is a Fisher–Yates permutation from the counter-based stream
//! `(seed, Other, 0xA11, 0, e)`: same seed, same result.
//!
//! glia-reservoir's `Logistic` solves the same problem on `faer` matrices but gives no
//! per-epoch validation and indexes element by element; this is the lean row-major version
//! for 50 000 × 8000 features.

use crate::config::ReadoutConfig;
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
    /// Training accuracy.
    pub train: f64,
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
    let (mut m1, mut m2) = (vec![0f32; np], vec![0f32; np]);
    let mut grad = vec![0f32; np];
    let (b1, b2, eps) = (0.9f32, 0.999f32, 1e-8f32);
    let lr = cfg.lr as f32;
    let lambda = cfg.lambda as f32;
    let mut order: Vec<usize> = (0..train.rows).collect();
    let mut step = 0i32;
    let mut best: Option<(f64, Epoch)> = None;
    let mut epochs = Vec::new();
    for e in 0..cfg.epochs {
        let mut rng = CounterRng::new(seed, Purpose::Other, 0xA11, 0, e as u64);
        for i in (1..order.len()).rev() {
            let j = rng.below(i as u64 + 1) as usize;
            order.swap(i, j);
        }
        for chunk in order.chunks(cfg.batch) {
            grad.fill(0.0);
            let inv = 1.0 / chunk.len() as f32;
            for &i in chunk {
                let x = train.row(i);
                let mut z = [0f32; CLASSES];
                model.logits(x, &mut z);
                let mx = z.iter().copied().fold(f32::MIN, f32::max);
                let mut s = 0.0;
                for v in &mut z {
                    *v = (*v - mx).exp();
                    s += *v;
                }
                for (c, v) in z.iter_mut().enumerate() {
                    *v = (*v / s - if usize::from(ytr[i]) == c { 1.0 } else { 0.0 }) * inv;
                }
                for (j, &xj) in x.iter().enumerate() {
                    if xj != 0.0 {
                        let g = &mut grad[j * CLASSES..(j + 1) * CLASSES];
                        for c in 0..CLASSES {
                            g[c] += xj * z[c];
                        }
                    }
                }
                for c in 0..CLASSES {
                    grad[f * CLASSES + c] += z[c];
                }
            }
            step += 1;
            let c1 = 1.0 - b1.powi(step);
            let c2 = 1.0 - b2.powi(step);
            for k in 0..np {
                let (param, g) = if k < f * CLASSES {
                    let g = grad[k] + lambda * model.w[k];
                    (&mut model.w[k], g)
                } else {
                    (&mut model.b[k - f * CLASSES], grad[k])
                };
                m1[k] = b1 * m1[k] + (1.0 - b1) * g;
                m2[k] = b2 * m2[k] + (1.0 - b2) * g * g;
                *param -= lr * (m1[k] / c1) / ((m2[k] / c2).sqrt() + eps);
            }
        }
        let ep = Epoch {
            epoch: e + 1,
            train: model.accuracy(train, ytr),
            val: model.accuracy(val, yv),
            test: model.accuracy(test, yt),
        };
        if best.as_ref().is_none_or(|(v, _)| ep.val > *v) {
            best = Some((ep.val, ep.clone()));
        }
        epochs.push(ep);
    }
    let (_, b) = best.expect("at least one epoch");
    Fit {
        best_epoch: b.epoch,
        val_accuracy: b.val,
        test_accuracy: b.test,
        train_accuracy: b.train,
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
        };
        let (a, b, c) = (Labelled(&tr, &ytr), Labelled(&va, &yv), Labelled(&te, &yt));
        let fit1 = fit(&cfg, 3, a, b, c);
        assert_eq!(fit1.test_accuracy, 1.0);
        let best = fit1.epochs.iter().map(|e| e.val).fold(0.0, f64::max);
        assert_eq!(fit1.val_accuracy, best);
        assert_eq!(fit1.epochs[fit1.best_epoch - 1].val, best);
        // Deterministic.
        let fit2 = fit(&cfg, 3, a, b, c);
        assert_eq!(fit1.best_epoch, fit2.best_epoch);
    }
}
