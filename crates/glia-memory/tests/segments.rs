//! Dendritic segments against the SDR theory: a cell whose segments store subsamples of M
//! patterns, evaluated through `Connections::compute_activity`, has the false-positive rate
//! `1 − (1 − P_fm)^M` and the noise tolerance `1 − P_fn` of the formulas.

use glia_core::rng::{CounterRng, Purpose};
use glia_memory::Sdr;
use glia_memory::segments::Connections;
use glia_memory::theory::{p_false_negative, p_match_any};

const N: u32 = 200;
const A: u32 = 20;
const S: usize = 10;
const THETA: u16 = 3;
const M: u32 = 20;

/// One cell (cell 0 of N presynaptic cells) with M segments; segment μ holds S connected
/// synapses subsampled from the stored pattern μ.
fn build() -> (Connections, Vec<Sdr>) {
    let mut c = Connections::new(N, 0.5).unwrap();
    let mut rng = CounterRng::new(2, Purpose::Other, 3, 0, 0);
    let stored: Vec<Sdr> = (0..M)
        .map(|_| Sdr::random(N, A, &mut rng).unwrap())
        .collect();
    for p in &stored {
        let seg = c.create_segment(0, 0).unwrap();
        for &i in p.subsample(S, &mut rng).unwrap().indices() {
            c.create_synapse(seg, i, 0.8).unwrap();
        }
    }
    (c, stored)
}

fn predicted(c: &Connections, x: &Sdr, act: &mut Vec<u16>, pot: &mut Vec<u16>) -> bool {
    c.compute_activity(x.indices(), act, pot).unwrap();
    act.iter().any(|&k| k >= THETA)
}

/// Random patterns (a = 20 of n = 200) predict the cell with probability
/// 1 − (1 − P_fm(200, 20, 10, 3))^20: 20 000 trials within 4 standard errors.
#[test]
fn false_positive_rate_matches_theory() {
    let (c, _) = build();
    let (mut act, mut pot) = (Vec::new(), Vec::new());
    let trials = 20_000u32;
    let mut hits = 0;
    for t in 0..trials {
        let x = Sdr::random(N, A, &mut CounterRng::new(4, Purpose::Other, 5, t, 0)).unwrap();
        hits += u32::from(predicted(&c, &x, &mut act, &mut pot));
    }
    let p = p_match_any(N.into(), A.into(), S as u64, THETA.into(), M.into()).unwrap();
    let sim = f64::from(hits) / f64::from(trials);
    let se = (p * (1.0 - p) / f64::from(trials)).sqrt();
    assert!(
        (sim - p).abs() < 4.0 * se,
        "sim {sim} vs theory {p} (se {se})"
    );
}

/// A stored pattern with v = 16 of its 20 cells replaced still predicts the cell through its own
/// segment with probability 1 − P_fn(20, 10, 3, 16) (other segments can add false positives, so
/// only the pattern's own segment is counted): 5000 trials within 4 standard errors.
#[test]
fn noise_tolerance_matches_theory() {
    let (c, stored) = build();
    let (mut act, mut pot) = (Vec::new(), Vec::new());
    let trials = 5000u32;
    let v = 16;
    let mut hits = 0;
    for t in 0..trials {
        let mu = (t % M) as usize;
        let mut rng = CounterRng::new(6, Purpose::Other, 7, t, 0);
        let x = stored[mu].add_noise(v, &mut rng).unwrap();
        c.compute_activity(x.indices(), &mut act, &mut pot).unwrap();
        let own = c.segments_of(0)[mu] as usize;
        hits += u32::from(act[own] >= THETA);
    }
    let p = 1.0 - p_false_negative(A.into(), S as u64, THETA.into(), v as u64).unwrap();
    let sim = f64::from(hits) / f64::from(trials);
    let se = (p * (1.0 - p) / f64::from(trials)).sqrt();
    assert!(
        (sim - p).abs() < 4.0 * se,
        "sim {sim} vs theory {p} (se {se})"
    );
}

/// A single dendritic neuron learns M = 30 patterns (a = 40 of n = 1000) one at a time with the
/// segment rule: reinforce and grow the best matching segment, or grow a new segment of
/// s = 20 synapses (initial permanence 0.21, connected at 0.5, +0.1 per presentation). After
/// four presentations every stored pattern predicts the neuron (θ = 12 connected synapses), and
/// the fraction of 2000 random patterns that does stays below the theory's
/// 1 − (1 − P_fm(1000, 40, 20, 12))^30 plus 0.001 (P_fm ≈ 3e-13: none in practice). Once
/// learned, noisy versions with 10 of 40 cells replaced still predict it in 300 trials
/// (theory: 1 − P_fn(40, 20, 12, 10) = 0.9958, i.e. about 1.3 misses expected; ≥ 295 asserted).
#[test]
fn dendritic_neuron_learns_patterns() {
    let (n, a, s, theta, min) = (1000u32, 40u32, 20usize, 12u16, 8u16);
    let mut c = Connections::new(n + 1, 0.5).unwrap();
    let cell = n; // the neuron; cells 0..n are its inputs
    let mut rng = CounterRng::new(8, Purpose::Other, 11, 0, 0);
    let pats: Vec<Sdr> = (0..30)
        .map(|_| Sdr::random(n, a, &mut rng).unwrap())
        .collect();
    let (mut act, mut pot) = (Vec::new(), Vec::new());
    for _pass in 0..4 {
        for p in &pats {
            c.compute_activity(p.indices(), &mut act, &mut pot).unwrap();
            match c.best_matching_segment(cell, &pot, min) {
                Some(seg) => {
                    c.adapt_segment(seg, p.indices(), 0.1, 0.1).unwrap();
                }
                None => {
                    let seg = c.create_segment(cell, 0).unwrap();
                    c.grow_synapses(seg, s, p.indices(), 0.21, 255, &mut rng)
                        .unwrap();
                }
            }
        }
    }
    assert_eq!(c.segments_of(cell).len(), 30, "one segment per pattern");
    for p in &pats {
        c.compute_activity(p.indices(), &mut act, &mut pot).unwrap();
        assert_eq!(c.predicted_cells(&act, theta), vec![cell]);
    }
    let bound = p_match_any(n.into(), a.into(), s as u64, theta.into(), 30).unwrap() + 0.001;
    let mut false_hits = 0;
    for t in 0..2000 {
        let x = Sdr::random(n, a, &mut CounterRng::new(9, Purpose::Other, 12, t, 0)).unwrap();
        c.compute_activity(x.indices(), &mut act, &mut pot).unwrap();
        false_hits += usize::from(!c.predicted_cells(&act, theta).is_empty());
    }
    assert!(
        f64::from(false_hits as u32) / 2000.0 < bound,
        "{false_hits} false hits"
    );
    let mut ok = 0;
    for t in 0..300u32 {
        let mut r = CounterRng::new(10, Purpose::Other, 13, t, 0);
        let x = pats[(t % 30) as usize].add_noise(10, &mut r).unwrap();
        c.compute_activity(x.indices(), &mut act, &mut pot).unwrap();
        ok += usize::from(c.predicted_cells(&act, theta) == vec![cell]);
    }
    assert!(ok >= 295, "{ok} of 300 noisy patterns recognised");
}
