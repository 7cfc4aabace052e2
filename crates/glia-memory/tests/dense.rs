//! Dense associative memory (Krotov & Hopfield 2016) and the supervised dense Hebbian network
//! (Agliari et al. 2022) on random (structureless) patterns, where their theory applies.

use glia_core::rng::{CounterRng, Purpose};
use glia_memory::dense::{DenseAm, DenseHebbian, Interaction};
use glia_memory::hopfield::random_patterns;

fn flip(p: &[i8], frac: f64, seed: u32) -> Vec<i8> {
    let mut r = CounterRng::new(3, Purpose::Other, 9, seed, 0);
    p.iter()
        .map(|&x| if r.uniform() < frac { -x } else { x })
        .collect()
}

fn overlap(a: &[i8], b: &[i8]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| f64::from(x * y))
        .sum::<f64>()
        / a.len() as f64
}

/// Load α = K/N = 2, far above the classical capacity 0.138: with P = 4 (capacity ~ N³) all 20
/// probed patterns are recalled exactly from cues with 10 % of bits flipped; the classical
/// P = 2 network loses them (mean final overlap < 0.5). The energy never increases.
#[test]
fn dense_memory_beats_classical_capacity() {
    let (n, k) = (100, 200);
    let pats = random_patterns(n, k, 11);
    let dense = DenseAm::new(n, &pats, Interaction::Polynomial(4)).unwrap();
    let classic = DenseAm::new(n, &pats, Interaction::Polynomial(2)).unwrap();
    let mut exact = 0;
    let mut classic_overlap = 0.0;
    for (mu, pat) in pats.iter().enumerate().take(20) {
        let cue = flip(pat, 0.1, mu as u32);
        let mut s = cue.clone();
        let e0 = dense.energy(&s).unwrap();
        dense.recall(&mut s, 50, mu as u64).unwrap();
        assert!(dense.energy(&s).unwrap() <= e0);
        exact += usize::from(s == *pat);
        let mut s = cue;
        classic.recall(&mut s, 50, mu as u64).unwrap();
        classic_overlap += overlap(&s, pat) / 20.0;
    }
    assert_eq!(exact, 20);
    assert!(classic_overlap < 0.5, "classical overlap {classic_overlap}");
}

/// Examples η = χ ξ with r = 0.3 (each example overlaps its archetype by about 0.3). With
/// M = 100 examples per class and P = 4, zero-temperature dynamics started from a fresh example
/// reach the archetype (Mattis overlap with ξ > 0.95, for each of the 5 classes) although the
/// network never saw ξ; with M = 2 they cannot (overlap < 0.8): the learning threshold in M.
/// At a high temperature (T = 50 in units of the cost) the state stays disordered (|overlap|
/// < 0.3) and the classification by largest Mattis overlap still works at T = 0.
#[test]
fn supervised_network_learns_archetypes_from_examples() {
    let (n, k, r) = (300, 5, 0.3);
    let arch = random_patterns(n, k, 21);
    let make = |m: usize| -> Vec<Vec<Vec<i8>>> {
        (0..k)
            .map(|mu| {
                (0..m)
                    .map(|a| flip(&arch[mu], (1.0 - r) / 2.0, (1000 * mu + a) as u32))
                    .collect()
            })
            .collect()
    };
    let net = DenseHebbian::from_examples(&make(100), r, 4).unwrap();
    let weak = DenseHebbian::from_examples(&make(2), r, 4).unwrap();
    for (mu, xi) in arch.iter().enumerate() {
        let probe = flip(xi, (1.0 - r) / 2.0, 77_000 + mu as u32);
        assert!(overlap(&probe, xi) < 0.45);
        let mut s = probe.clone();
        net.glauber(&mut s, 30, 0.0, 5, mu as u32).unwrap();
        let m = overlap(&s, xi);
        assert!(m > 0.95, "class {mu}: overlap {m}");
        assert_eq!(net.classify(&s).unwrap(), mu);
        let mut s = probe.clone();
        weak.glauber(&mut s, 30, 0.0, 5, mu as u32).unwrap();
        let m = overlap(&s, xi);
        assert!(m < 0.8, "M = 2, class {mu}: overlap {m}");
        let mut s = probe;
        net.glauber(&mut s, 30, 50.0, 5, mu as u32).unwrap();
        let m = overlap(&s, xi);
        assert!(m.abs() < 0.3, "T = 50, class {mu}: overlap {m}");
    }
}

/// Glauber dynamics at T = 0 never increase the cost; same seed, same trajectory.
#[test]
fn glauber_descent_and_determinism() {
    let pats = random_patterns(80, 3, 1);
    let ex: Vec<Vec<Vec<i8>>> = pats
        .iter()
        .map(|p| vec![p.clone(), flip(p, 0.2, 1)])
        .collect();
    let net = DenseHebbian::from_examples(&ex, 0.6, 6).unwrap();
    let mut s = flip(&pats[0], 0.4, 2);
    let mut h = net.cost(&s).unwrap();
    for sweep in 0..5 {
        net.glauber(&mut s, 1, 0.0, 3, sweep).unwrap();
        let h2 = net.cost(&s).unwrap();
        assert!(h2 <= h + 1e-9, "{h} -> {h2}");
        h = h2;
    }
    let run = || {
        let mut s = flip(&pats[1], 0.4, 3);
        net.glauber(&mut s, 10, 0.5, 8, 1).unwrap();
        s
    };
    assert_eq!(run(), run());
}

/// Bad parameters are errors naming them.
#[test]
fn bad_input() {
    let pats = random_patterns(10, 2, 1);
    assert!(DenseAm::new(10, &pats, Interaction::Polynomial(0)).is_err());
    assert!(DenseAm::new(10, &[], Interaction::Polynomial(2)).is_err());
    assert!(DenseAm::new(11, &pats, Interaction::Polynomial(2)).is_err());
    let ex = vec![pats.clone()];
    let e = DenseHebbian::from_examples(&ex, 0.0, 4).unwrap_err();
    assert!(e.to_string().starts_with("r:"), "{e}");
    let e = DenseHebbian::from_examples(&ex, 0.5, 1).unwrap_err();
    assert!(e.to_string().starts_with("P:"), "{e}");
    let net = DenseHebbian::from_examples(&ex, 0.5, 4).unwrap();
    let mut s = pats[0].clone();
    assert!(net.glauber(&mut s, 1, -1.0, 0, 0).is_err());
    assert!(net.glauber(&mut s[..5], 1, 0.0, 0, 0).is_err());
}
