//! Spectral radius of a (sparse, non-symmetric) connection matrix, and rescaling to a target
//! radius — the standard preparation of an echo-state reservoir's recurrent weights.
//!
//! **Method.** Power iteration `v ← M v / ‖M v‖` from a fixed pseudo-random start, in f64.
//! After `k` iterations `log ‖Mᵏ v₀‖ = k log ρ + O(1)`, also when the dominant eigenvalues are
//! a complex pair or several of equal modulus (then `‖M v‖` oscillates but its product over a
//! window telescopes), so the growth over iterations `K..2K`,
//! `ρ̂ = (‖M^{2K} v₀‖ / ‖M^K v₀‖)^{1/K}`, converges to the spectral radius `ρ` with an error
//! of order `1/K` from the bounded term, plus `(|λ₂|/ρ)^K` from the rest of the spectrum. `K`
//! doubles from 64 until two successive estimates agree to `tol` (relative), up to `max_iter`
//! iterations.

use crate::csr::Csr;

/// Result of [`spectral_radius`].
#[derive(Clone, Copy, Debug)]
pub struct Radius {
    /// Estimate of the spectral radius.
    pub rho: f64,
    /// Relative change between the last two estimates (convergence indicator).
    pub change: f64,
    /// Matrix-vector products used.
    pub iterations: usize,
}

/// `y = M x` for the square matrix with `M[t][s] = w` for each synapse `s → t`.
fn matvec(n: usize, csr: &Csr, x: &[f64], y: &mut [f64]) {
    y.fill(0.0);
    for (s, &xs) in x.iter().enumerate().take(n) {
        if xs == 0.0 {
            continue;
        }
        let (a, b) = (csr.row_ptr[s] as usize, csr.row_ptr[s + 1] as usize);
        for q in a..b {
            y[csr.target(q) as usize] += f64::from(csr.weights.at(q)) * xs;
        }
    }
}

/// Spectral radius of the `n × n` matrix of a recurrent projection (see the module docs), to
/// relative tolerance `tol` within `max_iter` matrix-vector products. A matrix with no cycles
/// (nilpotent) gives `ρ = 0`.
pub fn spectral_radius(n: usize, csr: &Csr, tol: f64, max_iter: usize) -> Radius {
    let mut v: Vec<f64> = (0..n)
        .map(|i| {
            let mut r =
                glia_core::CounterRng::new(0x5eed, glia_core::Purpose::Other, 7, i as u32, 0);
            r.uniform() - 0.5
        })
        .collect();
    let norm = |x: &[f64]| x.iter().map(|a| a * a).sum::<f64>().sqrt();
    let n0 = norm(&v);
    v.iter_mut().for_each(|a| *a /= n0);
    let mut y = vec![0.0; n];
    // log ‖Mᵏ v₀‖ after k products.
    let mut log_norms = vec![0.0f64];
    let step = |v: &mut Vec<f64>, y: &mut Vec<f64>, logs: &mut Vec<f64>| -> bool {
        matvec(n, csr, v, y);
        let ny = norm(y);
        if ny == 0.0 || !ny.is_finite() {
            return false;
        }
        y.iter_mut().for_each(|a| *a /= ny);
        std::mem::swap(v, y);
        let last = *logs.last().expect("non-empty");
        logs.push(last + ny.ln());
        true
    };
    let mut k = 32;
    let mut prev: Option<f64> = None;
    loop {
        while log_norms.len() <= 2 * k {
            if !step(&mut v, &mut y, &mut log_norms) {
                return Radius {
                    rho: 0.0,
                    change: 0.0,
                    iterations: log_norms.len(),
                };
            }
        }
        let est = ((log_norms[2 * k] - log_norms[k]) / k as f64).exp();
        if let Some(p) = prev {
            let change = ((est - p) / est).abs();
            if change < tol || 4 * k > max_iter {
                return Radius {
                    rho: est,
                    change,
                    iterations: log_norms.len() - 1,
                };
            }
        }
        prev = Some(est);
        k *= 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csr::{Delays, Edge};
    use glia_core::{CounterRng, Purpose};

    /// A block upper-triangular matrix (so non-normal) whose diagonal blocks are scaled
    /// rotations `r_k R(θ_k)` (complex pairs `r_k e^{±iθ_k}`) and real entries, permuted by a
    /// random permutation (a similarity, so the spectrum is unchanged): ρ = max r_k exactly.
    fn known(n_blocks: usize, radii: &[f64], seed: u64) -> (usize, Csr) {
        let n = 2 * n_blocks;
        let mut rng = CounterRng::new(seed, Purpose::Other, 1, 0, 0);
        let mut perm: Vec<u32> = (0..n as u32).collect();
        for i in (1..n).rev() {
            let j = rng.below(i as u64 + 1) as usize;
            perm.swap(i, j);
        }
        let mut edges = Vec::new();
        let mut push = |t: usize, s: usize, w: f64| {
            edges.push(Edge {
                source: perm[s],
                target: perm[t],
                weight: w as f32,
                delay: 1,
            })
        };
        for b in 0..n_blocks {
            let r = radii[b % radii.len()];
            let th = 0.3 + 2.0 * b as f64 / n_blocks as f64;
            let (i, j) = (2 * b, 2 * b + 1);
            if b % 3 == 2 {
                // Two real eigenvalues r and −r/2.
                push(i, i, r);
                push(j, j, -r / 2.0);
            } else {
                push(i, i, r * th.cos());
                push(i, j, -r * th.sin());
                push(j, i, r * th.sin());
                push(j, j, r * th.cos());
            }
            // Strictly upper block entries: non-normal, same spectrum.
            for c in (b + 1)..n_blocks.min(b + 4) {
                push(i, 2 * c + 1, rng.uniform() - 0.5);
            }
        }
        let mut csr = Csr::from_edges(n, &edges);
        csr.delays = Delays::Const(1);
        (n, csr)
    }

    /// Exact spectral radius within 1e-3 relative, for a dominant complex pair, a dominant
    /// real eigenvalue, and several dominant eigenvalues of equal modulus.
    #[test]
    fn power_iteration_finds_known_radii() {
        for (radii, want) in [
            (vec![0.9, 0.5, 0.7], 0.9),
            (vec![0.4, 0.3, 1.7], 1.7),
            (vec![1.2, 1.2, 1.2], 1.2),
        ] {
            let (n, csr) = known(60, &radii, 9);
            let r = spectral_radius(n, &csr, 1e-5, 1 << 16);
            assert!(
                (r.rho - want).abs() < 1e-3 * want,
                "radii {radii:?}: {r:?}, want {want}"
            );
        }
    }

    /// A matrix without cycles has radius 0.
    #[test]
    fn nilpotent_has_radius_zero() {
        let edges: Vec<Edge> = (0..9)
            .map(|i| Edge {
                source: i,
                target: i + 1,
                weight: 1.0,
                delay: 1,
            })
            .collect();
        let csr = Csr::from_edges(10, &edges);
        assert_eq!(spectral_radius(10, &csr, 1e-6, 1000).rho, 0.0);
    }
}
