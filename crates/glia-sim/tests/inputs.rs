//! External inputs: the Gaussian noise current.

mod common;
use common::{build, build_with, run};
use glia_spec::Overrides;

fn model(ids: &str) -> String {
    format!(
        r#"
        [simulation]
        dt = 0.1
        duration = 200.0
        seed = 3
        [[populations]]
        name = "n"
        size = 2000
        model = "lif"
        params = {{ tau_m = 10.0, C_m = 250.0, E_L = 0.0, V_th = 1e9, V_reset = -1.0 }}
        [[inputs]]
        kind = "noise"
        target = "n"
        mean = 50.0
        std = 400.0
        {ids}
        "#
    )
}

/// With the exact LIF step `v ← P22 v + P20 (μ + σ ξ)`, the stationary membrane potential has
/// mean `μ τ_m / C` and variance `(P20 σ)² / (1 − P22²)`; over 2000 neurons after 200 ms
/// (20 membrane time constants), the sample mean and variance match within 5 standard errors.
#[test]
fn noise_current_gives_the_stationary_ou_statistics() {
    let mut net = build(&model(""));
    run(&mut net);
    let v = net.state(0, "v").unwrap();
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let (h, tau, c) = (0.1f64, 10.0f64, 250.0f64);
    let p22 = (-h / tau).exp();
    let p20 = tau / c * (1.0 - p22);
    let want_mean = 50.0 * tau / c;
    let want_var = (p20 * 400.0).powi(2) / (1.0 - p22 * p22);
    let se_mean = (want_var / n).sqrt();
    let se_var = want_var * (2.0 / (n - 1.0)).sqrt();
    assert!(
        (mean - want_mean).abs() < 5.0 * se_mean,
        "mean {mean} vs {want_mean} ± {se_mean}"
    );
    assert!(
        (var - want_var).abs() < 5.0 * se_var,
        "variance {var} vs {want_var} ± {se_var}"
    );
}

/// `ids` restricts the noise to those neurons; the draw of a neuron does not depend on the
/// thread count.
#[test]
fn noise_current_respects_ids_and_threads() {
    let text = model("ids = [1, 1500]");
    let mut one = build(&text);
    run(&mut one);
    let v1 = one.state(0, "v").unwrap();
    for (i, &x) in v1.iter().enumerate() {
        assert_eq!(x != 0.0, i == 1 || i == 1500, "neuron {i}: {x}");
    }
    let mut two = build_with(
        &text,
        &Overrides {
            threads: Some(2),
            ..Default::default()
        },
    );
    run(&mut two);
    assert_eq!(v1, two.state(0, "v").unwrap());
}
