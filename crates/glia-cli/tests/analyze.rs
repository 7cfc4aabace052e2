//! `glia analyze OUT_DIR`: statistics of a run's spikes into analysis.json.

use std::process::Command;

const GLIA: &str = env!("CARGO_BIN_EXE_glia");

/// 200 independent Poisson neurons at 20 Hz for 5 s (a spike monitor on a subset of 150):
/// analysis.json reports the 150 recorded neurons, a rate within 5 % of 20 Hz, CV and Fano
/// factor within 0.05 of 1 and a mean pair correlation within 0.02 of 0.
#[test]
fn analyze_poisson_population() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("p.toml");
    let ids: Vec<String> = (0..150).map(|i| (i * 4 / 3).to_string()).collect();
    std::fs::write(
        &model,
        format!(
            r#"
[simulation]
dt = 0.1
duration = 5000.0
seed = 4
[[populations]]
name = "p"
size = 200
model = "poisson"
params = {{ rate = 20.0 }}
[[monitors]]
kind = "spikes"
population = "p"
ids = [{}]
"#,
            ids.join(", ")
        ),
    )
    .unwrap();
    let out = dir.path().join("out");
    let run = Command::new(GLIA)
        .args([
            "run",
            model.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let an = Command::new(GLIA)
        .args(["analyze", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        an.status.success(),
        "{}",
        String::from_utf8_lossy(&an.stderr)
    );
    let text = std::fs::read_to_string(out.join("analysis.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let p = &v["populations"]["p"];
    assert_eq!(p["neurons"], 150);
    let f = |k: &str| {
        p[k].as_f64()
            .unwrap_or_else(|| panic!("{k} missing in {p}"))
    };
    assert!((f("mean_rate_hz") - 20.0).abs() < 1.0, "{p}");
    assert!((f("cv_isi_mean") - 1.0).abs() < 0.05, "{p}");
    assert!((f("fano_mean") - 1.0).abs() < 0.05, "{p}");
    assert!(f("correlation_mean").abs() < 0.02, "{p}");
}

/// A directory that is not a run's output: exit 2, the file named, nothing written.
#[test]
fn analyze_missing_outputs_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let an = Command::new(GLIA)
        .args(["analyze", dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(an.status.code(), Some(2));
    let err = String::from_utf8_lossy(&an.stderr);
    assert!(err.contains("summary.json"), "{err}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}
