//! NIR graphs written by the Python `nir` package (validation/nir_fixtures.py) load in glia and
//! simulate as docs/nir.md specifies.
#![cfg(feature = "hdf5")]

use glia_nir::import::{ImportOptions, InputSpikes};
use glia_sim::Network;
use std::path::{Path, PathBuf};
use toml::Value;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../validation/fixtures/nir")
        .join(name)
}

/// Import `file`, let `edit` change the model table, write it to a temporary directory, build.
fn build(
    file: &str,
    opts: ImportOptions,
    edit: impl FnOnce(&mut toml::Table),
) -> (Network, tempfile::TempDir) {
    let g = glia_nir::read(&fixture(file)).unwrap();
    let mut imp = glia_nir::import(&g, &opts).unwrap();
    edit(&mut imp.model);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.toml");
    imp.write(&path).unwrap();
    let model = glia_spec::load(&path, &Default::default())
        .unwrap_or_else(|e| panic!("{e}\n{}", imp.toml()));
    let net = glia_sim::build::build(&model).unwrap();
    (net, dir)
}

fn run(net: &mut Network) {
    let steps = net.planned_steps;
    assert!(net.run(steps, &mut |_| true).complete);
}

fn add_state_monitor(m: &mut toml::Table, pop: &str, n: i64) {
    let mons = m
        .entry("monitors")
        .or_insert(Value::Array(vec![]))
        .as_array_mut()
        .unwrap();
    let t: toml::Table = toml::from_str(&format!(
        "kind = \"state\"\npopulation = \"{pop}\"\nvariables = [\"v\"]\nids = {:?}\nname = \"{pop}_v\"",
        (0..n).collect::<Vec<_>>()
    ))
    .unwrap();
    mons.push(Value::Table(t));
}

/// One LIF neuron (τ = 20 ms, r = 2, v_leak = 0.2, threshold 1, reset 0) driven by an Affine's
/// bias b = 0.6: v(t) = v∞ + (v0 − v∞)e^{−t/τ}, v∞ = v_leak + r·b = 1.4, restarting from the
/// reset at each spike. At dt = 0.1 ms the neuron fires at the end of the first step with
/// v ≥ 1, so the spike times are the exact crossing times rounded up to the grid (the crossing
/// is ≥ 0.005 ms from a grid point here, far beyond f32 error), and the voltage matches the
/// exact solution to 2e-6 (f32 state).
#[test]
fn lif_bias_matches_exact_solution() {
    let opts = ImportOptions {
        dt: 0.1,
        duration: 100.0,
        ..Default::default()
    };
    let (mut net, _dir) = build("lif_bias.nir", opts, |m| add_state_monitor(m, "lif", 1));
    run(&mut net);
    let (tau, vl, vinf, th, reset) = (20.0, 0.2, 1.4, 1.0, 0.0);
    // exact solution on the grid with resets at grid times
    let mut spikes = Vec::new();
    let mut v_exact = Vec::new();
    let mut t0 = 0.0;
    let mut v0 = vl;
    for s in 0..1000u64 {
        let t = (s + 1) as f64 * 0.1;
        let mut v = vinf + (v0 - vinf) * (-(t - t0) / tau).exp();
        if v >= th {
            // the continuous crossing lies in this step
            let cross = t0 + tau * ((vinf - v0) / (vinf - th)).ln();
            assert!(
                cross > t - 0.1 + 0.005 && cross <= t - 0.005,
                "crossing {cross} too close to the grid"
            );
            spikes.push(s);
            v = reset;
            t0 = t;
            v0 = reset;
        }
        v_exact.push(v);
    }
    assert!(spikes.len() >= 4, "{spikes:?}");
    assert_eq!(net.monitors.spikes[0].steps, spikes);
    let rec = &net.monitors.state[0].data[0];
    for (s, (a, b)) in rec.iter().zip(&v_exact).enumerate() {
        assert!((a - b).abs() < 2e-6, "step {s}: glia {a}, exact {b}");
    }
}

/// Input → Affine → CubaLIF → Affine → CubaLI, against the numpy reference of
/// validation/nir_fixtures.py (matrix-exponential propagators in f64, the conventions of
/// docs/nir.md): identical hidden spike times (on the 0.1 ms grid), hidden and readout voltages
/// within 1e-4 absolute (f32 state; voltages are O(1)).
#[test]
fn cuba_network_matches_numpy_reference() {
    let r = glia_io::read_npz_array;
    let f = fixture("cuba_net_reference.npz");
    let get = |k: &str| -> Vec<f64> {
        match r(&f, k).unwrap().unwrap().1 {
            glia_io::ArrayData::Float(v) => v,
            glia_io::ArrayData::Int(v) => v.into_iter().map(|x| x as f64).collect(),
        }
    };
    let in_times = get("in_times");
    let in_ids: Vec<u32> = get("in_ids").iter().map(|&x| x as u32).collect();
    let mut opts = ImportOptions {
        dt: 0.1,
        duration: 60.0,
        ..Default::default()
    };
    opts.inputs.insert(
        "input".into(),
        InputSpikes {
            times: in_times,
            ids: in_ids,
        },
    );
    let (mut net, _dir) = build("cuba_net.nir", opts, |m| {
        add_state_monitor(m, "hidden", 4);
        let mons = m.get_mut("monitors").unwrap().as_array_mut().unwrap();
        mons.push(Value::Table(
            toml::from_str("kind = \"spikes\"\npopulation = \"hidden\"").unwrap(),
        ));
    });
    run(&mut net);
    let pops: Vec<&str> = net.pops.iter().map(|p| p.name.as_str()).collect();
    let hidden = pops.iter().position(|&p| p == "hidden").unwrap();
    let rec = net
        .monitors
        .spikes
        .iter()
        .find(|s| s.pop == hidden)
        .unwrap();
    let hidden_times = get("hidden_times");
    let hidden_ids = get("hidden_ids");
    assert!(
        hidden_times.len() >= 5,
        "reference has too few spikes to test"
    );
    let spikes: Vec<(f64, u32)> = rec
        .steps
        .iter()
        .zip(&rec.ids)
        .map(|(&s, &i)| ((s + 1) as f64 * 0.1, i))
        .collect();
    let want: Vec<(f64, u32)> = hidden_times
        .iter()
        .zip(&hidden_ids)
        .map(|(&t, &i)| (t, i as u32))
        .collect();
    assert_eq!(spikes.len(), want.len(), "glia {spikes:?}\nnumpy {want:?}");
    for (a, b) in spikes.iter().zip(&want) {
        assert!(
            (a.0 - b.0).abs() < 1e-9 && a.1 == b.1,
            "glia {a:?}, numpy {b:?}"
        );
    }
    let hv = get("hidden_v");
    let ov = get("readout_v");
    let find = |name: &str| net.monitors.state.iter().find(|m| m.name == name).unwrap();
    let (gh, go) = (&find("hidden_v").data[0], &find("readout").data[0]);
    let maxdiff = |a: &[f64], b: &[f64]| {
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f64::max)
    };
    assert_eq!(gh.len(), hv.len());
    assert_eq!(go.len(), ov.len());
    assert!(
        maxdiff(gh, &hv) < 1e-4,
        "hidden v differs by {}",
        maxdiff(gh, &hv)
    );
    assert!(
        maxdiff(go, &ov) < 1e-4,
        "readout v differs by {}",
        maxdiff(go, &ov)
    );
    assert!(ov.iter().any(|x| x.abs() > 0.1), "readout moves");
}

/// Every supported edge node (Conv2d with padding, Flatten, Scale, Linear, Delay, Conv1d) and
/// the IF, LI and I neurons import and build; the convolution is unrolled to the right number
/// of synapses and the Delay node's delays (1, 2, 1, 0.5, 0 ms) appear on top of one step.
#[test]
fn node_zoo_imports() {
    let g = glia_nir::read(&fixture("node_zoo.nir")).unwrap();
    let imp = glia_nir::import(&g, &ImportOptions::default()).unwrap();
    let text = imp.toml();
    for name in ["if1", "li", "integ", "lif1", "input"] {
        assert!(
            text.contains(&format!("name = \"{name}\"")),
            "{name} missing:\n{text}"
        );
    }
    let conv = imp
        .synapses
        .iter()
        .find(|s| s.file.contains("input_to_if1"))
        .unwrap();
    // 3x3 input, 2x2 kernel, stride 1, padding 1 → 4x4 outputs per channel: every tap of the
    // kernel joins each of the 9 inputs to exactly one output. The 8 kernel values are
    // k/10 − 0.3, k = 0..8: one of them (k = 3) is 0 and makes no synapses.
    let taps_nonzero = 7;
    assert_eq!(
        conv.sources.len(),
        taps_nonzero * 9,
        "{}",
        conv.sources.len()
    );
    let lin = imp
        .synapses
        .iter()
        .find(|s| s.file.contains("if1_to_li"))
        .unwrap();
    let mut ds: Vec<f64> = lin.delays.clone();
    ds.sort_by(f64::total_cmp);
    ds.dedup();
    let want = [0.1, 0.6, 1.1, 2.1];
    assert_eq!(ds.len(), want.len(), "{ds:?}");
    for (a, b) in ds.iter().zip(want) {
        assert!((a - b).abs() < 1e-12, "{ds:?}");
    }
    // builds and runs
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("zoo.toml");
    imp.write(&path).unwrap();
    let model =
        glia_spec::load(&path, &Default::default()).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let mut net = glia_sim::build::build(&model).unwrap();
    run(&mut net);
}

/// A node type glia cannot import is refused with its name and type.
#[test]
fn unsupported_node_is_named() {
    let g = glia_nir::read(&fixture("unsupported.nir")).unwrap();
    let e = glia_nir::import(&g, &ImportOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("nodes.thr: NIR node type \"Threshold\" is not supported"),
        "{e}"
    );
}

/// Regression (issue 12, `nir` fuzz target): a corrupt file whose node type string is not
/// UTF-8 is refused when read, naming the dataset, instead of panicking when the type is
/// formatted into the import's error.
#[test]
fn non_utf8_string_is_refused() {
    let f = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/regressions/nir/crash-7e13b74eedca4e1b55045e5bf5c204ac42413d68");
    let e = glia_nir::read(&f).unwrap_err().to_string();
    assert!(e.contains("not valid UTF-8"), "{e}");
}

/// Regression (issue 12, `nir` fuzz target): a corrupt convolution whose sizes or padding
/// unroll into an astronomical number of positions hung the import (a libFuzzer timeout, over
/// 29 s); the positions a kernel reaches are now computed in closed form and the size is
/// refused, naming the node, before anything is allocated.
#[test]
fn huge_convolution_is_refused_quickly() {
    let f = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/regressions/nir/timeout-d451a9ffb78127b1f07040e2ac473782e9f3cfe9");
    let g = glia_nir::read(&f).unwrap();
    let t = std::time::Instant::now();
    let e = glia_nir::import(&g, &ImportOptions::default())
        .unwrap_err()
        .to_string();
    assert!(t.elapsed().as_secs_f64() < 2.0, "{:?}", t.elapsed());
    assert!(
        e.starts_with("nodes.conv: unrolls into ")
            && e.contains("outputs from 9 inputs: more than the 16777216 glia imports"),
        "{e}"
    );
}
