//! The SDR theory module against the published values of Ahmad & Hawkins (2016) and against
//! Monte-Carlo simulation with glia's `Sdr` type.

use glia_memory::MemoryError;
use glia_memory::theory::*;

/// n = 4000, a = 128, s = 24, θ = 12: "slightly above 1e-12" in the paper; scipy's
/// hypergeometric survival function (`hypergeom(4000, 24, 128).sf(11)`) gives
/// 1.3432393647255404e-12 (`python3 validation/sdr_theory_reference.py` prints it and the union
/// table): agreement to a relative 1e-10.
#[test]
fn false_match_published_value() {
    let p = p_false_match(4000, 128, 24, 12).unwrap();
    assert!(p > 1e-12 && p < 2e-12, "P_fm = {p:e}");
    let scipy = 1.3432393647255404e-12;
    assert!((p - scipy).abs() < 1e-10 * scipy, "P_fm = {p:e}");
}

/// The union table (a = 200, s = 25, θ = 15) to two significant digits.
#[test]
fn union_table_two_digits() {
    let table = [
        (1000u64, 2u64, 4.7e-2),
        (1000, 3, 0.50),
        (10_000, 10, 1.3e-4),
        (10_000, 19, 4.5e-2),
        (20_000, 19, 8.1e-5),
    ];
    for (n, m, want) in table {
        let got = p_false_match_union(n, 200, 25, 15, m).unwrap();
        let two = format!("{got:.1e}");
        assert_eq!(
            two.parse::<f64>().unwrap(),
            want,
            "n={n} M={m}: {got:e} rounds to {two}, published {want:e}"
        );
    }
}

/// n up to 10⁵ (and beyond) without overflow, NaN or loss: finite logarithms far below the f64
/// range, P_fm decreasing in n at a fixed number of active cells, and a certain match equal to
/// 1 within 1e-9 (the rounding of ln C(10⁵, 5·10⁴) in log space).
#[test]
fn large_n_is_finite_and_monotone() {
    let mut last = 0.0f64;
    for n in [1_000u64, 10_000, 100_000, 1_000_000] {
        let lp = ln_p_false_match(n, 64, 32, 16).unwrap();
        assert!(lp.is_finite() && lp < 0.0, "n={n}: {lp}");
        if n > 1000 {
            assert!(
                lp < last,
                "P_fm must fall with n at a fixed number of active cells"
            );
        }
        last = lp;
    }
    let tiny = ln_p_false_match(100_000, 2000, 300, 300).unwrap();
    assert!(tiny.is_finite() && tiny < -1000.0, "{tiny}");
    let p = p_false_match(100_000, 50_000, 1000, 1).unwrap();
    assert!((p - 1.0).abs() < 1e-9, "{p}");
}

/// Noise: with v ≤ s − θ a segment cannot fail; P_fn + P_match = 1 to 1e-12; P_fn grows with v
/// (to 1e-12).
#[test]
fn noise_formulas() {
    assert_eq!(p_false_negative(64, 24, 12, 12).unwrap(), 0.0);
    let mut last = 0.0;
    for v in 13..=64 {
        let f = p_false_negative(64, 24, 12, v).unwrap();
        let m = p_match_with_noise(64, 24, 12, v).unwrap();
        assert!((f + m - 1.0).abs() < 1e-12, "v={v}: {f} + {m}");
        assert!(f >= last - 1e-12, "v={v}: {f} < {last}");
        last = f;
    }
    assert!((last - 1.0).abs() < 1e-12);
}

/// Noise formula against simulation with `Sdr::add_noise` and `Sdr::subsample`: a = 40,
/// s = 20, θ = 10, v = 24, 20 000 trials, within 4 standard errors.
#[test]
fn noise_monte_carlo() {
    use glia_core::rng::{CounterRng, Purpose};
    use glia_memory::Sdr;
    let (n, a, s, th, v) = (1000u32, 40u32, 20usize, 10usize, 24usize);
    let trials = 20_000u32;
    let mut fails = 0u32;
    for t in 0..trials {
        let mut rng = CounterRng::new(5, Purpose::Memory, 1, t, 0);
        let x = Sdr::random(n, a, &mut rng).unwrap();
        let seg = x.subsample(s, &mut rng).unwrap();
        let y = x.add_noise(v, &mut rng).unwrap();
        fails += u32::from(seg.overlap(&y) < th);
    }
    let p = p_false_negative(a.into(), s as u64, th as u64, v as u64).unwrap();
    let sim = f64::from(fails) / f64::from(trials);
    let se = (p * (1.0 - p) / f64::from(trials)).sqrt();
    assert!(
        (sim - p).abs() < 4.0 * se,
        "sim {sim} vs formula {p} (se {se})"
    );
}

/// n = 100, M = 500, w = 7, θ = 5: the paper's formula value 0.002826 (= M·P_fm; the exact
/// 1 − (1 − P_fm)^M is 0.0028225) against simulated trials with `Sdr`s, within 3 standard
/// errors. The test runs 2·10⁵ trials (standard error 1.2e-4) to stay fast; the `sdr_theory`
/// example runs 10⁶ (standard error 5.3e-5; seeds 1, 2, 3 give 0.31, 0.50, 0.61 standard errors).
#[test]
fn monte_carlo_union_of_500() {
    let pfm = p_false_match(100, 7, 7, 5).unwrap();
    assert!(
        (500.0 * pfm - 0.002826).abs() < 5e-7,
        "M*P_fm = {}",
        500.0 * pfm
    );
    let p = p_match_any(100, 7, 7, 5, 500).unwrap();
    let (hits, trials) = monte_carlo_match_any(100, 7, 5, 500, 800, 250, 1).unwrap();
    let sim = hits as f64 / trials as f64;
    let se = (p * (1.0 - p) / trials as f64).sqrt();
    assert!((sim - p).abs() < 3.0 * se, "sim {sim} vs {p} (se {se})");
}

/// θ > s, a > n and zeros give errors naming the parameter.
#[test]
fn bad_parameters() {
    let e = p_false_match(100, 10, 5, 6).unwrap_err();
    assert!(e.to_string().starts_with("theta: must be <= s"), "{e}");
    let e = p_false_match(100, 101, 5, 3).unwrap_err();
    assert!(matches!(e, MemoryError::Param { name: "a", .. }), "{e}");
    assert!(p_false_match(0, 0, 0, 0).is_err());
    assert!(p_false_negative(10, 11, 5, 1).is_err());
    assert!(p_false_match_union(100, 10, 5, 3, 0).is_err());
}

/// The Monte-Carlo count is the same with 1 and 2 threads.
#[test]
fn monte_carlo_is_thread_independent() {
    let run = |threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| monte_carlo_match_any(100, 7, 5, 50, 40, 50, 3).unwrap())
    };
    assert_eq!(run(1), run(2));
}
