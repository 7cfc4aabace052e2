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
