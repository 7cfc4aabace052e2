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
