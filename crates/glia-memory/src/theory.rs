//! The combinatorics of sparse distributed representations and dendritic segments
//! (Ahmad & Hawkins 2016, "How do neurons operate on sparse distributed representations? A
//! mathematical theory of sparsity, neurons and active dendrites", arXiv 1601.00720).
//!
//! A population of `n` cells has `a` active cells; a dendritic segment has `s` synapses onto
//! distinct cells and fires (an NMDA spike) when at least `θ` of them are active.
//!
//! - False match of a random pattern (eq. 3 of the paper):
//!   `P_fm(n, a, s, θ) = Σ_{b=θ}^{s} C(s, b) C(n − s, a − b) / C(n, a)`.
//! - Union of `M` patterns stored on one segment: the expected number of distinct synapses is
//!   `s_M = n (1 − (1 − s/n)^M)`, and the false-positive rate is `P_fm(n, a, round(s_M), θ)`
//!   (the published numbers round `s_M`, as numenta/htmresearch `sdr_paper_unions.py` does).
//! - Matching any of `M` independently stored patterns: `1 − (1 − P_fm)^M` (≈ `M · P_fm`).
//! - Noise: a segment of `s` synapses sampled from a stored pattern of `a` active cells; the
//!   input is the pattern with `v` of its active cells replaced by other cells. The number `k`
//!   of the segment's cells that were removed is hypergeometric,
//!   `P(k) = C(s, k) C(a − s, v − k) / C(a, v)`, and the segment misses the pattern when
//!   `s − k < θ`: `P_fn(a, s, θ, v) = Σ_{k > s − θ} P(k)`.
//!
//! Every probability is a sum of positive terms, each evaluated as `exp(ln C + ln C − ln C)` with
//! `ln k!` from an exact table (k ≤ 1024) or the Stirling series with four correction terms
//! (relative error below 1e-16 there), and summed with log-sum-exp: nothing overflows and
//! nothing cancels. The price of log space is the rounding of `ln C(n, a)` itself (about
//! `1e-16 · n ln n`): relative error about 1e-12 at n = 4000 and 1e-10 at n = 10⁵; probabilities
//! are clamped to at most 1. The `ln_*` variants return the natural logarithm, for
//! probabilities below the smallest `f64`.

use crate::error::{MemoryError, Result};
use crate::sdr::Sdr;
use std::sync::OnceLock;

const TABLE: usize = 1025;

fn table() -> &'static [f64; TABLE] {
    static T: OnceLock<Box<[f64; TABLE]>> = OnceLock::new();
    T.get_or_init(|| {
        let mut t = Box::new([0.0; TABLE]);
        for k in 2..TABLE {
            t[k] = t[k - 1] + (k as f64).ln();
        }
        t
    })
}

/// `ln k!`.
pub fn ln_factorial(k: u64) -> f64 {
    if (k as usize) < TABLE {
        return table()[k as usize];
    }
    // Stirling: ln k! = k ln k − k + ½ ln(2πk) + 1/(12k) − 1/(360k³) + 1/(1260k⁵) − 1/(1680k⁷).
    let x = k as f64;
    let x2 = x * x;
    let series = (1.0 / 12.0 - (1.0 / 360.0 - (1.0 / 1260.0 - 1.0 / (1680.0 * x2)) / x2) / x2) / x;
    x * x.ln() - x + 0.5 * (std::f64::consts::TAU * x).ln() + series
}

/// `ln C(n, k)`; `−∞` when `k > n`.
pub fn ln_binomial(n: u64, k: u64) -> f64 {
    if k > n {
        return f64::NEG_INFINITY;
    }
    ln_factorial(n) - ln_factorial(k) - ln_factorial(n - k)
}

/// `ln Σ exp(x)` over the iterator (`−∞` when empty).
fn log_sum_exp(xs: impl Iterator<Item = f64> + Clone) -> f64 {
    let m = xs.clone().fold(f64::NEG_INFINITY, f64::max);
    if m == f64::NEG_INFINITY {
        return m;
    }
    m + xs.map(|x| (x - m).exp()).sum::<f64>().ln()
}

/// `1 ≤ v ≤ max`, or an error naming `name` (`why_max` says which bound).
fn in_range(name: &'static str, v: u64, max: u64, why_max: &'static str) -> Result<()> {
    if v == 0 {
        return Err(MemoryError::param(name, "must be > 0", v));
    }
    if v > max {
        return Err(MemoryError::param(name, why_max, format!("{v} > {max}")));
    }
    Ok(())
}

fn check_nas(n: u64, a: u64, s: u64, theta: u64) -> Result<()> {
    in_range("n", n, u64::MAX, "")?;
    in_range("a", a, n, "must be <= n")?;
    in_range("s", s, n, "must be <= n")?;
    in_range("theta", theta, s, "must be <= s")
}

/// `ln P_fm(n, a, s, θ)`; see the module docs.
///
/// Errors: `n`, `a`, `s` or `θ` zero; `a > n`; `s > n`; `θ > s`.
pub fn ln_p_false_match(n: u64, a: u64, s: u64, theta: u64) -> Result<f64> {
    check_nas(n, a, s, theta)?;
    let lo = theta.max((a + s).saturating_sub(n));
    let hi = s.min(a);
    let den = ln_binomial(n, a);
    Ok(log_sum_exp((lo..=hi).map(move |b| {
        ln_binomial(s, b) + ln_binomial(n - s, a - b) - den
    })))
}

/// `P_fm(n, a, s, θ)`: probability that a random pattern of `a` active cells out of `n`
/// activates at least `θ` of a segment's `s` synapses.
pub fn p_false_match(n: u64, a: u64, s: u64, theta: u64) -> Result<f64> {
    ln_p_false_match(n, a, s, theta).map(|l| l.exp().min(1.0))
}

/// Expected number of distinct synapses after storing `m` random patterns of `s` synapses each
/// on one segment of a population of `n` cells: `n (1 − (1 − s/n)^m)`.
pub fn union_size(n: u64, s: u64, m: u64) -> Result<f64> {
    if n == 0 {
        return Err(MemoryError::param("n", "must be > 0", n));
    }
    if s > n {
        return Err(MemoryError::param(
            "s",
            "must be <= n",
            format!("{s} > {n}"),
        ));
    }
    let (n, s, m) = (n as f64, s as f64, m as f64);
    Ok(-n * (m * (-s / n).ln_1p()).exp_m1())
}

/// False-positive rate of a segment holding the union of `m` patterns of `s` synapses:
/// `P_fm(n, a, round(union_size(n, s, m)), θ)`. `θ` is checked against `s` (the synapses of
/// one pattern), not against the union.
pub fn p_false_match_union(n: u64, a: u64, s: u64, theta: u64, m: u64) -> Result<f64> {
    check_nas(n, a, s, theta)?;
    if m == 0 {
        return Err(MemoryError::param("m", "must be > 0", m));
    }
    let su = union_size(n, s, m)?.round() as u64;
    p_false_match(n, a, su.clamp(s, n), theta)
}

/// Probability that a random pattern falsely matches at least one of `m` segments, each storing
/// an independent random pattern: `1 − (1 − P_fm)^m`, computed as `−expm1(m ln1p(−P_fm))`.
pub fn p_match_any(n: u64, a: u64, s: u64, theta: u64, m: u64) -> Result<f64> {
    let p = p_false_match(n, a, s, theta)?;
    Ok(-((m as f64) * (-p).ln_1p()).exp_m1())
}

fn check_noise(a: u64, s: u64, theta: u64, v: u64) -> Result<()> {
    in_range("a", a, u64::MAX, "")?;
    in_range("s", s, a, "must be <= a")?;
    in_range("theta", theta, s, "must be <= s")?;
    if v > a {
        return Err(MemoryError::param(
            "v",
            "must be <= a",
            format!("{v} > {a}"),
        ));
    }
    Ok(())
}

/// `ln P_fn(a, s, θ, v)`: the log-probability that a segment of `s` synapses subsampled from a
/// pattern of `a` active cells fails to recognise it when `v` of the `a` cells are replaced by
/// other cells (see the module docs). `−∞` when failure is impossible (`v ≤ s − θ`).
///
/// Errors: zero `a`, `s` or `θ`; `s > a`; `θ > s`; `v > a`.
pub fn ln_p_false_negative(a: u64, s: u64, theta: u64, v: u64) -> Result<f64> {
    check_noise(a, s, theta, v)?;
    let lo = (s - theta + 1).max((v + s).saturating_sub(a));
    let hi = s.min(v);
    let den = ln_binomial(a, v);
    Ok(log_sum_exp((lo..=hi).map(move |k| {
        ln_binomial(s, k) + ln_binomial(a - s, v - k) - den
    })))
}

/// `P_fn(a, s, θ, v)`; see [`ln_p_false_negative`].
pub fn p_false_negative(a: u64, s: u64, theta: u64, v: u64) -> Result<f64> {
    ln_p_false_negative(a, s, theta, v).map(|l| l.exp().min(1.0))
}

/// `1 − P_fn(a, s, θ, v)`, summed directly over the matching terms (no cancellation).
pub fn p_match_with_noise(a: u64, s: u64, theta: u64, v: u64) -> Result<f64> {
    check_noise(a, s, theta, v)?;
    let lo = (v + s).saturating_sub(a);
    let hi = s.min(v).min(s - theta);
    if lo > hi {
        return Ok(0.0);
    }
    let den = ln_binomial(a, v);
    Ok(
        log_sum_exp((lo..=hi).map(move |k| ln_binomial(s, k) + ln_binomial(a - s, v - k) - den))
            .exp()
            .min(1.0),
    )
}

/// Monte-Carlo estimate of [`p_match_any`] with [`Sdr`]s: `sets` independent sets of `m` random
/// stored patterns (`a` of `n` bits each, the segment holds all `a`) are each tested against
/// `tests_per_set` random patterns; a test counts as a false match when any stored pattern
/// overlaps it in at least `θ` bits. Returns `(false matches, tests)`.
///
/// Sets run in parallel (rayon); set `k` draws from the stream `(seed, Memory, 0xF0, k)`, so the
/// count is the same for any number of threads.
pub fn monte_carlo_match_any(
    n: u32,
    a: u32,
    theta: u32,
    m: u32,
    sets: u32,
    tests_per_set: u32,
    seed: u64,
) -> Result<(u64, u64)> {
    use glia_core::rng::{CounterRng, Purpose};
    use rayon::prelude::*;
    check_nas(n.into(), a.into(), a.into(), theta.into())?;
    if m == 0 {
        return Err(MemoryError::param("m", "must be > 0", m));
    }
    let hits: u64 = (0..sets)
        .into_par_iter()
        .map(|k| {
            let mut rng = CounterRng::new(seed, Purpose::Memory, 0xF0, k, 0);
            let stored: Vec<Sdr> = (0..m)
                .map(|_| Sdr::random(n, a, &mut rng).expect("checked"))
                .collect();
            let mut hits = 0u64;
            for _ in 0..tests_per_set {
                let x = Sdr::random(n, a, &mut rng).expect("checked");
                let th = theta as usize;
                hits += u64::from(stored.iter().any(|p| p.overlap(&x) >= th));
            }
            hits
        })
        .sum();
    Ok((hits, u64::from(sets) * u64::from(tests_per_set)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `ln k!` across the table/Stirling boundary against a direct sum: relative error < 1e-14.
    #[test]
    fn ln_factorial_is_continuous() {
        let mut direct = table()[TABLE - 1];
        for k in TABLE as u64..5000 {
            direct += (k as f64).ln();
            let rel = (ln_factorial(k) - direct).abs() / direct;
            assert!(rel < 1e-14, "k={k} rel={rel}");
        }
    }

    /// Small cases against exact integer arithmetic (u128): relative error < 1e-12.
    #[test]
    fn exact_small_cases() {
        fn c(n: u128, k: u128) -> u128 {
            if k > n {
                return 0;
            }
            (0..k).fold(1u128, |acc, i| acc * (n - i) / (i + 1))
        }
        for &(n, a, s, th) in &[
            (100u64, 7u64, 7u64, 5u64),
            (60, 10, 12, 3),
            (40, 20, 30, 25),
        ] {
            let num: u128 = (th..=s)
                .map(|b| {
                    c(s.into(), b.into())
                        * c((n - s).into(), (a.saturating_sub(b)).into())
                        * u128::from(a >= b)
                })
                .sum();
            let want = num as f64 / c(n.into(), a.into()) as f64;
            let got = p_false_match(n, a, s, th).unwrap();
            assert!(
                (got - want).abs() <= 1e-12 * want,
                "{n} {a} {s} {th}: {got} vs {want}"
            );
        }
    }
}
