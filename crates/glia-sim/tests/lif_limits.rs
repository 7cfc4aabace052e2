//! `lif` at its limits, used by NIR's IF, I, LI and CubaLI nodes (docs/nir.md): `tau_m = inf`
//! (no leak, a perfect integrator) and `V_th = inf` (never fires).

mod common;
use common::{build, run};

/// `tau_m = inf`, constant current I into C: v(t) = E_L + I t / C exactly (to f32 rounding of
/// the accumulated sum, 1e-5 relative here), and it fires at the first step where
/// v ≥ V_th, then restarts from V_reset: I = 50 pA, C = 100 pF → 0.5 mV/ms, V_th = 5 mV
/// above rest → a spike every 10 ms (100 steps).
#[test]
fn no_leak_integrates_linearly() {
    let mut net = build(
        r#"
        [simulation]
        dt = 0.1
        duration = 35.0
        [[populations]]
        name = "if"
        size = 1
        model = "lif"
        params = { tau_m = inf, C_m = 100.0, E_L = 0.0, V_th = 5.0, V_reset = 0.0, t_ref = 0.0, I_e = 50.0 }
        ports.in = { kernel = "delta" }
        [[monitors]]
        kind = "state"
        population = "if"
        variables = ["v"]
        ids = [0]
        [[monitors]]
        kind = "spikes"
        population = "if"
        "#,
    );
    run(&mut net);
    let v = &net.monitors.state[0].data[0];
    for (s, &x) in v.iter().enumerate().take(99) {
        let want = 0.5 * (s + 1) as f64 * 0.1;
        assert!((x - want).abs() <= 1e-5 * want, "step {s}: {x} vs {want}");
    }
    let steps = &net.monitors.spikes[0].steps;
    assert_eq!(steps.len(), 3, "{steps:?}");
    // crossing at exactly 10 ms in exact arithmetic: f32 rounding decides between steps 99/100
    assert!(steps[0] == 99 || steps[0] == 100, "{steps:?}");
    assert!(
        steps
            .windows(2)
            .all(|w| (99..=100).contains(&(w[1] - w[0]))),
        "{steps:?}"
    );
}

/// `V_th = inf`: a leaky neuron driven far above any finite threshold never fires and relaxes
/// to E_L + I·tau_m/C (to 1e-5 relative after 20 time constants).
#[test]
fn infinite_threshold_never_fires() {
    let mut net = build(
        r#"
        [simulation]
        dt = 0.1
        duration = 200.0
        [[populations]]
        name = "li"
        size = 1
        model = "lif"
        params = { tau_m = 10.0, C_m = 10.0, E_L = -1.0, V_th = inf, t_ref = 0.0, I_e = 1000.0 }
        [[monitors]]
        kind = "state"
        population = "li"
        variables = ["v"]
        ids = [0]
        [[monitors]]
        kind = "spikes"
        population = "li"
        "#,
    );
    run(&mut net);
    assert!(net.monitors.spikes[0].steps.is_empty());
    let v = *net.monitors.state[0].data[0].last().unwrap();
    assert!((v - 999.0).abs() < 1e-5 * 999.0, "{v}");
}
