//! Rate units (`model = "rate"`): closed forms, graded transmission, spectral radius, Dale's law.

mod common;
use common::{build, run};
use glia_sim::spectral::spectral_radius;

/// A linear unit with leak α, self-weight w (delay one step) and constant input u follows
/// `x_s = a x_{s−1} + α u`, `a = 1 − α + α w`, i.e. `x_s = α u (1 − a^s)/(1 − a)`, to 1e-6
/// (f32) over 100 steps; a tanh unit without recurrence follows
/// `x_s = (1 − α) x_{s−1} + α tanh(u + b)`.
#[test]
fn linear_and_tanh_units_follow_their_recursions() {
    let text = r#"
        [simulation]
        dt = 1.0
        duration = 100.0
        [[populations]]
        name = "lin"
        size = 3
        model = "rate"
        params = { activation = "linear", leak = 0.5 }
        [[populations]]
        name = "th"
        size = 2
        model = "rate"
        params = { activation = "tanh", leak = 0.2, bias = [0.1, -0.3] }
        [[projections]]
        source = "lin"
        target = "lin"
        port = "in"
        connect = { rule = "one_to_one" }
        weight = 0.4
        [[inputs]]
        kind = "dc"
        target = "lin"
        amplitude = 1.0
        [[inputs]]
        kind = "dc"
        target = "th"
        amplitude = 0.5
        [[monitors]]
        kind = "state"
        population = "lin"
        variables = ["x"]
        ids = [0, 1, 2]
        [[monitors]]
        kind = "state"
        population = "th"
        variables = ["x"]
        ids = [0, 1]
    "#;
    let mut net = build(text);
    run(&mut net);
    let (alpha, w, u) = (0.5f64, 0.4f64, 1.0f64);
    let a = 1.0 - alpha + alpha * w;
    let lin = &net.monitors.state[0];
    for (k, &step) in lin.steps.iter().enumerate() {
        let s = step as i32 + 1;
        let want = alpha * u * (1.0 - a.powi(s)) / (1.0 - a);
        for i in 0..3 {
            let got = lin.data[0][k * 3 + i];
            assert!((got - want).abs() < 1e-6, "step {s}: {got} vs {want}");
        }
    }
    let th = &net.monitors.state[1];
    let mut x = [0.0f64; 2];
    for (k, _) in th.steps.iter().enumerate() {
        for (i, b) in [0.1f64, -0.3].iter().enumerate() {
            x[i] = 0.8 * x[i] + 0.2 * (0.5 + b).tanh();
            let got = th.data[0][k * 2 + i];
            assert!(
                (got - x[i]).abs() < 1e-6,
                "tanh step {k}: {got} vs {}",
                x[i]
            );
        }
    }
}

/// `spectral_radius` rescales a random recurrent matrix to the requested radius (the built
/// matrix re-measured: within 1e-3 relative); `dale` rejects a weight of the wrong sign.
#[test]
fn spectral_radius_and_dale() {
    let text = |dale: &str, w: &str| {
        format!(
            r#"
        [simulation]
        dt = 1.0
        duration = 50.0
        [[populations]]
        name = "r"
        size = 300
        model = "rate"
        params = {{ leak = 0.3 {dale} }}
        [[projections]]
        source = "r"
        target = "r"
        port = "in"
        connect = {{ rule = "fixed_probability", p = 0.1 }}
        weight = {w}
        spectral_radius = 0.9
        [[inputs]]
        kind = "noise"
        target = "r"
        std = 0.5
        "#
        )
    };
    let mut net = build(&text("", r#"{ dist = "normal", mean = 0.0, std = 1.0 }"#));
    let r = spectral_radius(300, &net.projs[0].csr, 1e-6, 1 << 16);
    assert!((r.rho - 0.9).abs() < 1e-3 * 0.9, "{r:?}");
    run(&mut net);
    let x = net.state(0, "x").unwrap();
    assert!(x.iter().all(|v| v.abs() < 1.0) && x.iter().any(|v| v.abs() > 0.05));

    let mut net = build(&text(
        r#", dale = "excitatory""#,
        r#"{ dist = "uniform", low = 0.0, high = 1.0 }"#,
    ));
    let r = spectral_radius(300, &net.projs[0].csr, 1e-6, 1 << 16);
    assert!((r.rho - 0.9).abs() < 1e-3 * 0.9, "{r:?}");
    run(&mut net);

    let model = glia_spec::parse(
        &text(r#", dale = "excitatory""#, "-0.1"),
        std::path::Path::new("."),
        &Default::default(),
    )
    .unwrap();
    let err = glia_sim::build::build(&model)
        .err()
        .expect("dale violation");
    let msg = err.to_string();
    assert!(
        msg.contains("projections[0].weight") && msg.contains("excitatory"),
        "{msg}"
    );
}
