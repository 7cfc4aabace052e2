//! Homeostasis: synaptic scaling towards a target rate.

mod common;
use common::build;

fn model(w0: f64, multiplicative: bool) -> String {
    format!(
        r#"
        [simulation]
        dt = 0.1
        duration = 20000.0
        seed = 4
        [[populations]]
        name = "in"
        size = 100
        model = "poisson"
        params = {{ rate = 10.0 }}
        [[populations]]
        name = "out"
        size = 20
        model = "lif"
        [[projections]]
        source = "in"
        target = "out"
        port = "exc"
        connect = {{ rule = "all_to_all" }}
        weight = {w0}
        plasticity = {{ rule = "scaling", target_rate = 10.0, tau_rate = 500.0, eta = {eta}, multiplicative = {multiplicative}, w_min = 0.0, w_max = 5000.0 }}
        "#,
        eta = if multiplicative { 1e-4 } else { 1e-2 },
    )
}

/// Synaptic scaling drives 20 LIF neurons, each driven by 100 Poisson inputs at 10 Hz, to the
/// fixed point r = ρ₀ = 10 Hz from below (w₀ = 60 pA: silent) and from above (w₀ = 600 pA:
/// ~100 Hz), multiplicatively and additively: over the last 5 s of 20 s the mean rate is within
/// ±10 % of ρ₀ (Poisson count error over 20 × 5 s at 10 Hz is ~1.4 %).
#[test]
fn scaling_converges_to_the_target_rate() {
    for multiplicative in [true, false] {
        for w0 in [60.0, 600.0] {
            let mut net = build(&model(w0, multiplicative));
            let out = net.population("out").unwrap();
            let first = net.planned_steps - 50_000;
            net.run(first, &mut |_| true);
            let before = net.stats[out].total;
            net.run(50_000, &mut |_| true);
            let rate = (net.stats[out].total - before) as f64 / 20.0 / 5.0;
            assert!(
                (rate - 10.0).abs() < 1.0,
                "w0 {w0}, multiplicative {multiplicative}: {rate} Hz"
            );
        }
    }
}

/// Intrinsic plasticity (`lif_adapt` with `target_rate`): 20 neurons driven by constant
/// currents from 450 to 830 pA (without it: silent below 606 pA, where V∞ = E_L + I/g_L reaches
/// V_th, and ~130 Hz at 830 pA) all fire at ρ₀ = 5 Hz
/// ± 10 % over the last 5 s of 30 s: the adaptive threshold settles where the spike jumps
/// (q_θ = 0.5 mV) balance the drift q_θ·ρ₀ (τ_θ = 10⁹ ms: the fixed point is exactly ρ₀).
#[test]
fn adaptive_threshold_reaches_the_target_rate() {
    let amps: Vec<String> = (0..20)
        .map(|k| format!("{:.1}", 450.0 + 20.0 * k as f64))
        .collect();
    let text = format!(
        r#"
        [simulation]
        dt = 0.1
        duration = 30000.0
        [[populations]]
        name = "n"
        size = 20
        model = "lif_adapt"
        params = {{ a = 0.0, b = 0.0, tau_theta = 1e9, q_theta = 0.5, target_rate = 5.0, I_e = [{}] }}
        "#,
        amps.join(", ")
    );
    let mut net = build(&text);
    let n = net.population("n").unwrap();
    net.run(250_000, &mut |_| true);
    let before: Vec<u64> = net.stats[n].n_isi.iter().map(|&k| u64::from(k)).collect();
    net.run(50_000, &mut |_| true);
    let rates: Vec<f64> = net.stats[n]
        .n_isi
        .iter()
        .zip(&before)
        .map(|(&k1, &k0)| (u64::from(k1) - k0) as f64 / 5.0)
        .collect();
    let theta = net.state(n, "theta").unwrap();
    for (i, &rate) in rates.iter().enumerate() {
        assert!(
            (rate - 5.0).abs() <= 0.5,
            "neuron {i} ({} pA): {rate} Hz; all {rates:?}, theta {theta:?}",
            amps[i]
        );
    }
}
