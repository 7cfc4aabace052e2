//! Liquid-state features: spike counts per window and exponentially filtered spike traces
//! (`[readout] features = "counts" | "trace"`), sampled every step or, for classification, at
//! chosen times within each presentation.

use glia_reservoir::esn::FeatureKind;
use glia_reservoir::experiment::{run_text, validate_text};
use std::path::Path;

/// A hand-built spike train: neuron, time [ms]; neuron 0 fires twice at 2 ms (multiplicity).
const SPIKES: [(usize, f64); 14] = [
    (0, 1.0),
    (0, 2.0),
    (0, 2.0),
    (2, 2.0),
    (0, 5.0),
    (1, 9.0),
    (1, 10.0),
    (1, 11.0),
    (2, 30.0),
    (2, 31.0),
    (0, 31.0),
    (2, 33.0),
    (2, 34.5),
    (1, 35.0),
];

fn model(dt: f64, readout: &str) -> String {
    let times: Vec<String> = SPIKES.iter().map(|s| format!("{:?}", s.1)).collect();
    let ids: Vec<String> = SPIKES.iter().map(|s| s.0.to_string()).collect();
    format!(
        r#"
[simulation]
dt = {dt}
duration = 100.0
seed = 3
[[populations]]
name = "In"
size = 2
model = "lif"
[[populations]]
name = "G"
size = 3
model = "spike_generator"
params = {{ times = [{}], ids = [{}] }}
[reservoir]
input = "In"
features = "G"
[task]
kind = "narma10"
washout = 10
train = 60
test = 20
[readout]
{readout}
"#,
        times.join(", "),
        ids.join(", ")
    )
}

/// Step of each spike: a spike at `T` is emitted in step `round(T/dt) − 1`.
fn spike_steps(dt: f64) -> Vec<(usize, usize)> {
    SPIKES
        .iter()
        .map(|&(i, t)| (i, (t / dt).round() as usize - 1))
        .collect()
}

/// Counts are exact: row `s` holds, per neuron, the spikes in steps `s − window + 1 ..= s`.
#[test]
fn counts_exact_on_hand_built_train() {
    for (dt, window_ms) in [(1.0, 5.0), (0.5, 2.0), (1.0, 1.0)] {
        let text = model(
            dt,
            &format!("features = \"counts\"\nwindow = {window_ms:?}"),
        );
        let mut esn = validate_text(&text, Path::new("."), &Default::default()).unwrap();
        let w = (window_ms / dt).round() as usize;
        assert_eq!(esn.feature_kind(), FeatureKind::Counts { window: w });
        let t = 90;
        let feats = esn.run(&vec![0.0; t]);
        assert_eq!((feats.nrows(), feats.ncols()), (t, 3));
        let steps = spike_steps(dt);
        let mut total = 0.0;
        for s in 0..t {
            for i in 0..3 {
                let want = steps
                    .iter()
                    .filter(|&&(j, k)| j == i && k <= s && k + w > s)
                    .count() as f64;
                assert_eq!(
                    feats[(s, i)],
                    want,
                    "dt {dt}, window {w}: step {s}, neuron {i}"
                );
                total += want;
            }
        }
        assert!(total > 0.0);
    }
}

/// Traces equal the closed form `Σ_{spikes k ≤ s} exp(−(s − k)·dt/τ)` within 1e-12.
#[test]
fn trace_matches_closed_form() {
    for (dt, tau) in [(1.0, 5.0), (0.5, 20.0), (0.1, 0.3)] {
        let text = model(dt, &format!("features = \"trace\"\ntau = {tau:?}"));
        let mut esn = validate_text(&text, Path::new("."), &Default::default()).unwrap();
        let t = (40.0 / dt) as usize;
        let feats = esn.run(&vec![0.0; t]);
        let steps = spike_steps(dt);
        let mut worst = 0.0f64;
        for s in 0..t {
            for i in 0..3 {
                let want: f64 = steps
                    .iter()
                    .filter(|&&(j, k)| j == i && k <= s)
                    .map(|&(_, k)| (-((s - k) as f64) * dt / tau).exp())
                    .sum();
                worst = worst.max((feats[(s, i)] - want).abs());
            }
        }
        assert!(worst <= 1e-12, "dt {dt}, tau {tau}: {worst:e}");
    }
}

fn err(text: &str) -> String {
    match run_text(text, Path::new("."), &Default::default()) {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

/// Bad settings name the field.
#[test]
fn bad_feature_settings() {
    let e = err(&model(1.0, "features = \"counts\""));
    assert!(e.starts_with("readout.window:"), "{e}");
    let e = err(&model(1.0, "features = \"counts\"\nwindow = 0.3"));
    assert!(e.starts_with("readout.window:") && e.contains("0.3"), "{e}");
    let e = err(&model(1.0, "features = \"trace\"\ntau = -2.0"));
    assert!(e.starts_with("readout.tau:") && e.contains("-2"), "{e}");
    let e = err(&model(1.0, "features = \"spikes\""));
    assert!(
        e.starts_with("readout.features:") && e.contains("\"spikes\""),
        "{e}"
    );
    let e = err(&model(
        1.0,
        "features = \"counts\"\nwindow = 2.0\nsample_times = [1.0]",
    ));
    assert!(e.starts_with("readout.sample_times:"), "{e}");
    // Spike features of a rate population.
    let rate = "[simulation]\ndt = 1.0\nduration = 1.0\n[[populations]]\nname = \"R\"\nsize = 4\n\
                model = \"rate\"\n[reservoir]\ninput = \"R\"\n[task]\nkind = \"narma10\"\n\
                washout = 10\ntrain = 30\ntest = 5\n[readout]\nfeatures = \"trace\"\ntau = 3.0\n";
    let e = err(rate);
    assert!(
        e.starts_with("readout.features:") && e.contains("\"R\""),
        "{e}"
    );
}

/// A spiking reservoir classifies with counts sampled at several times per presentation: the
/// readout sees `neurons × sample times` features, and a sample time outside the
/// presentation is an error.
#[test]
fn classification_with_sampled_counts() {
    let text = |samples: &str| {
        format!(
            r#"
[simulation]
dt = 1.0
duration = 1.0
seed = 11
[[populations]]
name = "L"
size = 60
model = "lif"
params = {{ tau_m = 10.0 }}
[[projections]]
source = "L"
target = "L"
port = "exc"
connect = {{ rule = "fixed_probability", p = 0.1 }}
weight = 20.0
delay = 1.0
[reservoir]
input = "L"
input_scaling = 3000.0
[task]
kind = "classification"
classes = 2
length = 20
noise = 0.1
washout = 2
train = 60
test = 30
[readout]
kind = "ridge"
alpha = 1e-3
features = "counts"
window = 10.0
sample_times = {samples}
"#
        )
    };
    let o = run_text(&text("[10.0, 20.0]"), Path::new("."), &Default::default()).unwrap();
    assert_eq!(o.metrics["features"].as_u64(), Some(120));
    let acc = o.metrics["metrics"]["train_accuracy"].as_f64().unwrap();
    assert!(acc > 0.6, "train accuracy {acc}");
    let e = err(&text("[25.0]"));
    assert!(
        e.starts_with("readout.sample_times:") && e.contains("25"),
        "{e}"
    );
}
