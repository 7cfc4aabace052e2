//! `glia analyze`: the branching ratio (from the model's connectivity) and the RDM / tRSA of
//! response windows in analysis.json.

use std::process::Command;

const GLIA: &str = env!("CARGO_BIN_EXE_glia");

const MODEL: &str = r#"
[simulation]
dt = 0.1
duration = 40.0
[[populations]]
name = "stim"
size = 1
model = "spike_generator"
params = { times = [5.0, 15.0, 25.0] }
[[populations]]
name = "a"
size = 1
model = "lif"
params = { tau_m = 10.0, C_m = 10.0, E_L = 0.0, V_th = 1.0, V_reset = 0.0, t_ref = 0.0 }
ports.d = { kernel = "delta" }
[[populations]]
name = "b"
size = 2
model = "lif"
params = { tau_m = 10.0, C_m = 10.0, E_L = 0.0, V_th = 1.0, V_reset = 0.0, t_ref = 0.0 }
ports.d = { kernel = "delta" }
[[projections]]
source = "stim"
target = "a"
port = "d"
connect = { rule = "all_to_all" }
weight = 5.0
[[projections]]
source = "a"
target = "b"
port = "d"
connect = { rule = "all_to_all" }
weight = 5.0
[[monitors]]
kind = "spikes"
population = "stim"
[[monitors]]
kind = "spikes"
population = "a"
[[monitors]]
kind = "spikes"
population = "b"
"#;

fn run(args: &[&str]) -> String {
    let o = Command::new(GLIA).args(args).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// a → b (2 neurons), each spike of a makes both b neurons fire one step later; b has no
/// targets. Three stimuli: 3 spikes of a with 2 descendants each, 6 spikes of b with none →
/// branching ratio 6/9 = 2/3 exactly (the generator is a spike source and not counted). With
/// 10 ms windows the 4 windows are the conditions of a 4 × 4 RDM (correlation distance) whose
/// diagonal is 0, and the geo-topological transform lies in [0, 1].
#[test]
fn branching_ratio_and_rdm() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.toml");
    std::fs::write(&model, MODEL).unwrap();
    let out = dir.path().join("out");
    run(&[
        "run",
        model.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    run(&[
        "analyze",
        out.to_str().unwrap(),
        "--model",
        model.to_str().unwrap(),
        "--rsa-window",
        "10",
    ]);
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("analysis.json")).unwrap()).unwrap();
    let br = &doc["branching_ratio"];
    assert!(
        (br["value"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-12,
        "{br}"
    );
    assert_eq!(br["populations"], serde_json::json!(["a", "b"]));
    let rsa = &doc["rsa"]["b"];
    assert_eq!(rsa["conditions"], 4);
    let rdm = rsa["rdm"].as_array().unwrap();
    assert_eq!(rdm.len(), 4);
    for (i, row) in rdm.iter().enumerate() {
        assert_eq!(row[i], 0.0);
    }
    for row in rsa["geo_topological"].as_array().unwrap() {
        for x in row.as_array().unwrap() {
            let x = x.as_f64().unwrap();
            assert!((0.0..=1.0).contains(&x));
        }
    }
}

/// Without the model file (moved away) the branching ratio is null with a reason, and the rest
/// of the analysis is still written.
#[test]
fn branching_ratio_needs_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.toml");
    std::fs::write(&model, MODEL).unwrap();
    let out = dir.path().join("out");
    run(&[
        "run",
        model.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    std::fs::remove_file(&model).unwrap();
    run(&["analyze", out.to_str().unwrap()]);
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("analysis.json")).unwrap()).unwrap();
    assert!(doc["branching_ratio"]["value"].is_null());
    assert!(
        doc["branching_ratio"]["reason"]
            .as_str()
            .unwrap()
            .contains("--model")
    );
    assert!(doc["populations"]["b"]["spikes"].as_u64().unwrap() == 6);
    assert!(doc.get("rsa").is_none());
}
