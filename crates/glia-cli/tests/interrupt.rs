//! Ctrl-C during a run: the run stops, writes what it recorded with `"complete": false` in
//! summary.json, leaves no temporary files and exits with 130.

use std::process::Command;
use std::time::Duration;

#[test]
fn sigint_writes_partial_outputs_marked_incomplete() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let model = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/cuba.toml");
    let child = Command::new(env!("CARGO_BIN_EXE_glia"))
        .args(["run", model, "--duration", "10000000", "--out"])
        .arg(&out)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["complete"], false);
    let simulated = summary["simulation"]["simulated_ms"].as_f64().unwrap();
    assert!(simulated > 0.0 && simulated < 10_000_000.0);
    for entry in std::fs::read_dir(&out).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!name.ends_with(".partial"), "temporary file left: {name}");
    }
    assert!(out.join("spikes.npz").exists());
}
