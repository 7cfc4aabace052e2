//! Readouts: ridge regression (closed form, k-fold cross-validated regularisation), multinomial
//! logistic regression with L2 (full batch or mini-batch, deterministic), and recursive least
//! squares (RLS, the learner of FORCE).
//!
//! Features are rows of a `T × F` matrix (one row per sample), targets a `T × K` matrix.

use crate::error::{ReservoirError, Result};
use faer::Accum;
use faer::linalg::matmul::triangular::{self, BlockStructure};
use faer::linalg::solvers::Solve;
use faer::{Mat, MatMut, MatRef, Par, Side};
use glia_core::{CounterRng, Purpose};

fn check_features(x: MatRef<'_, f64>, rows: usize, what: &str) -> Result<()> {
    if x.ncols() == 0 || x.nrows() == 0 {
        return Err(ReservoirError::invalid(
            what,
            format!(
                "empty feature set ({} samples × {} features): a readout needs at least one \
                 feature and one sample",
                x.nrows(),
                x.ncols()
            ),
        ));
    }
    if x.nrows() != rows {
        return Err(ReservoirError::invalid(
            what,
            format!("{} feature rows but {rows} target rows", x.nrows()),
        ));
    }
    Ok(())
}

/// Column means of `x`.
fn col_means(x: MatRef<'_, f64>) -> Vec<f64> {
    let t = x.nrows() as f64;
    (0..x.ncols())
        .map(|j| (0..x.nrows()).map(|i| x[(i, j)]).sum::<f64>() / t)
        .collect()
}

/// `x` with the column means `m` subtracted.
fn centred(x: MatRef<'_, f64>, m: &[f64]) -> Mat<f64> {
    Mat::from_fn(x.nrows(), x.ncols(), |i, j| x[(i, j)] - m[j])
}

/// `Σ a_i b_i` in index order (four partial sums, so the loop vectorises; deterministic).
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut s = [0.0f64; 4];
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (p, q) in ca.zip(cb) {
        for l in 0..4 {
            s[l] += p[l] * q[l];
        }
    }
    let mut t = (s[0] + s[1]) + (s[2] + s[3]);
    for (p, q) in ra.iter().zip(rb) {
        t += p * q;
    }
    t
}

/// A linear readout `y = W^T x + b` fitted by ridge regression.
#[derive(Clone, Debug)]
pub struct Ridge {
    /// Weights, `F × K`.
    pub w: Mat<f64>,
    /// Intercepts, one per output (not regularised).
    pub b: Vec<f64>,
    /// The regularisation it was fitted with.
    pub alpha: f64,
}

/// The `F × F` Gram matrix `XᵀX` (lower triangle) and `XᵀY` of centred data, solved for several `α` by
/// Cholesky factorisations of `XᵀX + αI` (symmetric positive definite for `α > 0`).
struct Normal {
    g: Mat<f64>,
    xty: Mat<f64>,
    xm: Vec<f64>,
    ym: Vec<f64>,
}

impl Normal {
    /// The centred copy is made in the layout [`Normal::new_columns`] works in (`F × T`, one
    /// contiguous column per sample), and the means are summed in the same order, so that
    /// both give bit-identical readouts whatever the strides of `x` (faer's products round
    /// differently for different layouts).
    fn new(x: MatRef<'_, f64>, y: MatRef<'_, f64>, threads: usize) -> Self {
        let (xm, ym) = (col_means(x), col_means(y));
        let xct = Mat::from_fn(x.ncols(), x.nrows(), |i, s| x[(s, i)] - xm[i]);
        let yc = centred(y, &ym);
        Self::from_centred(xct.as_ref(), yc.as_ref(), xm, ym, threads)
    }

    /// As [`Normal::new`] with the features as the columns of `xt` (`F × T`, one contiguous
    /// column per sample), centred in place (no copy of the feature matrix).
    fn new_columns(mut xt: MatMut<'_, f64>, y: MatRef<'_, f64>, threads: usize) -> Self {
        let (f, t) = (xt.nrows(), xt.ncols());
        // Per feature, the samples summed in time order (as `col_means`), then subtracted;
        // the features in `threads` contiguous ranges (each feature's bits do not depend on
        // the ranges).
        let mut xm = vec![0.0f64; f];
        let threads = threads.clamp(1, f.max(1));
        let mut jobs = Vec::with_capacity(threads);
        let mut rest = xt.as_mut();
        let mut means = xm.as_mut_slice();
        for k in 0..threads {
            let h = f * (k + 1) / threads - f * k / threads;
            let (blk, r) = rest.split_at_row_mut(h);
            let (m, ms) = means.split_at_mut(h);
            jobs.push((m, blk));
            rest = r;
            means = ms;
        }
        share_out(
            jobs,
            threads,
            |(m, _)| m.len(),
            |(m, mut blk): (&mut [f64], MatMut<'_, f64>)| {
                for s in 0..t {
                    for (mi, &v) in m.iter_mut().zip(blk.as_ref().col(s).iter()) {
                        *mi += v;
                    }
                }
                m.iter_mut().for_each(|v| *v /= t as f64);
                for s in 0..t {
                    for (v, &mi) in blk.as_mut().col_mut(s).iter_mut().zip(m.iter()) {
                        *v -= mi;
                    }
                }
            },
        );
        let ym = col_means(y);
        let yc = centred(y, &ym);
        Self::from_centred(xt.as_ref(), yc.as_ref(), xm, ym, threads)
    }

    /// `XᵀX` (lower triangle) and `XᵀY` from centred data, the features given as the columns
    /// of `xt` (`F × T`, any strides) and the targets as the rows of `yc` (`T × K`), on
    /// `threads` threads (bit-identical for any number: see [`gram_lower`]).
    fn from_centred(
        xt: MatRef<'_, f64>,
        yc: MatRef<'_, f64>,
        xm: Vec<f64>,
        ym: Vec<f64>,
        threads: usize,
    ) -> Self {
        let g = gram_lower(xt, threads);
        let xty = xt_times(xt, yc, threads);
        Self { g, xty, xm, ym }
    }

    fn solve(&self, alpha: f64) -> Result<Ridge> {
        let f = self.g.nrows();
        let mut a = self.g.clone();
        for i in 0..f {
            a[(i, i)] += alpha;
        }
        let llt = a.llt(Side::Lower).map_err(|_| {
            ReservoirError::Numerical(format!(
                "ridge: XᵀX + αI is not positive definite for α = {alpha} (collinear or \
                 constant features); use α > 0"
            ))
        })?;
        let w = llt.solve(&self.xty);
        let b = (0..w.ncols())
            .map(|k| self.ym[k] - (0..f).map(|i| self.xm[i] * w[(i, k)]).sum::<f64>())
            .collect();
        Ok(Ridge { w, b, alpha })
    }
}

/// Width of the column panels of the Gram matrix and height of the row blocks of `XᵀY`
/// ([`gram_lower`], [`xt_times`]). Fixed, so that the tiling, and with it every rounding,
/// is the same for any thread count. 128: at F = 500 four panels that two threads share
/// evenly, at ~10 % more time on one thread than a single triangular product
/// (`examples/ridge_bench.rs`).
pub const TILE: usize = 128;

/// The lower triangle of the Gram matrix `xt xtᵀ` (`F × F`; the strict upper triangle is 0)
/// of the columns of `xt` (`F × T`), on `threads` threads.
///
/// The triangle is cut into column panels of [`TILE`] columns; panel `[c, c + TILE)` is its
/// diagonal block (a lower-triangular product) and the rectangle below it (one general
/// product), each computed serially by faer's packed, vectorised kernels. Threads take whole
/// panels (disjoint columns of the result), shared out by the longest-first rule; which
/// thread computes a panel does not change its bits, so the result is the same for any
/// `threads`.
pub fn gram_lower(xt: MatRef<'_, f64>, threads: usize) -> Mat<f64> {
    gram_lower_tiled(xt, threads, TILE)
}

/// [`gram_lower`] with panels of `tile` columns (for benchmarks: `examples/ridge_bench.rs`).
#[doc(hidden)]
pub fn gram_lower_tiled(xt: MatRef<'_, f64>, threads: usize, tile: usize) -> Mat<f64> {
    let f = xt.nrows();
    let mut g = Mat::<f64>::zeros(f, f);
    let tile = tile.max(1);
    let mut panels = Vec::new();
    let mut rest = g.as_mut();
    let mut c = 0;
    while c < f {
        let w = tile.min(f - c);
        let (p, r) = rest.split_at_col_mut(w);
        // Work ∝ rows from the diagonal down times columns.
        panels.push(((f - c) * w, c, p));
        rest = r;
        c += w;
    }
    let panel = |(_, c, p): (usize, usize, MatMut<'_, f64>)| {
        let w = p.ncols();
        let (top, below) = p.subrows_mut(c, f - c).split_at_row_mut(w);
        let cols = xt.subrows(c, w);
        triangular::matmul(
            top,
            BlockStructure::TriangularLower,
            Accum::Replace,
            cols,
            BlockStructure::Rectangular,
            cols.transpose(),
            BlockStructure::Rectangular,
            1.0,
            Par::Seq,
        );
        if f > c + w {
            faer::linalg::matmul::matmul(
                below,
                Accum::Replace,
                xt.subrows(c + w, f - c - w),
                cols.transpose(),
                1.0,
                Par::Seq,
            );
        }
    };
    share_out(panels, threads, |(cost, _, _)| *cost, panel);
    g
}

/// `xt · yc` (`F × K`) on `threads` threads: rows in fixed blocks of [`TILE`], each block one
/// serial product (bit-identical for any `threads`).
pub fn xt_times(xt: MatRef<'_, f64>, yc: MatRef<'_, f64>, threads: usize) -> Mat<f64> {
    let f = xt.nrows();
    let mut out = Mat::<f64>::zeros(f, yc.ncols());
    let mut blocks = Vec::new();
    let mut rest = out.as_mut();
    let mut r = 0;
    while r < f {
        let h = TILE.min(f - r);
        let (b, tail) = rest.split_at_row_mut(h);
        blocks.push((r, b));
        rest = tail;
        r += h;
    }
    share_out(
        blocks,
        threads,
        |(_, b)| b.nrows(),
        |(r, b): (usize, MatMut<'_, f64>)| {
            let h = b.nrows();
            faer::linalg::matmul::matmul(b, Accum::Replace, xt.subrows(r, h), yc, 1.0, Par::Seq);
        },
    );
    out
}

/// Runs `work` on every job, the jobs shared out over at most `threads` scoped threads (the
/// caller's thread is one of them) by the longest-processing-time-first rule on `cost`.
fn share_out<J: Send>(
    mut jobs: Vec<J>,
    threads: usize,
    cost: impl Fn(&J) -> usize,
    work: impl Fn(J) + Sync,
) {
    let threads = threads.clamp(1, jobs.len().max(1));
    if threads == 1 {
        jobs.into_iter().for_each(work);
        return;
    }
    jobs.sort_by_key(|j| std::cmp::Reverse(cost(j)));
    let mut bins: Vec<(usize, Vec<J>)> = (0..threads).map(|_| (0, Vec::new())).collect();
    for j in jobs {
        let c = cost(&j);
        let k = (0..threads).min_by_key(|&k| bins[k].0).unwrap_or(0);
        bins[k].0 += c;
        bins[k].1.push(j);
    }
    let work = &work;
    std::thread::scope(|s| {
        let mut bins = bins.into_iter();
        let mine = bins.next().map(|b| b.1).unwrap_or_default();
        for (_, b) in bins {
            s.spawn(move || b.into_iter().for_each(work));
        }
        mine.into_iter().for_each(work);
    });
}

impl Ridge {
    /// Fit `W, b` minimising `‖Y − XW − 1bᵀ‖² + α‖W‖²` (the intercept is not penalised): the
    /// data are centred, then `(XᵀX + αI) W = XᵀY` is solved by Cholesky.
    pub fn fit(x: MatRef<'_, f64>, y: MatRef<'_, f64>, alpha: f64) -> Result<Self> {
        check_features(x, y.nrows(), "readout")?;
        if !(alpha >= 0.0 && alpha.is_finite()) {
            return Err(ReservoirError::invalid(
                "readout.alpha",
                format!("must be ≥ 0 and finite, got {alpha}"),
            ));
        }
        Normal::new(x, y, 1).solve(alpha)
    }

    /// As [`Ridge::fit`] with the samples as the **columns** of `xt` (`F × T`: feature `i` of
    /// sample `s` at `xt[(i, s)]`), which is **centred in place** (each row loses its mean),
    /// so that no copy of the feature matrix is made. The fitted readout is the same as
    /// `Ridge::fit(xt.transpose(), y, alpha)` up to rounding.
    pub fn fit_columns_in_place(
        xt: MatMut<'_, f64>,
        y: MatRef<'_, f64>,
        alpha: f64,
    ) -> Result<Self> {
        Self::fit_columns_in_place_threads(xt, y, alpha, 1)
    }

    /// As [`Ridge::fit_columns_in_place`], with the products `XᵀX` and `XᵀY` computed on
    /// `threads` threads (0 is taken as 1). The result is bit-identical for any number of
    /// threads, and to [`Ridge::fit`] on `xt.transpose()`: the products are always cut into
    /// the same tiles, each summed serially in the same order, and the threads only share out
    /// the tiles.
    pub fn fit_columns_in_place_threads(
        xt: MatMut<'_, f64>,
        y: MatRef<'_, f64>,
        alpha: f64,
        threads: usize,
    ) -> Result<Self> {
        check_features(xt.as_ref().transpose(), y.nrows(), "readout")?;
        if !(alpha >= 0.0 && alpha.is_finite()) {
            return Err(ReservoirError::invalid(
                "readout.alpha",
                format!("must be ≥ 0 and finite, got {alpha}"),
            ));
        }
        Normal::new_columns(xt, y, threads.max(1)).solve(alpha)
    }

    /// Predictions for the rows of `x`, `T × K`. The rows are first copied into one
    /// column-major layout, so the result is bit-identical whatever the strides of `x` (a
    /// numpy array, a transposed view of feature columns).
    pub fn predict(&self, x: MatRef<'_, f64>) -> Mat<f64> {
        let xc = Mat::from_fn(x.nrows(), x.ncols(), |i, j| x[(i, j)]);
        let mut y = &xc * &self.w;
        for k in 0..y.ncols() {
            for i in 0..y.nrows() {
                y[(i, k)] += self.b[k];
            }
        }
        y
    }

    /// Prediction for one feature vector into `out` (length `K`).
    pub fn predict_row(&self, x: &[f64], out: &mut [f64]) {
        for (k, o) in out.iter_mut().enumerate() {
            *o = self.b[k]
                + x.iter()
                    .enumerate()
                    .map(|(i, &v)| v * self.w[(i, k)])
                    .sum::<f64>();
        }
    }
}

/// Result of [`ridge_cv`].
#[derive(Clone, Debug)]
pub struct CvResult {
    /// The `α` with the smallest mean validation error.
    pub alpha: f64,
    /// Mean validation MSE (over folds and outputs) per `α` of the grid.
    pub scores: Vec<f64>,
}

/// K-fold cross-validation of the ridge regularisation over `alphas`: the samples are cut into
/// `folds` contiguous blocks (time series are not shuffled), each block in turn is the
/// validation set of a fit on the others, and the `α` with the smallest mean squared
/// validation error wins (the first one on ties).
pub fn ridge_cv(
    x: MatRef<'_, f64>,
    y: MatRef<'_, f64>,
    alphas: &[f64],
    folds: usize,
) -> Result<CvResult> {
    check_features(x, y.nrows(), "readout")?;
    if alphas.is_empty() {
        return Err(ReservoirError::invalid("readout.alphas", "empty grid"));
    }
    if let Some(a) = alphas.iter().find(|a| !(**a >= 0.0 && a.is_finite())) {
        return Err(ReservoirError::invalid(
            "readout.alphas",
            format!("every α must be ≥ 0 and finite, got {a}"),
        ));
    }
    let t = x.nrows();
    if folds < 2 || folds > t {
        return Err(ReservoirError::invalid(
            "readout.folds",
            format!("must be in [2, samples = {t}], got {folds}"),
        ));
    }
    let mut scores = vec![0.0; alphas.len()];
    for f in 0..folds {
        let (a, b) = (t * f / folds, t * (f + 1) / folds);
        let keep: Vec<usize> = (0..t).filter(|&i| i < a || i >= b).collect();
        let xt = Mat::from_fn(keep.len(), x.ncols(), |i, j| x[(keep[i], j)]);
        let yt = Mat::from_fn(keep.len(), y.ncols(), |i, j| y[(keep[i], j)]);
        let normal = Normal::new(xt.as_ref(), yt.as_ref(), 1);
        let xv = x.subrows(a, b - a);
        let yv = y.subrows(a, b - a);
        for (s, &alpha) in scores.iter_mut().zip(alphas) {
            let pred = normal.solve(alpha)?.predict(xv);
            let mut se = 0.0;
            for k in 0..yv.ncols() {
                for i in 0..yv.nrows() {
                    se += (pred[(i, k)] - yv[(i, k)]).powi(2);
                }
            }
            *s += se / (yv.nrows() * yv.ncols()) as f64 / folds as f64;
        }
    }
    let best = (0..alphas.len()).fold(0, |best, i| if scores[i] < scores[best] { i } else { best });
    Ok(CvResult {
        alpha: alphas[best],
        scores,
    })
}

/// How [`Logistic::fit`] optimises.
#[derive(Clone, Copy, Debug)]
pub enum Optimiser {
    /// Nesterov-accelerated gradient descent on the whole set with step `1/L` (`L` the
    /// Böhning bound on the Hessian), until the gradient norm is below `tol` or `max_iter`
    /// iterations.
    FullBatch {
        /// Gradient-norm tolerance.
        tol: f64,
        /// Iteration limit.
        max_iter: usize,
    },
    /// Stochastic gradient descent on mini-batches of `batch` samples, `epochs` passes, step
    /// `lr / (1 + epoch)`; the sample order of each epoch is a permutation drawn from the
    /// counter-based stream `(seed, ReservoirTask, 1, epoch)` — deterministic.
    MiniBatch {
        /// Samples per batch.
        batch: usize,
        /// Passes over the data.
        epochs: usize,
        /// Initial learning rate.
        lr: f64,
        /// Seed of the sample order.
        seed: u64,
    },
}

/// Multinomial logistic (softmax) regression `p(c | x) ∝ exp(w_cᵀ x + b_c)` with L2 penalty
/// `λ/2 ‖W‖²` on the weights (not the intercepts), minimising the mean cross-entropy plus the
/// penalty.
#[derive(Clone, Debug)]
pub struct Logistic {
    /// Weights, `F × C`.
    pub w: Mat<f64>,
    /// Intercepts, one per class.
    pub b: Vec<f64>,
    /// Iterations (full batch) or epochs (mini-batch) used.
    pub iterations: usize,
}

impl Logistic {
    /// Fit to features `x` (`T × F`) and class labels in `0..classes`.
    pub fn fit(
        x: MatRef<'_, f64>,
        labels: &[usize],
        classes: usize,
        lambda: f64,
        opt: Optimiser,
    ) -> Result<Self> {
        check_features(x, labels.len(), "readout")?;
        if classes < 2 {
            return Err(ReservoirError::invalid(
                "readout.classes",
                format!("need at least 2 classes, got {classes}"),
            ));
        }
        if let Some((i, l)) = labels.iter().enumerate().find(|(_, l)| **l >= classes) {
            return Err(ReservoirError::invalid(
                "readout.labels",
                format!("label {l} of sample {i} is not in 0..{classes}"),
            ));
        }
        if !(lambda >= 0.0 && lambda.is_finite()) {
            return Err(ReservoirError::invalid(
                "readout.lambda",
                format!("must be ≥ 0 and finite, got {lambda}"),
            ));
        }
        let (f, c) = (x.ncols(), classes);
        // Parameters as one (F + 1) × C matrix: the last row holds the intercepts.
        let mut theta = Mat::<f64>::zeros(f + 1, c);
        let mut grad = Mat::<f64>::zeros(f + 1, c);
        let mut iterations = 0;
        match opt {
            Optimiser::FullBatch { tol, max_iter } => {
                let all: Vec<usize> = (0..x.nrows()).collect();
                // Böhning: H ≤ ½ (1/T) X̃ᵀX̃ ⊗ I + λ I, X̃ = [X 1].
                let l = 0.5 * max_eig_aug(x) / x.nrows() as f64 + lambda;
                let step = 1.0 / l;
                let mut prev = theta.clone();
                let mut look = theta.clone();
                for it in 0..max_iter {
                    iterations = it + 1;
                    gradient(x, labels, &all, &look, lambda, &mut grad);
                    let gn = grad.norm_l2();
                    let next = &look - step * &grad;
                    let mom = it as f64 / (it as f64 + 3.0);
                    look = &next + mom * (&next - &prev);
                    prev = next;
                    if gn < tol {
                        break;
                    }
                }
                theta = prev;
            }
            Optimiser::MiniBatch {
                batch,
                epochs,
                lr,
                seed,
            } => {
                if batch == 0 {
                    return Err(ReservoirError::invalid("readout.batch", "must be ≥ 1"));
                }
                let t = x.nrows();
                let mut order: Vec<usize> = (0..t).collect();
                for e in 0..epochs {
                    iterations = e + 1;
                    // Fisher–Yates with the epoch's stream.
                    let mut rng = CounterRng::new(seed, Purpose::ReservoirTask, 1, 0, e as u64);
                    for i in (1..t).rev() {
                        let j = ((rng.uniform() * (i + 1) as f64) as usize).min(i);
                        order.swap(i, j);
                    }
                    let eta = lr / (1.0 + e as f64);
                    for chunk in order.chunks(batch) {
                        gradient(x, labels, chunk, &theta, lambda, &mut grad);
                        theta -= eta * &grad;
                    }
                }
            }
        }
        let w = theta.subrows(0, f).to_owned();
        let b = (0..c).map(|k| theta[(f, k)]).collect();
        Ok(Self { w, b, iterations })
    }

    /// Class scores `XW + 1bᵀ` (`T × C`; the arg-max is the predicted class).
    pub fn scores(&self, x: MatRef<'_, f64>) -> Mat<f64> {
        let mut s = x * &self.w;
        for k in 0..s.ncols() {
            for i in 0..s.nrows() {
                s[(i, k)] += self.b[k];
            }
        }
        s
    }

    /// Predicted classes.
    pub fn predict(&self, x: MatRef<'_, f64>) -> Vec<usize> {
        let s = self.scores(x);
        (0..s.nrows())
            .map(|i| (0..s.ncols()).fold(0, |b, k| if s[(i, k)] > s[(i, b)] { k } else { b }))
            .collect()
    }

    /// Mean cross-entropy plus `λ/2 ‖W‖²` on `x`, `labels`.
    pub fn loss(&self, x: MatRef<'_, f64>, labels: &[usize], lambda: f64) -> f64 {
        let s = self.scores(x);
        let mut total = 0.0;
        for (i, &l) in labels.iter().enumerate() {
            let m = (0..s.ncols()).map(|k| s[(i, k)]).fold(f64::MIN, f64::max);
            let z: f64 = (0..s.ncols()).map(|k| (s[(i, k)] - m).exp()).sum();
            total += m + z.ln() - s[(i, l)];
        }
        total / labels.len() as f64 + 0.5 * lambda * self.w.squared_norm_l2()
    }
}

/// Largest eigenvalue of `X̃ᵀX̃`, `X̃ = [X 1]`, by power iteration (an upper estimate: the
/// Rayleigh quotient times 1.01 plus the last change, enough for a safe step size).
fn max_eig_aug(x: MatRef<'_, f64>) -> f64 {
    let f = x.ncols();
    let mut v = vec![1.0; f + 1];
    let mut lam = 0.0;
    for _ in 0..100 {
        // u = X̃ v, w = X̃ᵀ u.
        let u: Vec<f64> = (0..x.nrows())
            .map(|i| (0..f).map(|j| x[(i, j)] * v[j]).sum::<f64>() + v[f])
            .collect();
        let mut w = vec![0.0; f + 1];
        for (i, &ui) in u.iter().enumerate() {
            for j in 0..f {
                w[j] += x[(i, j)] * ui;
            }
            w[f] += ui;
        }
        let n = w.iter().map(|a| a * a).sum::<f64>().sqrt();
        if n == 0.0 {
            return 1.0;
        }
        let new = n / v.iter().map(|a| a * a).sum::<f64>().sqrt();
        let done = (new - lam).abs() < 1e-6 * new;
        lam = new;
        v = w.iter().map(|a| a / n).collect();
        if done {
            break;
        }
    }
    lam * 1.05
}

/// Gradient of the mean cross-entropy over `rows` plus `λ/2 ‖W‖²`, into `grad`.
fn gradient(
    x: MatRef<'_, f64>,
    labels: &[usize],
    rows: &[usize],
    theta: &Mat<f64>,
    lambda: f64,
    grad: &mut Mat<f64>,
) {
    let (f, c) = (x.ncols(), theta.ncols());
    grad.fill(0.0);
    let mut p = vec![0.0; c];
    let inv = 1.0 / rows.len() as f64;
    for &i in rows {
        for (k, pk) in p.iter_mut().enumerate() {
            *pk = theta[(f, k)] + (0..f).map(|j| x[(i, j)] * theta[(j, k)]).sum::<f64>();
        }
        let m = p.iter().copied().fold(f64::MIN, f64::max);
        let mut z = 0.0;
        for pk in p.iter_mut() {
            *pk = (*pk - m).exp();
            z += *pk;
        }
        for (k, pk) in p.iter_mut().enumerate() {
            let d = (*pk / z - f64::from(u8::from(labels[i] == k))) * inv;
            for j in 0..f {
                grad[(j, k)] += d * x[(i, j)];
            }
            grad[(f, k)] += d;
        }
    }
    for k in 0..c {
        for j in 0..f {
            grad[(j, k)] += lambda * theta[(j, k)];
        }
    }
}

/// Recursive least squares: after the samples `(x_t, y_t)` seen so far, `W` minimises
/// `Σ_t λ^{n−t} ‖y_t − Wᵀx_t‖² + λ^n δ ‖W‖²` (no intercept: append a constant feature for
/// one). With forgetting `λ = 1` and `P₀ = I/δ` it equals the ridge solution
/// `(XᵀX + δI)⁻¹XᵀY` after every sample. FORCE learning (Sussillo & Abbott 2009) is RLS
/// applied online while the readout's output is fed back into the reservoir.
#[derive(Clone, Debug)]
pub struct Rls {
    /// Weights, `F × K`.
    pub w: Mat<f64>,
    /// Inverse of the (regularised, discounted) correlation matrix.
    pub p: Mat<f64>,
    /// Forgetting factor in (0, 1].
    pub forget: f64,
    k: Vec<f64>,
    px: Vec<f64>,
}

impl Rls {
    /// `F` features, `K` outputs, regularisation `δ > 0`, forgetting factor in (0, 1].
    pub fn new(features: usize, outputs: usize, delta: f64, forget: f64) -> Result<Self> {
        if features == 0 {
            return Err(ReservoirError::invalid(
                "readout",
                "empty feature set: RLS needs at least one feature",
            ));
        }
        if !(delta > 0.0 && delta.is_finite()) {
            return Err(ReservoirError::invalid(
                "readout.delta",
                format!("must be > 0, got {delta}"),
            ));
        }
        if !(forget > 0.0 && forget <= 1.0) {
            return Err(ReservoirError::invalid(
                "readout.forget",
                format!("must be in (0, 1], got {forget}"),
            ));
        }
        Ok(Self {
            w: Mat::zeros(features, outputs),
            p: Mat::from_fn(
                features,
                features,
                |i, j| if i == j { 1.0 / delta } else { 0.0 },
            ),
            forget,
            k: vec![0.0; features],
            px: vec![0.0; features],
        })
    }

    /// One update with features `x` and targets `y`; returns nothing, the prior error
    /// `y − Wᵀx` is available by calling [`Rls::predict`] before.
    pub fn update(&mut self, x: &[f64], y: &[f64]) {
        let f = self.w.nrows();
        // px = P x: P is symmetric, so entry i is column i (contiguous) dotted with x.
        for i in 0..f {
            self.px[i] = dot(self.p.col_as_slice(i), x);
        }
        let denom = self.forget + dot(x, &self.px);
        for i in 0..f {
            self.k[i] = self.px[i] / denom;
        }
        for (k, &yk) in y.iter().enumerate() {
            let wk = self.w.col_as_slice_mut(k);
            let e = yk - dot(wk, x);
            for (w, &g) in wk.iter_mut().zip(&self.k) {
                *w += g * e;
            }
        }
        // P ← (P − k pxᵀ)/λ, one contiguous column at a time.
        let inv = 1.0 / self.forget;
        for j in 0..f {
            let pj = self.px[j];
            for (p, &g) in self.p.col_as_slice_mut(j).iter_mut().zip(&self.k) {
                *p = (*p - g * pj) * inv;
            }
        }
    }

    /// `Wᵀx` into `out`.
    pub fn predict(&self, x: &[f64], out: &mut [f64]) {
        for (k, o) in out.iter_mut().enumerate() {
            *o = dot(self.w.col_as_slice(k), x);
        }
    }
}
