//! examples/microcircuit.toml (Potjans & Diesmann 2014) at 1 % scale: the file validates and
//! builds, every projection has the synapse number of the reference implementation's formula,
//! and weights, delays and currents follow its tables, checked against values computed here
//! independently of the file's expressions.

use glia_spec::Overrides;
use std::path::Path;

const POPS: [&str; 8] = ["L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I"];
const N: [f64; 8] = [
    20683.0, 5834.0, 21915.0, 5479.0, 4850.0, 1065.0, 14395.0, 2948.0,
];
const K_EXT: [f64; 8] = [
    1600.0, 1500.0, 2100.0, 1900.0, 2000.0, 1900.0, 2900.0, 2100.0,
];
const RATES: [f64; 8] = [0.903, 2.965, 4.414, 5.876, 7.569, 8.633, 1.105, 7.829];
/// Potjans & Diesmann (2014) Table 5, `P[target][source]`.
const P: [[f64; 8]; 8] = [
    [0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0, 0.0076, 0.0],
    [0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0, 0.0042, 0.0],
    [0.0077, 0.0059, 0.0497, 0.135, 0.0067, 0.0003, 0.0453, 0.0],
    [0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0, 0.1057, 0.0],
    [0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0],
    [0.0548, 0.0269, 0.0257, 0.0022, 0.06, 0.3158, 0.0086, 0.0],
    [
        0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252,
    ],
    [0.0364, 0.001, 0.0034, 0.0005, 0.0277, 0.008, 0.0658, 0.1443],
];

fn model(params: &[(&str, f64)]) -> glia_spec::Model {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/microcircuit.toml");
    let ov = Overrides {
        parameters: params.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        duration: Some(20.0),
        ..Default::default()
    };
    glia_spec::load(&path, &ov).expect("examples/microcircuit.toml must validate")
}

/// Full-scale synapse number of the projection source `s` → target `t`
/// (helpers.num_synapses_from_conn_probs of the reference).
fn full_synapses(t: usize, s: usize) -> f64 {
    let prod = N[t] * N[s];
    (1.0 - P[t][s]).ln() / ((prod - 1.0) / prod).ln()
}

/// PSC amplitude [pA] whose PSP peaks at `psp` mV on the model's membrane (C_m 250 pF, tau_m
/// 10 ms, tau_syn 0.5 ms): the peak of J·τmτs/(C(τm−τs))·(e^{−t/τm} − e^{−t/τs}) is at
/// t* = ln(τm/τs)·τmτs/(τm−τs).
fn psc_for_psp(psp: f64) -> f64 {
    let (c, tm, ts): (f64, f64, f64) = (250.0, 10.0, 0.5);
    let t_star = (tm / ts).ln() * tm * ts / (tm - ts);
    let per_pa = tm * ts / (c * (tm - ts)) * ((-t_star / tm).exp() - (-t_star / ts).exp());
    psp / per_pa
}

#[test]
fn one_percent_scale_has_the_reference_synapse_numbers_weights_and_delays() {
    let scale = 0.01;
    let m = model(&[("scale", scale)]);
    let net = glia_sim::build::build(&m).unwrap();
    // Population sizes: round(scale · N).
    for (i, name) in POPS.iter().enumerate() {
        assert_eq!(net.pops[i].name, *name);
        assert_eq!(net.pops[i].size, (N[i] * scale).round() as usize, "{name}");
    }
    let w_full = psc_for_psp(0.15);
    assert!(
        (w_full - 87.81).abs() < 0.01,
        "PSC of a 0.15 mV PSP: {w_full}"
    );
    let w_exc = w_full / scale.sqrt();
    let mut projections = 0;
    for t in 0..8 {
        for s in 0..8 {
            let name = format!("{}->{}", POPS[s], POPS[t]);
            let Some(k) = net.projection(&name) else {
                assert_eq!(P[t][s], 0.0, "{name} missing");
                continue;
            };
            projections += 1;
            // Synapse numbers: round(S · scale · k_scale), k_scale = scale by default.
            let expected = (full_synapses(t, s) * scale * scale).round() as usize;
            let w = net.weights(k);
            assert_eq!(w.len(), expected, "{name}: synapse count");
            let d = net.synapse_delays(k);
            assert_eq!(d.len(), expected, "{name}: delays");
            // Weights: normal around the table's mean, 10 % relative sd, sign kept.
            let inh = s % 2 == 1;
            let mean = if inh {
                -4.0 * w_exc
            } else if (t, s) == (0, 2) {
                2.0 * w_exc
            } else {
                w_exc
            };
            assert!(
                w.iter().all(|&x| (x as f64) * mean.signum() >= 0.0),
                "{name}: a weight changed sign"
            );
            // Delays (steps of 0.1 ms): within [dt, mean + 10 sd].
            let d_mean = if inh { 0.75 } else { 1.5 };
            let max_steps = (d_mean * 6.0 / 0.1_f64).round() as u16;
            assert!(d.iter().all(|&x| (1..=max_steps).contains(&x)), "{name}");
            if expected >= 400 {
                let n = expected as f64;
                let wm = w.iter().map(|&x| x as f64).sum::<f64>() / n;
                // 5 standard errors of the mean (sd = 10 % of the mean).
                assert!(
                    (wm - mean).abs() < 5.0 * 0.1 * mean.abs() / n.sqrt(),
                    "{name}: mean weight {wm}, expected {mean}"
                );
                let sd = (w.iter().map(|&x| (x as f64 - wm).powi(2)).sum::<f64>() / n).sqrt();
                assert!(
                    (sd / mean.abs() - 0.1).abs() < 0.02,
                    "{name}: relative sd {}",
                    sd / mean.abs()
                );
                // Delay mean: 50 % sd, so 5 standard errors are 2.5·mean/√n; clipping at dt
                // and rounding to steps shift it by less than 0.02 ms.
                let dm = d.iter().map(|&x| x as f64 * 0.1).sum::<f64>() / n;
                assert!(
                    (dm - d_mean).abs() < 2.5 * d_mean / n.sqrt() + 0.02,
                    "{name}: mean delay {dm}, expected {d_mean}"
                );
            }
        }
    }
    assert_eq!(projections, 55);
    // It runs: 20 ms without error, some activity.
    let mut net = net;
    let stats = net.run(m.steps, &mut |_| true);
    assert!(stats.complete);
    assert!(net.stats.iter().map(|s| s.total).sum::<u64>() > 0);
}

/// The DC compensation of the in-degree scaling, and the DC background alternative, as
/// helpers.adjust_weights_and_input_to_synapse_scaling and dc_input_compensating_poisson of
/// the reference compute them (here from the tables, not from the file's expressions).
#[test]
fn currents_follow_the_reference_compensation() {
    let w_full = psc_for_psp(0.15);
    let input_rec = |t: usize| -> f64 {
        (0..8)
            .map(|s| {
                let w = if s % 2 == 1 {
                    -4.0 * w_full
                } else if (t, s) == (0, 2) {
                    2.0 * w_full
                } else {
                    w_full
                };
                w * full_synapses(t, s) / N[t] * RATES[s]
            })
            .sum()
    };
    for (k_scale, poisson) in [(1.0, 1.0), (0.1, 1.0), (0.25, 0.0), (1.0, 0.0)] {
        let m = model(&[
            ("scale", 0.01),
            ("k_scale", k_scale),
            ("bg_poisson", poisson),
        ]);
        for (t, name) in POPS.iter().enumerate() {
            let got = m.parameters[&format!("I_e_{name}")];
            let mut want = 0.001 * 0.5 * (1.0 - f64::sqrt(k_scale)) * input_rec(t);
            if poisson == 1.0 {
                want += 0.001 * 0.5 * (1.0 - f64::sqrt(k_scale)) * w_full * K_EXT[t] * 8.0;
            } else {
                want += 8.0 * K_EXT[t] * w_full * 0.5 * 0.001;
            }
            assert!(
                (got - want).abs() < 1e-9 * want.abs().max(1.0),
                "I_e_{name} (k_scale {k_scale}, bg_poisson {poisson}): {got}, expected {want}"
            );
        }
        let w = m.parameters["w_exc"];
        assert!((w - w_full / k_scale.sqrt()).abs() < 1e-9 * w);
    }
}
