//! `glia bench`: bundled networks and model files, the warm-up, the JSON record and its
//! errors. Short durations: this checks the command, not the speed.

use std::process::Command;

const GLIA: &str = env!("CARGO_BIN_EXE_glia");
const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples");

fn bench_json(args: &[&str]) -> serde_json::Value {
    let out = Command::new(GLIA)
        .arg("bench")
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "glia bench {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    serde_json::from_str(text.trim().lines().last().unwrap()).unwrap()
}

#[test]
fn bundled_name_and_file_path_give_the_same_network_and_figures() {
    let by_name = bench_json(&["cuba", "--duration", "50"]);
    let path = format!("{EXAMPLES}/cuba.toml");
    let by_path = bench_json(&[&path, "--duration", "40", "--warmup", "10"]);
    for r in [&by_name, &by_path] {
        assert_eq!(r["neurons"], 4000);
        for key in [
            "build_s",
            "sim_wall_s",
            "s_per_bio_s",
            "synaptic_events_per_s",
            "peak_rss_mib",
            "build_peak_rss_mib",
        ] {
            let x = r[key].as_f64().unwrap_or_else(|| panic!("{key}: {r}"));
            assert!(x.is_finite() && x > 0.0, "{key} = {x}");
        }
        assert!(r["peak_rss_mib"].as_f64() >= r["build_peak_rss_mib"].as_f64());
        assert!(r["pop_rates_hz"]["exc"].as_f64().unwrap() > 0.0);
    }
    // The same file and seed: the same synapses.
    assert_eq!(by_name["synapses"], by_path["synapses"]);
    // The warm-up is simulated but not counted: 40 ms are timed.
    assert_eq!(by_name["bio_s"], 0.05);
    assert_eq!(by_path["bio_s"], 0.04);
    assert_eq!(by_path["warmup_s"], 0.01);
}

#[test]
fn microcircuit_scene_reports_every_population() {
    let r = bench_json(&[
        "microcircuit",
        "--param",
        "scale=0.01",
        "--duration",
        "10",
        "--warmup",
        "5",
    ]);
    assert_eq!(r["neurons"], 772);
    let rates = r["pop_rates_hz"].as_object().unwrap();
    let names: Vec<&str> = rates.keys().map(|k| k.as_str()).collect();
    for p in ["L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I"] {
        assert!(names.contains(&p), "{p} missing from {names:?}");
    }
}

#[test]
fn unknown_network_bad_warmup_and_experiments_are_input_errors() {
    for (args, needle) in [
        (vec!["nosuchnet"], "neither a bundled network"),
        (vec!["cuba", "--warmup=-1"], "--warmup: must be"),
        (
            vec![concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../examples/esn_narma10.toml"
            )],
            "is a reservoir experiment",
        ),
    ] {
        let out = Command::new(GLIA)
            .arg("bench")
            .args(&args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}
