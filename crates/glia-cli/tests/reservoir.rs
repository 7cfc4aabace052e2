//! `glia run` / `glia validate` on reservoir experiments.

use std::process::Command;

const GLIA: &str = env!("CARGO_BIN_EXE_glia");
const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples");

/// `glia run` on examples/esn_narma10.toml writes metrics.json (with a finite NRMSE below 1
/// and the cross-validated α from the grid) next to summary.json.
#[test]
fn run_writes_metrics() {
    let out = tempfile::tempdir().unwrap();
    let st = Command::new(GLIA)
        .args(["run", &format!("{EXAMPLES}/esn_narma10.toml"), "--out"])
        .arg(out.path())
        .output()
        .unwrap();
    assert_eq!(
        st.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("metrics.json")).unwrap())
            .unwrap();
    let nrmse = m["metrics"]["nrmse"].as_f64().unwrap();
    assert!(nrmse > 0.0 && nrmse < 1.0, "{m}");
    assert!(m["readout"]["alpha"].as_f64().is_some());
    assert!(out.path().join("summary.json").exists());
}

/// A bad experiment exits with status 2 and names the field.
#[test]
fn bad_experiment_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("bad.toml");
    std::fs::write(
        &f,
        "[simulation]\ndt = 1.0\nduration = 1.0\n[[populations]]\nname = \"R\"\nsize = 4\n\
         model = \"rate\"\n[reservoir]\ninput = \"R\"\n[task]\nkind = \"narma10\"\n\
         washout = 100\ntrain = 50\ntest = 10\n",
    )
    .unwrap();
    for cmd in ["run", "validate"] {
        let st = Command::new(GLIA).arg(cmd).arg(&f).output().unwrap();
        assert_eq!(st.status.code(), Some(2));
        let err = String::from_utf8_lossy(&st.stderr);
        assert!(err.contains("task.train:"), "{err}");
    }
}
