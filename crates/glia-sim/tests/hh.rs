//! The `hh` model (Hodgkin–Huxley, Traub–Miles) through model files: spike times against an
//! independent f64 reference, parameter errors, determinism of the COBAHH example.

mod common;
use common::{build_with, example, run};
use glia_spec::Overrides;

/// Spike stamps (ms) of neuron 0 of population 0, from a single-neuron model.
fn spike_times(text: &str) -> Vec<f64> {
    let mut net = build_with(text, &Overrides::default());
    let dt = net.dt;
    let mut times = Vec::new();
    let steps = net.planned_steps;
    for _ in 0..steps {
        net.run(1, &mut |_| true);
        if !net.spikes[0].is_empty() {
            times.push(net.step as f64 * dt);
        }
    }
    times
}

fn single(dt: f64, duration: f64, extra: &str) -> String {
    format!(
        r#"
        [simulation]
        dt = {dt}
        duration = {duration}
        [[populations]]
        name = "hh"
        size = 1
        model = "hh"
        {extra}
        "#
    )
}

/// Spike times of an RK4 integration in f64 (step 0.0005 ms; crossings of −20 mV interpolated
/// linearly; gates starting at steady state at E_L), printed by `validation/hh_rk4.py`, which
/// is independent of glia's code (the same to 4 decimals with a step of 0.00025 ms).
const RK4_NO_INPUT: [f64; 5] = [10.9721, 83.1489, 155.3259, 227.5028, 299.6798];
const RK4_DC_500: [f64; 5] = [10.7813, 22.8681, 34.9485, 47.0288, 59.1092];

fn assert_close(got: &[f64], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len(), "spikes {got:?}, reference {want:?}");
    for (g, w) in got.iter().zip(want) {
        assert!(
            (g - w).abs() < tol,
            "spike at {g} ms, reference {w} ms (tolerance {tol})"
        );
    }
}

/// With the default parameters (Brian2's COBAHH cell) the neuron fires on its own (the sodium
/// window current depolarises it from E_L): 5 spikes in 300 ms. At dt = 0.025 ms the engine's
/// stamps (end of the step of the crossing) are within 0.1 ms of the f64 RK4 reference (scheme
/// error up to 0.075 ms after four 72 ms periods, plus up to one step for the stamp).
#[test]
fn intrinsic_firing_matches_reference() {
    let got = spike_times(&single(0.025, 300.0, ""));
    assert_close(&got, &RK4_NO_INPUT, 0.1);
}

/// A 500 pA `dc` input from 10 to 60 ms (through the external-current path): 5 spikes, within
/// 0.07 ms of the reference at dt = 0.025 ms (scheme error up to 0.041 ms plus the stamp), none
/// after the current stops (the next intrinsic spike would come after 100 ms).
#[test]
fn dc_input_matches_reference() {
    let extra = r#"
        [[inputs]]
        kind = "dc"
        target = "hh"
        amplitude = 500.0
        start = 10.0
        stop = 60.0
    "#;
    let got = spike_times(&single(0.025, 100.0, extra));
    assert_close(&got, &RK4_DC_500, 0.07);
}

/// Gates given in `initial` are used (here 0, as in Brian2's COBAHH, which delays the first
/// spike: sodium starts inactivated); gates not given start at their steady state. Before the
/// first step the gates are moved half a step ahead, so after one step `m` is the value at
/// 1.5·dt.
#[test]
fn initial_gates() {
    let text = single(
        0.1,
        0.1,
        "initial.m = 0.0\ninitial.h = 0.0\ninitial.n = 0.0",
    );
    let mut net = build_with(&text, &Overrides::default());
    run(&mut net);
    let m = net.state(0, "m").unwrap()[0];
    let h = net.state(0, "h").unwrap()[0];
    // dm/dt = α_m(−60 mV) ≈ 0.23/ms at m = 0: after 0.15 ms, m ≈ 0.03; h grows by ≈ 0.15 α_h.
    assert!(m > 0.01 && m < 0.05, "m = {m}");
    assert!(h > 0.0 && h < 0.05, "h = {h}");
    let mut net = build_with(&single(0.1, 0.1, ""), &Overrides::default());
    run(&mut net);
    let h = net.state(0, "h").unwrap()[0];
    assert!(h > 0.5, "h at steady state near E_L: {h}");
}

/// Bad parameters are errors naming the field, never panics.
#[test]
fn bad_parameters_name_the_field() {
    let cases = [
        ("C_m = 0.0", "populations[0].params.C_m: must be > 0, got 0"),
        (
            "C_m = -200.0",
            "populations[0].params.C_m: must be > 0, got -200",
        ),
        (
            "g_L = -1.0",
            "populations[0].params.g_L: must be ≥ 0, got -1",
        ),
        (
            "g_Na = -5.0",
            "populations[0].params.g_Na: must be ≥ 0, got -5",
        ),
        (
            "g_K = nan",
            "populations[0].params.g_K: must be ≥ 0, got NaN",
        ),
        (
            "g_K = inf",
            "populations[0].params.g_K: must be ≥ 0, got inf",
        ),
        (
            "E_K = -inf",
            "populations[0].params.E_K: must be finite, got -inf",
        ),
        (
            "V_T = nan",
            "populations[0].params.V_T: must be finite, got NaN",
        ),
        (
            "V_spike = inf",
            "populations[0].params.V_spike: must be finite, got inf",
        ),
        (
            "I_e = nan",
            "populations[0].params.I_e: must be finite, got NaN",
        ),
        (
            "gNa = 1.0",
            "populations[0].params.gNa: unknown field `gNa`",
        ),
        ("C_m = \"big\"", "populations[0].params.C_m: invalid type"),
    ];
    for (param, want) in cases {
        let text = single(0.1, 1.0, &format!("params = {{ {param} }}"));
        let model = glia_spec::parse(&text, std::path::Path::new("."), &Overrides::default())
            .unwrap_or_else(|e| panic!("{param}: spec error {e}"));
        let err = match glia_sim::build::build(&model) {
            Ok(_) => panic!("{param}: no error"),
            Err(e) => e.to_string(),
        };
        assert!(
            err.starts_with(want),
            "{param}: got \"{err}\", want \"{want}…\""
        );
    }
}

/// The COBAHH example gives byte-identical spikes for 1 and 2 threads (200 ms).
#[test]
fn cobahh_is_bit_identical_across_threads() {
    let spikes = |threads: usize| {
        let ov = Overrides {
            threads: Some(threads),
            duration: Some(200.0),
            ..Default::default()
        };
        let mut net = build_with(&example("cobahh.toml"), &ov);
        let mut all = Vec::new();
        for _ in 0..net.planned_steps {
            net.run(1, &mut |_| true);
            all.push(net.spikes.clone());
        }
        all
    };
    let one = spikes(1);
    let n: usize = one.iter().flatten().map(|s| s.len()).sum();
    assert!(n > 10_000, "only {n} spikes");
    assert_eq!(one, spikes(2));
}
