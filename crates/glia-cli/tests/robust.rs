//! Issue 12 through the `glia` binary: a numerical fault stops the run with partial outputs
//! marked incomplete (exit 3); a model too large for the machine is refused before anything is
//! allocated (exit 2); `glia validate` prints the memory estimate.

use std::process::{Command, Output};
use std::time::{Duration, Instant};

const GLIA: &str = env!("CARGO_BIN_EXE_glia");

/// 1500 LIF neurons driven by Poisson input; neuron 1234 gets two spikes of 3e38 pA (a finite
/// weight) at 5 and 5.1 ms: its synaptic current overflows to infinity at step 52.
const OVERFLOW: &str = r#"
[simulation]
dt = 0.1
duration = 50.0

[[populations]]
name = "cells"
size = 1500
model = "lif"
params = { tau_m = 20.0, C_m = 200.0, E_L = -70.0, V_th = -54.0, V_reset = -60.0 }
ports.exc = { type = "current", tau_syn = 5.0 }

[[populations]]
name = "kick"
size = 1500
model = "spike_generator"
params = { times = [5.0, 5.1], ids = [1234, 1234] }

[[inputs]]
kind = "poisson"
target = "cells"
port = "exc"
rate = 2000.0
weight = 30.0

[[projections]]
source = "kick"
target = "cells"
port = "exc"
connect = { rule = "one_to_one" }
weight = 3e38
delay = 0.1

[[monitors]]
kind = "spikes"
population = "cells"
"#;

fn glia(dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(GLIA)
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn non_finite_state_stops_the_run_with_partial_outputs() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("m.toml"), OVERFLOW).unwrap();
    let o = glia(dir.path(), &["run", "m.toml", "--out", "out"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    for want in [
        "population \"cells\"",
        "neuron 1234",
        "variable I_exc",
        "at step 60 (t = 6 ms)",
        // the overflow arises in step 52; checks every 20 steps
        "steps 41..=60",
    ] {
        assert!(err.contains(want), "{want:?} not in {err}");
    }
    let out = dir.path().join("out");
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(s["complete"], false);
    assert!(s["stopped"].as_str().unwrap().contains("neuron 1234"));
    assert_eq!(s["simulation"]["steps"], 60);
    // the spikes of the 6 ms before are written and readable
    let ids = glia_io::read_npz_array(&out.join("spikes.npz"), "cells.ids")
        .unwrap()
        .unwrap();
    assert!(!ids.1.is_empty());

    // warn: one warning, the run completes
    let o = glia(
        dir.path(),
        &["run", "m.toml", "--out", "w", "--on-nan", "warn"],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert_eq!(err.matches("warning: non-finite state").count(), 1, "{err}");
    // off: no check, no warning
    let o = glia(
        dir.path(),
        &["run", "m.toml", "--out", "f", "--on-nan", "off"],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(!err.contains("non-finite"), "{err}");
}

#[test]
fn oversized_model_is_refused_before_allocation() {
    let dir = tempfile::tempdir().unwrap();
    // 1e6 × 1e6 all-to-all: 1e12 synapses, about 24 TiB
    let text = r#"
[simulation]
dt = 0.1
duration = 1000.0

[[populations]]
name = "huge"
size = 1000000
model = "lif"

[[projections]]
name = "dense"
source = "huge"
target = "huge"
port = "exc"
connect = { rule = "all_to_all" }
weight = 1.0
delay = 1.0
"#;
    std::fs::write(dir.path().join("big.toml"), text).unwrap();
    for cmd in ["validate", "run"] {
        let t0 = Instant::now();
        let o = glia(
            dir.path(),
            &[cmd, "big.toml", "--out", "out"][..if cmd == "run" { 4 } else { 2 }],
        );
        let took = t0.elapsed();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{cmd}: {err}");
        for want in [
            "the model needs about",
            "TiB",
            "available (MemAvailable)",
            "projections[0] (dense): 1.000e12 synapses",
            "--no-memory-check",
        ] {
            assert!(err.contains(want), "{cmd}: {want:?} not in {err}");
        }
        assert!(took < Duration::from_secs(10), "{cmd} took {took:?}");
        assert!(!dir.path().join("out").exists());
    }
}

#[test]
fn validate_prints_the_estimate() {
    let dir = tempfile::tempdir().unwrap();
    let model = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/cuba.toml");
    let o = glia(dir.path(), &["validate", model]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.contains("estimated memory"), "{out}");
    assert!(out.contains("e5 synapses"), "{out}");
}
