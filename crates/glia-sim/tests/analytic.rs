//! The engine against closed-form results.

mod common;
use common::{build, run};

/// A LIF neuron under constant suprathreshold current fires regularly with period
/// `t_ref + τ_m ln((R I − (V_reset − E_L)) / (R I − (V_th − E_L)))`.
///
/// With the exact propagator, v is exact at step boundaries, so the crossing is detected at the
/// first step end at or after the true crossing time: the simulated period is the analytic one
/// rounded *up* to a whole number of steps, i.e. within `[T, T + dt)`, and the rate within
/// `(1/(T + dt), 1/T]`. Tolerance: that interval, widened by 1e-6 relative for f32 state.
#[test]
fn lif_fi_curve_matches_analytic_rate() {
    let (tau_m, c_m, e_l, v_th, v_reset, t_ref, dt): (f64, f64, f64, f64, f64, f64, f64) =
        (10.0, 250.0, -70.0, -55.0, -70.0, 2.0, 0.1);
    let r = tau_m / c_m; // GΩ → mV/pA
    for &current in &[376.0, 400.0, 500.0, 800.0, 1500.0, 3000.0] {
        let text = format!(
            r#"
            [simulation]
            dt = {dt}
            duration = 2000.0
            [[populations]]
            name = "n"
            size = 1
            model = "lif"
            params = {{ tau_m = {tau_m}, C_m = {c_m}, E_L = {e_l}, V_th = {v_th}, V_reset = {v_reset}, t_ref = {t_ref} }}
            [[inputs]]
            kind = "dc"
            target = "n"
            amplitude = {current}
            [[monitors]]
            kind = "spikes"
            population = "n"
            "#
        );
        let mut net = build(&text);
        run(&mut net);
        let steps = &net.monitors.spikes[0].steps;
        assert!(
            steps.len() > 5,
            "I = {current} pA: only {} spikes",
            steps.len()
        );
        let period_analytic =
            t_ref + tau_m * ((r * current - (v_reset - e_l)) / (r * current - (v_th - e_l))).ln();
        // Skip the first interval (starts from rest, not from reset without refractoriness).
        for w in steps[1..].windows(2) {
            let period = (w[1] - w[0]) as f64 * dt;
            assert!(
                period >= period_analytic * (1.0 - 1e-6) - 1e-9
                    && period < period_analytic + dt + 1e-6,
                "I = {current} pA: period {period} ms, analytic {period_analytic} ms"
            );
        }
        let rate =
            (steps.len() - 1) as f64 / ((steps[steps.len() - 1] - steps[0]) as f64 * dt) * 1000.0;
        let (lo, hi) = (1000.0 / (period_analytic + dt), 1000.0 / period_analytic);
        assert!(
            rate > lo * (1.0 - 1e-6) && rate <= hi * (1.0 + 1e-6),
            "I = {current}: rate {rate} Hz not in ({lo}, {hi}]"
        );
    }
}

/// Below rheobase (R I < V_th − E_L) a LIF neuron never fires and settles at E_L + R I.
#[test]
fn subthreshold_current_settles_at_steady_state() {
    let text = r#"
        [simulation]
        duration = 300.0
        [[populations]]
        name = "n"
        size = 2
        model = "lif"
        params = { tau_m = 10.0, C_m = 250.0, E_L = -70.0, V_th = -55.0, V_reset = -70.0, I_e = 300.0 }
        [[monitors]]
        kind = "spikes"
        population = "n"
    "#;
    let mut net = build(text);
    run(&mut net);
    assert!(net.monitors.spikes[0].steps.is_empty());
    for v in net.state(0, "v").unwrap() {
        assert!((v - (-70.0 + 300.0 * 10.0 / 250.0)).abs() < 1e-4, "v = {v}");
    }
}

/// Refractoriness: v is clamped at V_reset for exactly t_ref after a spike (NEST convention).
#[test]
fn refractory_clamp_lasts_t_ref() {
    let text = r#"
        [simulation]
        duration = 50.0
        [[populations]]
        name = "n"
        size = 1
        model = "lif"
        params = { tau_m = 10.0, C_m = 250.0, E_L = -70.0, V_th = -55.0, V_reset = -70.0, t_ref = 3.0, I_e = 2000.0 }
        [[monitors]]
        kind = "spikes"
        population = "n"
        [[monitors]]
        kind = "state"
        population = "n"
        variables = ["v"]
        ids = [0]
    "#;
    let mut net = build(text);
    run(&mut net);
    let first = net.monitors.spikes[0].steps[0] as usize;
    let v = &net.monitors.state[0].data[0];
    // Sample k is taken after step k. After the spike step, 30 steps stay at reset.
    for (k, &x) in v.iter().enumerate().skip(first).take(31) {
        assert_eq!(x, -70.0, "step {k}");
    }
    assert!(v[first + 31] > -70.0);
}

/// A Poisson source population fires at its rate: the spike count over 2000 neurons × 1 s is
/// within 5 standard deviations of N·rate·T (Bernoulli per step, p = rate·dt), for a constant
/// rate and per-neuron rates from an array.
#[test]
fn poisson_population_fires_at_its_rate() {
    let rates: Vec<String> = (0..2000)
        .map(|i| format!("{}", 5.0 + (i % 4) as f64 * 10.0))
        .collect();
    for rate in ["20.0".to_string(), format!("[{}]", rates.join(", "))] {
        let text = format!(
            r#"
            [simulation]
            duration = 1000.0
            [[populations]]
            name = "p"
            size = 2000
            model = "poisson"
            params = {{ rate = {rate} }}
            "#
        );
        let mut net = build(&text);
        run(&mut net);
        let n = net.stats[0].total as f64;
        let expected = 2000.0 * 20.0; // both specifications average 20 Hz
        let p: f64 = 20.0 * 0.1 / 1000.0;
        let sd = (2000.0 * 10000.0 * p * (1.0 - p)).sqrt();
        assert!(
            (n - expected).abs() < 5.0 * sd,
            "rate {rate:.20}: {n} spikes, expected {expected} ± {sd}"
        );
    }
}

/// A step current applies from its time on: with `times = [5, 10]`, `amplitudes = [250, 0]`,
/// v stays at E_L through the step ending at 5 ms, then follows the exact charging curve
/// E_L + R I (1 − e^{−(t−5)/τ_m}) until 10 ms and relaxes afterwards; only the listed neuron
/// receives it.
#[test]
fn step_current_applies_from_its_time_exactly() {
    let text = r#"
        [simulation]
        duration = 20.0
        [[populations]]
        name = "n"
        size = 2
        model = "lif"
        params = { tau_m = 10.0, C_m = 250.0, E_L = -70.0, V_th = 1000.0 }
        [[inputs]]
        kind = "step_current"
        target = "n"
        times = [5.0, 10.0]
        amplitudes = [250.0, 0.0]
        ids = [1]
        [[monitors]]
        kind = "state"
        population = "n"
        variables = ["v"]
        ids = [0, 1]
    "#;
    let mut net = build(text);
    run(&mut net);
    let m = &net.monitors.state[0];
    for (k, &step) in m.steps.iter().enumerate() {
        let t = (step + 1) as f64 * 0.1;
        let (v0, v1) = (m.data[0][2 * k], m.data[0][2 * k + 1]);
        assert_eq!(v0, -70.0, "neuron 0 receives nothing");
        let want = if t <= 5.0 + 1e-9 {
            -70.0
        } else if t <= 10.0 + 1e-9 {
            -70.0 + 10.0 * (1.0 - (-(t - 5.0) / 10.0f64).exp())
        } else {
            -70.0 + 10.0 * (1.0 - (-0.5f64).exp()) * (-(t - 10.0) / 10.0f64).exp()
        };
        assert!((v1 - want).abs() < 1e-4, "t = {t}: v = {v1}, want {want}");
    }
}
