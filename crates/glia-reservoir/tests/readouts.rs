//! Readouts against closed forms and known optima.

use faer::linalg::solvers::Solve;
use faer::{Mat, Side};
use glia_core::{CounterRng, Purpose};
use glia_reservoir::readout::{Logistic, Optimiser, Ridge, Rls, ridge_cv};

fn gaussian(seed: u64, id: u32, r: usize, c: usize) -> Mat<f64> {
    let mut rng = CounterRng::new(seed, Purpose::Other, id, 0, 0);
    let mut m = Mat::zeros(r, c);
    for i in 0..r {
        for j in 0..c {
            m[(i, j)] = rng.normal();
        }
    }
    m
}

/// Ridge on a 3-point problem against the hand-computed solution: x = (1, 2, 3),
/// y = (2, 4, 7), α = 1 → w = Σxᶜyᶜ / (Σxᶜ² + α) = 5/3, b = ȳ − w x̄ = 1. Tolerance 1e-12.
/// With α = 0 an exactly linear 2-feature target is recovered to 1e-10.
#[test]
fn ridge_matches_closed_form() {
    let x = Mat::from_fn(3, 1, |i, _| (i + 1) as f64);
    let y = Mat::from_fn(3, 1, |i, _| [2.0, 4.0, 7.0][i]);
    let r = Ridge::fit(x.as_ref(), y.as_ref(), 1.0).unwrap();
    assert!((r.w[(0, 0)] - 5.0 / 3.0).abs() < 1e-12, "{:?}", r.w);
    assert!((r.b[0] - 1.0).abs() < 1e-12, "{:?}", r.b);

    let x = gaussian(1, 0, 50, 2);
    let y = Mat::from_fn(50, 1, |i, _| 3.0 * x[(i, 0)] - 2.0 * x[(i, 1)] + 0.5);
    let r = Ridge::fit(x.as_ref(), y.as_ref(), 0.0).unwrap();
    assert!((r.w[(0, 0)] - 3.0).abs() < 1e-10);
    assert!((r.w[(1, 0)] + 2.0).abs() < 1e-10);
    assert!((r.b[0] - 0.5).abs() < 1e-10);
    let p = r.predict(x.as_ref());
    assert!((0..50).all(|i| (p[(i, 0)] - y[(i, 0)]).abs() < 1e-9));
}

/// `fit_columns_in_place` (features as the columns of an `F × T` matrix, centred in place:
/// the experiments' call) fits the same readout as `fit` on the `T × F` matrix: weights and
/// intercepts within 1e-9 relative on 300 samples × 40 features with offset (non-centred)
/// features and 3 outputs; the columns are left centred (row means below 1e-12); the 3-point
/// closed form (w = 5/3, b = 1) holds to 1e-12; an empty feature set is an error.
#[test]
fn ridge_on_columns_in_place_matches_fit() {
    let mut x = gaussian(4, 0, 300, 40);
    for i in 0..300 {
        for j in 0..40 {
            x[(i, j)] += 0.1 * j as f64;
        }
    }
    let w = gaussian(4, 1, 40, 3);
    let y = &x * &w + gaussian(4, 2, 300, 3);
    let a = Ridge::fit(x.as_ref(), y.as_ref(), 0.5).unwrap();
    let mut xt = x.transpose().to_owned();
    let b = Ridge::fit_columns_in_place(xt.as_mut(), y.as_ref(), 0.5).unwrap();
    // Bit-identical, not merely close: an experiment fits on feature columns, a Python user
    // refits on the harvested `T × F` states, and both must report the same NRMSE.
    assert_eq!(a.w, b.w);
    assert_eq!(a.b, b.b);
    // The same rows in a row-major layout (the transposed view of feature columns, as an
    // experiment predicts) and in a column-major copy give the same bits.
    let rows = x.transpose().to_owned();
    assert_eq!(a.predict(x.as_ref()), a.predict(rows.transpose()));
    // One output (a matrix–vector product, where faer sums row-major and column-major
    // inputs in different orders).
    let one = Ridge::fit(x.as_ref(), y.subcols(0, 1), 0.5).unwrap();
    assert_eq!(one.predict(x.as_ref()), one.predict(rows.transpose()));
    let scale = a.w.norm_max();
    for i in 0..40 {
        for k in 0..3 {
            assert!(
                (a.w[(i, k)] - b.w[(i, k)]).abs() < 1e-9 * scale,
                "w[{i}, {k}]"
            );
        }
    }
    for k in 0..3 {
        assert!(
            (a.b[k] - b.b[k]).abs() < 1e-9 * (1.0 + a.b[k].abs()),
            "b[{k}]"
        );
    }
    for i in 0..40 {
        let m = (0..300).map(|s| xt[(i, s)]).sum::<f64>() / 300.0;
        assert!(m.abs() < 1e-12, "row {i} mean {m}");
    }
    let mut xt = Mat::from_fn(1, 3, |_, s| (s + 1) as f64);
    let y = Mat::from_fn(3, 1, |i, _| [2.0, 4.0, 7.0][i]);
    let r = Ridge::fit_columns_in_place(xt.as_mut(), y.as_ref(), 1.0).unwrap();
    assert!((r.w[(0, 0)] - 5.0 / 3.0).abs() < 1e-12 && (r.b[0] - 1.0).abs() < 1e-12);
    let mut empty = Mat::<f64>::zeros(0, 10);
    let y = Mat::<f64>::zeros(10, 1);
    let e = Ridge::fit_columns_in_place(empty.as_mut(), y.as_ref(), 1.0)
        .unwrap_err()
        .to_string();
    assert!(e.contains("readout: empty feature set"), "{e}");
}

/// An empty feature set is a clear error, not a panic.
#[test]
fn readout_on_empty_features_is_an_error() {
    let x = Mat::<f64>::zeros(10, 0);
    let y = Mat::<f64>::zeros(10, 1);
    let e = Ridge::fit(x.as_ref(), y.as_ref(), 1.0)
        .unwrap_err()
        .to_string();
    assert!(e.contains("readout: empty feature set"), "{e}");
    let e = ridge_cv(x.as_ref(), y.as_ref(), &[1.0], 2)
        .unwrap_err()
        .to_string();
    assert!(e.contains("empty feature set"), "{e}");
    assert!(Rls::new(0, 1, 1.0, 1.0).is_err());
}

/// Cross-validation picks the Bayes-optimal regularisation: with weights β ~ N(0, τ²I) and
/// noise N(0, σ²), the ridge estimator with the smallest expected error has α = σ²/τ²
/// (= 100 here, τ = 1, σ = 10). 2000 samples, 400 features, 5 folds; the grid is spaced by
/// factors of 10 and CV must pick exactly α = 100.
#[test]
fn cv_picks_the_optimal_alpha() {
    let (t, f, sigma) = (2000, 400, 10.0);
    let x = gaussian(3, 0, t, f);
    let beta = gaussian(3, 1, f, 1);
    let noise = gaussian(3, 2, t, 1);
    let y = &x * &beta + sigma * &noise;
    let grid = [1.0, 10.0, 100.0, 1000.0, 10000.0];
    let cv = ridge_cv(x.as_ref(), y.as_ref(), &grid, 5).unwrap();
    assert_eq!(cv.alpha, 100.0, "scores {:?}", cv.scores);
}

/// Binary softmax regression on a separable toy set (x = +1 → class 1, x = −1 → class 0,
/// ten copies each) with L2 penalty λ/2‖W‖²: by symmetry the optimum has w₁ = −w₀ = m/2 and
/// equal intercepts, with margin m solving −1/(1 + eᵐ) + λm/2 = 0 (bisection to 1e-14). Full
/// batch reaches m to 1e-6; mini-batch SGD (batch 4, 400 epochs) to 2 %; both classify every
/// point correctly.
#[test]
fn logistic_reaches_known_optimum() {
    let lambda = 0.1;
    let x = Mat::from_fn(20, 1, |i, _| if i % 2 == 0 { 1.0 } else { -1.0 });
    let labels: Vec<usize> = (0..20).map(|i| usize::from(i % 2 == 0)).collect();
    let (mut lo, mut hi) = (0.0f64, 100.0f64);
    for _ in 0..200 {
        let m = 0.5 * (lo + hi);
        if -1.0 / (1.0 + m.exp()) + lambda * m / 2.0 > 0.0 {
            hi = m;
        } else {
            lo = m;
        }
    }
    let m_star = 0.5 * (lo + hi);
    let full = Logistic::fit(
        x.as_ref(),
        &labels,
        2,
        lambda,
        Optimiser::FullBatch {
            tol: 1e-10,
            max_iter: 10000,
        },
    )
    .unwrap();
    let m = full.w[(0, 1)] - full.w[(0, 0)];
    assert!((m - m_star).abs() < 1e-6, "margin {m} vs {m_star}");
    assert!((full.w[(0, 1)] + full.w[(0, 0)]).abs() < 1e-6);
    assert!((full.b[0] - full.b[1]).abs() < 1e-6);
    assert_eq!(full.predict(x.as_ref()), labels);
    let mini = Logistic::fit(
        x.as_ref(),
        &labels,
        2,
        lambda,
        Optimiser::MiniBatch {
            batch: 4,
            epochs: 400,
            lr: 1.0,
            seed: 5,
        },
    )
    .unwrap();
    let m2 = mini.w[(0, 1)] - mini.w[(0, 0)];
    assert!(
        (m2 - m_star).abs() < 0.02 * m_star,
        "margin {m2} vs {m_star}"
    );
    assert_eq!(mini.predict(x.as_ref()), labels);
    // Deterministic: the same seed gives the same weights.
    let again = Logistic::fit(
        x.as_ref(),
        &labels,
        2,
        lambda,
        Optimiser::MiniBatch {
            batch: 4,
            epochs: 400,
            lr: 1.0,
            seed: 5,
        },
    )
    .unwrap();
    assert_eq!(mini.w, again.w);
}

/// Three Gaussian blobs far apart: multinomial full-batch regression separates them.
#[test]
fn logistic_three_classes() {
    let n = 90;
    let noise = gaussian(9, 0, n, 2);
    let centres = [(4.0, 0.0), (-4.0, 0.0), (0.0, 4.0)];
    let x = Mat::from_fn(n, 2, |i, j| {
        let c = centres[i % 3];
        (if j == 0 { c.0 } else { c.1 }) + 0.5 * noise[(i, j)]
    });
    let labels: Vec<usize> = (0..n).map(|i| i % 3).collect();
    let l = Logistic::fit(
        x.as_ref(),
        &labels,
        3,
        1e-3,
        Optimiser::FullBatch {
            tol: 1e-8,
            max_iter: 5000,
        },
    )
    .unwrap();
    assert_eq!(l.predict(x.as_ref()), labels);
}

/// RLS with forgetting 1 and P₀ = I/δ equals ridge `(XᵀX + δI)⁻¹XᵀY` (no intercept) after
/// the last sample, to 1e-8 relative.
#[test]
fn rls_converges_to_ridge() {
    let (t, f, k, delta) = (300, 10, 2, 0.5);
    let x = gaussian(4, 0, t, f);
    let y = &x * gaussian(4, 1, f, k) + 0.1 * gaussian(4, 2, t, k);
    let mut rls = Rls::new(f, k, delta, 1.0).unwrap();
    for i in 0..t {
        let xi: Vec<f64> = (0..f).map(|j| x[(i, j)]).collect();
        let yi: Vec<f64> = (0..k).map(|j| y[(i, j)]).collect();
        rls.update(&xi, &yi);
    }
    let mut g = x.transpose() * &x;
    for i in 0..f {
        g[(i, i)] += delta;
    }
    let w = g.llt(Side::Lower).unwrap().solve(x.transpose() * &y);
    let err = (&rls.w - &w).norm_l2() / w.norm_l2();
    assert!(err < 1e-8, "relative difference {err}");
}

/// The tiled Gram product (`gram_lower`, the fits' `XᵀX`) equals the naive sums to 1e-12
/// relative with an exactly zero strict upper triangle, and `xt_times` (`XᵀY`) likewise, for F
/// = 150 features (three column panels, the last partial) over 257 samples; both and the
/// threaded fit give the same bits on 1, 2, 3 and 8 threads, and the same as `Ridge::fit` on
/// the transposed view.
#[test]
fn ridge_threads_are_bit_identical() {
    use glia_reservoir::readout::{gram_lower, xt_times};
    let (f, t) = (150, 257);
    let x = gaussian(9, 0, t, f);
    let y = gaussian(9, 1, t, 4);
    let xt = x.transpose().to_owned();
    let g = gram_lower(xt.as_ref(), 1);
    let yt = xt_times(xt.as_ref(), y.as_ref(), 1);
    for i in 0..f {
        for j in 0..f {
            if j > i {
                assert_eq!(g[(i, j)], 0.0, "upper ({i}, {j})");
                continue;
            }
            let want: f64 = (0..t).map(|s| x[(s, i)] * x[(s, j)]).sum();
            assert!((g[(i, j)] - want).abs() < 1e-12 * t as f64, "g ({i}, {j})");
        }
        for k in 0..4 {
            let want: f64 = (0..t).map(|s| x[(s, i)] * y[(s, k)]).sum();
            assert!(
                (yt[(i, k)] - want).abs() < 1e-12 * t as f64,
                "xty ({i}, {k})"
            );
        }
    }
    let a = Ridge::fit(x.as_ref(), y.as_ref(), 0.3).unwrap();
    for threads in [1, 2, 3, 8] {
        assert_eq!(gram_lower(xt.as_ref(), threads), g, "{threads} threads");
        assert_eq!(xt_times(xt.as_ref(), y.as_ref(), threads), yt);
        let mut c = xt.clone();
        let b = Ridge::fit_columns_in_place_threads(c.as_mut(), y.as_ref(), 0.3, threads).unwrap();
        assert_eq!(a.w, b.w, "{threads} threads");
        assert_eq!(a.b, b.b, "{threads} threads");
    }
}
