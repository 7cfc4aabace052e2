//! Malformed model files given to the `glia` binary.
//!
//! Every case is run through both `glia validate` and `glia run`, each in a fresh temporary
//! directory, and must
//! - exit with code 2 (bad input),
//! - name the offending field and value on stderr,
//! - not panic,
//! - leave no file or directory behind (no output directory, no partial files).
//!
//! All cases are checked and every failure is reported before the test fails.

use ndarray::{Array1, Array2};
use ndarray_npy::NpzWriter;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const GLIA: &str = env!("CARGO_BIN_EXE_glia");
const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples");

/// A small valid model; each case breaks one thing in it.
const BASE: &str = r#"
[simulation]
dt = 0.1
duration = 10.0

[[populations]]
name = "a"
size = 10
model = "lif"
params = { tau_m = 10.0, V_th = -55.0 }

[[populations]]
name = "b"
size = 4
model = "lif"
ports.exc = { type = "conductance", tau_syn = 5.0, E_rev = 0.0 }

[[inputs]]
kind = "dc"
target = "a"
amplitude = 400.0
ids = [0, 1]

[[projections]]
source = "a"
target = "a"
port = "exc"
connect = { rule = "fixed_probability", p = 0.5 }
weight = 20.0
delay = 1.0

[[projections]]
source = "a"
target = "b"
port = "exc"
connect = { rule = "all_to_all" }
weight = 1.0
delay = 0.5

[[monitors]]
kind = "spikes"
population = "a"

[[monitors]]
kind = "state"
population = "a"
variables = ["v"]
ids = [0]

[[monitors]]
kind = "rate"
population = "a"
bin = 1.0
"#;

/// `BASE` with the one occurrence of `from` replaced by `to`.
fn edit(from: &str, to: &str) -> Vec<u8> {
    assert_eq!(
        BASE.matches(from).count(),
        1,
        "test bug: `{from}` must occur exactly once in BASE"
    );
    BASE.replacen(from, to, 1).into_bytes()
}

/// `BASE` with `text` prepended (top-level keys must come before the first table).
fn prepend(text: &str) -> Vec<u8> {
    format!("{text}\n{BASE}").into_bytes()
}

/// `BASE` with `text` appended.
fn append(text: &str) -> Vec<u8> {
    format!("{BASE}\n{text}\n").into_bytes()
}

/// Write an `.npz` with integer `targets` and the given `sources` array.
fn write_npz<A: ndarray_npy::WritableElement, D: ndarray::Dimension>(
    path: &Path,
    sources: &ndarray::Array<A, D>,
) {
    let mut z = NpzWriter::new(std::fs::File::create(path).unwrap());
    z.add_array("sources", sources).unwrap();
    z.add_array("targets", &Array1::from(vec![0i64, 1, 2, 3]))
        .unwrap();
    z.finish().unwrap();
}

struct Case {
    name: &'static str,
    model: Vec<u8>,
    /// Writes extra files (connectivity arrays) into the case's directory.
    setup: Option<fn(&Path)>,
    /// Substrings stderr must contain: the field path and the offending value.
    expect: Vec<&'static str>,
}

fn case(name: &'static str, model: Vec<u8>, expect: &[&'static str]) -> Case {
    Case {
        name,
        model,
        setup: None,
        expect: expect.to_vec(),
    }
}

fn cases() -> Vec<Case> {
    let explicit = "connect = { rule = \"explicit\", file = \"conn.npz\" }";
    vec![
        case(
            "unknown top-level field",
            prepend("bogus = 1"),
            &["bogus: unknown field `bogus`"],
        ),
        case(
            "unknown field in [simulation]",
            edit("dt = 0.1", "dt = 0.1\nfoo = 2"),
            &["simulation.foo: unknown field `foo`"],
        ),
        case(
            "unknown field in params",
            edit("tau_m = 10.0", "tau_mm = 10.0"),
            &["populations[0].params.tau_mm: unknown field `tau_mm`"],
        ),
        case(
            "negative time constant",
            edit("tau_m = 10.0", "tau_m = -5"),
            &["populations[0].params.tau_m: must be > 0, got -5"],
        ),
        case(
            "V_reset not below V_th",
            edit("V_th = -55.0", "V_th = -55.0, V_reset = -50.0"),
            &["populations[0].params.V_reset: must be below V_th (-55), got -50"],
        ),
        case(
            "delay below dt",
            edit("delay = 1.0", "delay = 0.05"),
            &["projections[0].delay: must be ≥ dt (0.1 ms), got 0.05"],
        ),
        case(
            "missing source population",
            edit(
                "source = \"a\"\ntarget = \"a\"",
                "source = \"ghost\"\ntarget = \"a\"",
            ),
            &["projections[0].source: no population named \"ghost\""],
        ),
        case(
            "dc amplitude finite in f64, infinite in f32 (issue 12)",
            edit("amplitude = 400.0", "amplitude = 1e300"),
            &[
                "inputs[0].amplitude: must be within ±3.4028235e38 (stored as 32-bit floats), got 1e300",
            ],
        ),
        case(
            "missing input target population",
            edit("target = \"a\"\namplitude", "target = \"ghost\"\namplitude"),
            &["inputs[0].target: no population named \"ghost\""],
        ),
        case(
            "missing connectivity file",
            edit(
                "connect = { rule = \"fixed_probability\", p = 0.5 }",
                "connect = { rule = \"explicit\", file = \"nope.npz\" }",
            ),
            &["projections[0].connect.file", "nope.npz"],
        ),
        Case {
            name: "2-D sources array in the npz",
            model: edit(
                "connect = { rule = \"fixed_probability\", p = 0.5 }",
                explicit,
            ),
            setup: Some(|dir| {
                write_npz(
                    &dir.join("conn.npz"),
                    &Array2::from_shape_vec((2, 2), vec![0i64, 1, 2, 3]).unwrap(),
                );
            }),
            expect: vec![
                "projections[0].connect.file",
                "conn.npz (array 'sources')",
                "expected a 1-D array, got shape [2, 2]",
            ],
        },
        Case {
            name: "float sources array in the npz",
            model: edit(
                "connect = { rule = \"fixed_probability\", p = 0.5 }",
                explicit,
            ),
            setup: Some(|dir| {
                write_npz(
                    &dir.join("conn.npz"),
                    &Array1::from(vec![0.0f64, 1.0, 2.0, 3.0]),
                );
            }),
            expect: vec![
                "projections[0].connect.file",
                "conn.npz (array 'sources')",
                "indices must have an integer dtype, got a float array",
            ],
        },
        Case {
            name: "NaN weight in the npz (issue 12)",
            model: edit(
                "connect = { rule = \"fixed_probability\", p = 0.5 }",
                explicit,
            ),
            setup: Some(|dir| {
                let mut z = NpzWriter::new(std::fs::File::create(dir.join("conn.npz")).unwrap());
                z.add_array("sources", &Array1::from(vec![0i64, 1, 2, 3]))
                    .unwrap();
                z.add_array("targets", &Array1::from(vec![0i64, 1, 2, 3]))
                    .unwrap();
                z.add_array("weights", &Array1::from(vec![1.0f64, 2.0, f64::NAN, 4.0]))
                    .unwrap();
                z.finish().unwrap();
            }),
            expect: vec![
                "projections[0].connect.file",
                "conn.npz (array 'weights')",
                "element 2 is NaN",
            ],
        },
        Case {
            name: "infinite initial value in an npy (issue 12)",
            model: edit(
                "params = { tau_m = 10.0, V_th = -55.0 }",
                "params = { tau_m = 10.0, V_th = -55.0 }\ninitial.v = { file = \"v0.npy\" }",
            ),
            setup: Some(|dir| {
                let v = Array1::from(vec![
                    -70.0f32,
                    -65.0,
                    -60.0,
                    f32::NEG_INFINITY,
                    0.0,
                    0.0,
                    0.0,
                    0.0,
                    0.0,
                    0.0,
                ]);
                ndarray_npy::write_npy(dir.join("v0.npy"), &v).unwrap();
            }),
            expect: vec!["populations[0].initial.v.file", "v0.npy: element 3 is -inf"],
        },
        case(
            "NaN weight",
            edit("weight = 20.0", "weight = nan"),
            &["projections[0].weight: must be finite, got NaN"],
        ),
        case(
            "infinite weight",
            edit("weight = 20.0", "weight = inf"),
            &["projections[0].weight: must be finite, got inf"],
        ),
        case(
            "weight expression naming an unknown parameter",
            edit("weight = 20.0", "weight = \"= nope * 2\""),
            &["projections[0].weight: cannot evaluate \"= nope * 2\""],
        ),
        case(
            "zero duration",
            edit("duration = 10.0", "duration = 0"),
            &["simulation.duration: must be > 0 ms, got 0"],
        ),
        case(
            "negative duration",
            edit("duration = 10.0", "duration = -5.0"),
            &["simulation.duration: must be > 0 ms, got -5"],
        ),
        case(
            "probability above 1",
            edit("p = 0.5", "p = 1.5"),
            &["projections[0].connect.p: must be a probability in [0, 1], got 1.5"],
        ),
        case(
            "negative probability",
            edit("p = 0.5", "p = -0.1"),
            &["projections[0].connect.p: must be a probability in [0, 1], got -0.1"],
        ),
        case(
            "duplicate population name",
            edit("name = \"b\"", "name = \"a\""),
            &["populations[1].name: duplicate population name \"a\""],
        ),
        case(
            "empty population",
            edit("size = 10", "size = 0"),
            &["populations[0].size: must be between 1 and 4294967295, got 0"],
        ),
        Case {
            name: "non-UTF-8 file",
            model: [b"# caf\xe9 au lait\n".as_slice(), BASE.as_bytes()].concat(),
            setup: None,
            expect: vec!["model.toml: not valid UTF-8 (invalid byte at offset 5)"],
        },
        case(
            "TOML syntax error",
            edit("dt = 0.1", "dt = = 0.1"),
            &["model.toml: TOML syntax error", "line 3", "dt = = 0.1"],
        ),
        case(
            "unknown model",
            edit("model = \"lif\"\nparams", "model = \"izh\"\nparams"),
            &["populations[0].model: unknown model \"izh\""],
        ),
        case(
            "unknown port",
            edit(
                "port = \"exc\"\nconnect = { rule = \"fixed_probability\"",
                "port = \"ampa\"\nconnect = { rule = \"fixed_probability\"",
            ),
            &["projections[0].port: population \"a\" has no port \"ampa\""],
        ),
        case(
            "wrong type",
            edit("size = 10", "size = \"ten\""),
            &["populations[0].size: invalid type: string \"ten\""],
        ),
        case(
            "state monitor on a missing variable",
            edit("variables = [\"v\"]", "variables = [\"v\", \"w\"]"),
            &["monitors[1].variables[1]", "has no state variable \"w\""],
        ),
        case(
            "negative weight on a conductance port",
            edit("weight = 1.0", "weight = -1.0"),
            &[
                "projections[1].weight",
                "conductance-based: weights must be ≥ 0 nS",
                "got -1",
            ],
        ),
        case(
            "state monitor listing a variable twice",
            edit("variables = [\"v\"]", "variables = [\"v\", \"v\"]"),
            &["monitors[1].variables[1]: variable listed twice, got \"v\" again"],
        ),
        case(
            "two rate monitors on one population",
            append("[[monitors]]\nkind = \"rate\"\npopulation = \"a\""),
            &["monitors[3].population: population \"a\" already has a rate monitor (monitors[2])"],
        ),
        case(
            "current input naming a neuron twice",
            edit("ids = [0, 1]", "ids = [0, 1, 0]"),
            &["inputs[0].ids[2]: neuron 0 is already listed at inputs[0].ids[0], got 0 again"],
        ),
        case(
            "unknown port kernel",
            edit(
                "tau_syn = 5.0, E_rev",
                "kernel = \"beta\", tau_syn = 5.0, E_rev",
            ),
            &["populations[1].ports.exc.kernel", "unknown kernel \"beta\""],
        ),
        case(
            "delta port with a time constant",
            edit(
                "type = \"conductance\", tau_syn = 5.0, E_rev = 0.0",
                "kernel = \"delta\", tau_syn = 5.0",
            ),
            &[
                "populations[1].ports.exc.tau_syn",
                "a delta port has no time constant",
            ],
        ),
        case(
            "conductance delta port",
            edit(
                "tau_syn = 5.0, E_rev = 0.0",
                "kernel = \"delta\", E_rev = 0.0",
            ),
            &[
                "populations[1].ports.exc.type",
                "a delta port is a current port",
            ],
        ),
        case(
            "alpha port without tau_syn",
            edit(
                "tau_syn = 5.0, E_rev = 0.0",
                "kernel = \"alpha\", E_rev = 0.0",
            ),
            &["populations[1].ports.exc.tau_syn", "missing"],
        ),
        case(
            "negative noise std",
            append("[[inputs]]\nkind = \"noise\"\ntarget = \"a\"\nstd = -1.0"),
            &["inputs[1].std: must be ≥ 0, got -1"],
        ),
        case(
            "rate leak out of range",
            append(
                "[[populations]]\nname = \"r\"\nsize = 5\nmodel = \"rate\"\nparams = { leak = 1.5 }",
            ),
            &["populations[2].params.leak: must be in (0, 1], got 1.5"],
        ),
        case(
            "unknown rate activation",
            append(
                "[[populations]]\nname = \"r\"\nsize = 5\nmodel = \"rate\"\nparams = { activation = \"softplus\" }",
            ),
            &["populations[2].params.activation", "softplus"],
        ),
        case(
            "spectral radius on a non-recurrent projection",
            edit(
                "weight = 1.0\ndelay = 0.5",
                "weight = 1.0\ndelay = 0.5\nspectral_radius = 0.9",
            ),
            &[
                "projections[1].spectral_radius",
                "only a recurrent projection",
            ],
        ),
        case(
            "unknown Izhikevich preset",
            append(
                "[[populations]]\nname = \"z\"\nsize = 5\nmodel = \"izhikevich\"\nparams = { preset = \"XY\" }",
            ),
            &["populations[2].params.preset", "\"XY\"", "RS"],
        ),
        case(
            "negative AdEx capacitance",
            append(
                "[[populations]]\nname = \"x\"\nsize = 5\nmodel = \"adex\"\nparams = { C_m = -200.0 }",
            ),
            &["populations[2].params.C_m", "-200"],
        ),
        case(
            "unknown AdEx preset",
            append(
                "[[populations]]\nname = \"x\"\nsize = 5\nmodel = \"adex\"\nparams = { preset = \"chaotic\" }",
            ),
            &["populations[2].params.preset", "chaotic", "tonic"],
        ),
        case(
            "zero adaptation time constant",
            append(
                "[[populations]]\nname = \"x\"\nsize = 5\nmodel = \"lif_adapt\"\nparams = { tau_w = 0.0 }",
            ),
            &["populations[2].params.tau_w", "got 0"],
        ),
        case(
            "zero spectral radius",
            edit("weight = 20.0", "weight = 20.0\nspectral_radius = 0"),
            &["projections[0].spectral_radius: must be > 0, got 0"],
        ),
    ]
}

/// Relative paths of everything under `dir`.
fn listing(dir: &Path) -> BTreeSet<PathBuf> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeSet<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            out.insert(p.strip_prefix(root).unwrap().to_path_buf());
            if p.is_dir() {
                walk(root, &p, out);
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(dir, dir, &mut out);
    out
}

fn glia(dir: &Path, args: &[&str]) -> Output {
    Command::new(GLIA)
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run the glia binary")
}

/// Problems with one case under one subcommand (empty: it behaved).
fn check(case: &Case, subcommand: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("model.toml"), &case.model).unwrap();
    if let Some(setup) = case.setup {
        setup(dir.path());
    }
    let before = listing(dir.path());
    // `run` writes to `out/model` under the working directory unless told otherwise.
    let out = glia(dir.path(), &[subcommand, "model.toml"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let mut problems = Vec::new();
    if out.status.code() != Some(2) {
        problems.push(format!("exit status {:?}, expected 2", out.status.code()));
    }
    for e in &case.expect {
        if !stderr.contains(e) {
            problems.push(format!("stderr lacks {e:?}"));
        }
    }
    if stderr.contains("panicked") || stderr.contains("internal error") {
        problems.push("it panicked".into());
    }
    let after = listing(dir.path());
    let left: Vec<_> = after.difference(&before).collect();
    if !left.is_empty() {
        problems.push(format!("left behind {left:?}"));
    }
    if problems.is_empty() {
        return problems;
    }
    vec![format!(
        "[{} / glia {subcommand}] {}\n    stderr: {}",
        case.name,
        problems.join("; "),
        stderr.trim_end().replace('\n', "\n            ")
    )]
}

#[test]
fn bad_models_exit_2_with_field_and_value() {
    let cases = cases();
    let failures: Vec<String> = cases
        .iter()
        .flat_map(|c| ["validate", "run"].into_iter().flat_map(|s| check(c, s)))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} checks failed:\n{}",
        failures.len(),
        2 * cases.len(),
        failures.join("\n")
    );
}

/// The model the cases start from is itself valid and runs, so each case fails only because
/// of its own change.
#[test]
fn base_model_runs() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("model.toml"), BASE).unwrap();
    let out = glia(dir.path(), &["run", "model.toml", "--out", "res"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    for f in ["spikes.npz", "state.npz", "rates.npz", "summary.json"] {
        assert!(dir.path().join("res").join(f).is_file(), "{f} missing");
    }
}

#[test]
fn cuba_example_validates() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/cuba.toml");
    let out = Command::new(GLIA)
        .args(["validate", path])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("valid"));
}

#[test]
fn every_example_validates() {
    let mut models: Vec<PathBuf> = std::fs::read_dir(EXAMPLES)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    models.sort();
    assert!(!models.is_empty(), "no models in {EXAMPLES}");
    let failures: Vec<String> = models
        .iter()
        .filter_map(|m| {
            let out = Command::new(GLIA).arg("validate").arg(m).output().unwrap();
            (out.status.code() != Some(0)).then(|| {
                format!(
                    "{}: exit {:?}: {}",
                    m.display(),
                    out.status.code(),
                    String::from_utf8_lossy(&out.stderr).trim_end()
                )
            })
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
