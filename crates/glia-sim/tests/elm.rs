//! Expressive Leaky Memory neuron (`elm`) against the float64 NumPy implementation of its
//! equations, `validation/elm_reference.py`, through its committed fixture
//! `validation/fixtures/elm_small.npz` (4 branches of 3 synapses, 6 memory units, two hidden
//! layers, 2 outputs, 200 steps of binary input), and its bad-input errors.

mod common;
use glia_io::{ArrayData, NpzOut};
use glia_sim::neurons::elm::{Activation, Elm, ElmWeights, UpdateActivation};
use ndarray::{Array2, ArrayD, IxDyn};
use std::path::{Path, PathBuf};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../validation/fixtures/elm_small.npz"
);

/// Absolute tolerance on y, m and b (values up to about 6); measured error of the f32 engine
/// is below 4e-6 (m, the largest).
const TOL: f64 = 1e-5;

fn fixture_array(name: &str) -> (Vec<usize>, ArrayData) {
    glia_io::read_npz_array(Path::new(FIXTURE), name)
        .unwrap()
        .unwrap_or_else(|| panic!("fixture has no array {name}"))
}

fn floats(name: &str) -> Array2<f64> {
    let (shape, data) = fixture_array(name);
    let v = match data {
        ArrayData::Float(v) => v,
        ArrayData::Int(v) => v.into_iter().map(|i| i as f64).collect(),
    };
    let shape = match shape.len() {
        0 => vec![1, 1],
        1 => vec![1, shape[0]],
        _ => shape,
    };
    Array2::from_shape_vec((shape[0], shape[1]), v).unwrap()
}

fn dt() -> f64 {
    floats("dt")[[0, 0]]
}

/// Largest |got − want| over a trace, with where it happens.
fn max_err(what: &str, got: &Array2<f64>, want: &Array2<f64>) -> f64 {
    assert_eq!(got.dim(), want.dim(), "{what}: shape");
    let mut worst = (0.0f64, 0, 0);
    for ((i, j), &w) in want.indexed_iter() {
        let e = (got[[i, j]] - w).abs();
        if e.is_nan() || e > worst.0 {
            worst = (e, i, j);
        }
    }
    assert!(
        worst.0 <= TOL,
        "{what}: |error| {} at step {}, column {} (got {}, want {})",
        worst.0,
        worst.1,
        worst.2,
        got[[worst.1, worst.2]],
        want[[worst.1, worst.2]]
    );
    worst.0
}

/// The library forward pass (weights from the fixture file, `Elm::forward` on the fixture's
/// input) equals the NumPy outputs y, m and b at every step to 1e-5 absolute; so does y with
/// the other activations (SiLU hidden layers, g = tanh).
#[test]
fn library_forward_matches_numpy() {
    let w = ElmWeights::load(Path::new(FIXTURE), "fixture").unwrap();
    assert_eq!(
        (w.n_branch(), w.n_memory(), w.n_output(), w.n_synapse()),
        (4, 6, 2, 12)
    );
    let elm = Elm::new(&w, dt()).unwrap();
    let tr = elm.forward(floats("x").view()).unwrap();
    let e = [
        max_err("y", &tr.y, &floats("y_ref")),
        max_err("m", &tr.m, &floats("m_ref")),
        max_err("b", &tr.b, &floats("b_ref")),
    ];
    let mut w2 = w.clone();
    w2.activation = Activation::Silu;
    w2.update = UpdateActivation::Tanh;
    let tr2 = Elm::new(&w2, dt())
        .unwrap()
        .forward(floats("x").view())
        .unwrap();
    let e2 = max_err("y (silu, tanh)", &tr2.y, &floats("y_silu_tanh"));
    eprintln!(
        "library forward: max |error| y {:.2e}, m {:.2e}, b {:.2e}; silu/tanh y {e2:.2e}",
        e[0], e[1], e[2]
    );
}

fn write_npz(path: &Path, arrays: &[(&str, Vec<usize>, ArrayData)]) {
    let mut z = NpzOut::create(path).unwrap();
    for (name, shape, data) in arrays {
        match data {
            ArrayData::Float(v) => z
                .add(
                    name,
                    &ArrayD::from_shape_vec(IxDyn(shape), v.clone()).unwrap(),
                )
                .unwrap(),
            ArrayData::Int(v) => z
                .add(
                    name,
                    &ArrayD::from_shape_vec(IxDyn(shape), v.clone()).unwrap(),
                )
                .unwrap(),
        }
    }
    z.finish().unwrap();
}

/// A model file: the fixture's input as a spike generator (one neuron per synapse; a spike at
/// `k·dt` for every `x[k, s] = 1`, delivered with a one-step delay, so it is branch input of
/// step k), connected to every neuron of an `elm` population of `size` neurons through one
/// explicit projection per branch with weights `relu(w_s)`, written into `dir`.
fn population_model(dir: &Path, size: usize) -> String {
    let w = ElmWeights::load(Path::new(FIXTURE), "fixture").unwrap();
    let x = floats("x");
    let dt = dt();
    let (mut times, mut ids) = (Vec::new(), Vec::new());
    for ((k, s), &v) in x.indexed_iter() {
        if v != 0.0 {
            assert!(k > 0, "the fixture has no input in step 0");
            times.push(format!("{:.1}", k as f64 * dt));
            ids.push(s.to_string());
        }
    }
    let mut text = format!(
        r#"
        [simulation]
        dt = {dt}
        duration = {duration}
        [[populations]]
        name = "in"
        size = {n_syn}
        model = "spike_generator"
        params = {{ times = [{times}], ids = [{ids}] }}
        [[populations]]
        name = "elm"
        size = {size}
        model = "elm"
        params = {{ weights = "{fixture}" }}
        [[monitors]]
        kind = "state"
        population = "elm"
        variables = ["y", "y0", "y1", "m0", "m1", "m2", "m3", "m4", "m5", "b0", "b1", "b2", "b3"]
        ids = [0, {last}]
        [[monitors]]
        kind = "spikes"
        population = "elm"
        [[monitors]]
        kind = "rate"
        population = "elm"
        bin = 10.0
        "#,
        duration = x.nrows() as f64 * dt,
        n_syn = x.ncols(),
        times = times.join(", "),
        ids = ids.join(", "),
        fixture = FIXTURE,
        last = size - 1,
    );
    for k in 0..w.n_branch() {
        let syn: Vec<usize> = (0..w.n_synapse())
            .filter(|&s| w.synapse_branch[s] == k)
            .collect();
        let (mut src, mut tgt, mut wt) = (Vec::new(), Vec::new(), Vec::new());
        for &s in &syn {
            for t in 0..size {
                src.push(s as i64);
                tgt.push(t as i64);
                wt.push(w.w_s[s].max(0.0));
            }
        }
        let n = src.len();
        let file = format!("branch{k}.npz");
        write_npz(
            &dir.join(&file),
            &[
                ("sources", vec![n], ArrayData::Int(src)),
                ("targets", vec![n], ArrayData::Int(tgt)),
                ("weights", vec![n], ArrayData::Float(wt)),
            ],
        );
        text += &format!(
            r#"
        [[projections]]
        source = "in"
        target = "elm"
        port = "b{k}"
        connect = {{ rule = "explicit", file = "{file}" }}
        delay = {dt}
        "#
        );
    }
    text
}

fn build_in(dir: &Path, text: &str) -> Result<glia_sim::Network, String> {
    let model = glia_spec::parse(text, dir, &Default::default()).map_err(|e| e.to_string())?;
    glia_sim::build::build(&model).map_err(|e| e.to_string())
}

/// The TOML population path: spikes from a generator through explicit projections into the
/// branch ports of a population of 40 `elm` neurons (two tiles), all with the same input.
/// The recorded y, y0, y1, m0…m5, b0…b3 of the first and last neuron equal the NumPy outputs
/// at every step to 1e-5 absolute, `y` equals `y0`, and the population emits no spikes (its
/// spike and rate monitors stay empty).
#[test]
fn toml_population_matches_numpy() {
    let dir = tempfile::tempdir().unwrap();
    let size = 40;
    let text = population_model(dir.path(), size);
    let mut net = build_in(dir.path(), &text).unwrap();
    common::run(&mut net);
    let m = &net.monitors.state[0];
    let steps = floats("x").nrows();
    assert_eq!(m.steps, (0..steps as u64).collect::<Vec<_>>());
    let (y, mm, b) = (floats("y_ref"), floats("m_ref"), floats("b_ref"));
    let mut worst = 0.0f64;
    for (v, name) in m.variables.iter().enumerate() {
        let (want, col) = match name.as_str() {
            "y" => (&y, 0),
            n if n.starts_with('y') => (&y, n[1..].parse().unwrap()),
            n if n.starts_with('m') => (&mm, n[1..].parse().unwrap()),
            n => (&b, n[1..].parse().unwrap()),
        };
        for (slot, id) in [0, size - 1].into_iter().enumerate() {
            let got = Array2::from_shape_fn((steps, 1), |(t, _)| m.data[v][t * 2 + slot]);
            let want = want.slice(ndarray::s![.., col..col + 1]).to_owned();
            worst = worst.max(max_err(&format!("neuron {id} {name}"), &got, &want));
        }
    }
    assert_eq!(m.data[0], m.data[1], "y is y0");
    eprintln!("TOML population: max |error| {worst:.2e}");
    assert!(net.monitors.spikes[0].ids.is_empty());
    assert!(net.monitors.rates[0].counts.iter().all(|&c| c == 0));
    assert_eq!(net.stats[1].total, 0);
}

/// A copy of the fixture with array `name` replaced (or removed when `with` is `None`).
fn broken_fixture(dir: &Path, name: &str, with: Option<(Vec<usize>, ArrayData)>) -> PathBuf {
    let mut arrays = Vec::new();
    for n in glia_io::npz_names(Path::new(FIXTURE)).unwrap() {
        if n == name {
            continue;
        }
        let (shape, data) = fixture_array(&n);
        arrays.push((n, shape, data));
    }
    if let Some((shape, data)) = with {
        arrays.push((name.to_string(), shape, data));
    }
    static COUNT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let k = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = dir.join(format!("bad{k}_{name}.npz"));
    let refs: Vec<(&str, Vec<usize>, ArrayData)> = arrays
        .iter()
        .map(|(n, s, d)| (n.as_str(), s.clone(), d.clone()))
        .collect();
    write_npz(&path, &refs);
    path
}

fn elm_model(params: &str, extra: &str) -> String {
    format!(
        r#"
        [simulation]
        dt = 1.0
        duration = 10.0
        [[populations]]
        name = "src"
        size = 2
        model = "poisson"
        params = {{ rate = 50.0 }}
        [[populations]]
        name = "elm"
        size = 3
        model = "elm"
        params = {params}
        {extra}
        "#
    )
}

/// Bad weights files and parameters give errors naming the field and the array, never a panic:
/// missing file, missing array, wrong shapes, NaN, τ ≤ 0, layers not numbered consecutively,
/// synapse branches out of range; random-initialisation fields next to `weights`; bad sizes
/// and time constants of a random initialisation; user-declared ports; negative weights into
/// branch ports; current inputs.
#[test]
fn bad_input_names_field_and_array() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let f = |v: Vec<f64>| ArrayData::Float(v);
    let mut cases: Vec<(String, Vec<&str>)> = Vec::new();
    let file_case =
        |path: PathBuf| elm_model(&format!("{{ weights = \"{}\" }}", path.display()), "");
    cases.push((
        file_case(d.join("nope.npz")),
        vec!["populations[1].params.weights", "nope.npz"],
    ));
    cases.push((
        file_case(broken_fixture(d, "w_y", None)),
        vec!["populations[1].params.weights", "'w_y'", "no such array"],
    ));
    cases.push((
        file_case(broken_fixture(
            d,
            "mlp_w1",
            Some((vec![7, 9], f(vec![0.1; 63]))),
        )),
        vec![
            "populations[1].params.weights",
            "'mlp_w1'",
            "[7, 9]",
            "expected 10 columns",
        ],
    ));
    cases.push((
        file_case(broken_fixture(d, "b_y", Some((vec![3], f(vec![0.0; 3]))))),
        vec!["'b_y'", "expected shape [2]", "[3]"],
    ));
    cases.push((
        file_case(broken_fixture(
            d,
            "mlp_w2",
            Some((vec![5, 7], f(vec![0.1; 35]))),
        )),
        vec!["'mlp_w2'", "d_m = 6", "[5, 7]"],
    ));
    let mut nan = vec![0.1; 12];
    nan[3] = f64::NAN;
    cases.push((
        file_case(broken_fixture(d, "w_y", Some((vec![2, 6], f(nan))))),
        vec!["populations[1].params.weights", "'w_y'", "element 3 is NaN"],
    ));
    cases.push((
        file_case(broken_fixture(
            d,
            "tau_m",
            Some((vec![6], f(vec![1.0, 2.0, 0.0, 4.0, 5.0, 6.0]))),
        )),
        vec!["'tau_m'", "element 2 is 0", "> 0"],
    ));
    cases.push((
        file_case(broken_fixture(
            d,
            "tau_b",
            Some((vec![4], f(vec![5.0, -1.0, 5.0, 5.0]))),
        )),
        vec!["'tau_b'", "element 1 is -1", "> 0"],
    ));
    cases.push((
        file_case(broken_fixture(d, "lambda", Some((vec![], f(vec![-5.0]))))),
        vec!["'lambda'", "is -5; must be > 0"],
    ));
    cases.push((
        file_case(broken_fixture(
            d,
            "mlp_w5",
            Some((vec![1, 1], f(vec![0.0]))),
        )),
        vec!["'mlp_w5'", "consecutively"],
    ));
    cases.push((
        file_case(broken_fixture(
            d,
            "synapse_branch",
            Some((vec![12], ArrayData::Int(vec![4; 12]))),
        )),
        vec!["'synapse_branch'", "element 0 is 4", "0..4"],
    ));
    cases.push((
        file_case(broken_fixture(
            d,
            "synapse_branch",
            Some((vec![12], f(vec![0.0; 12]))),
        )),
        vec!["'synapse_branch'", "integer dtype"],
    ));
    cases.push((
        elm_model(&format!("{{ weights = \"{FIXTURE}\", memory = 4 }}"), ""),
        vec!["populations[1].params.memory", "weights file"],
    ));
    cases.push((
        elm_model("{ memory = 4 }", ""),
        vec!["populations[1].params.branches", "missing"],
    ));
    cases.push((
        elm_model("{ branches = 0 }", ""),
        vec!["populations[1].params.branches", "≥ 1, got 0"],
    ));
    cases.push((
        elm_model("{ branches = 2, tau_b = -5.0 }", ""),
        vec!["populations[1].params.tau_b", "> 0, got -5"],
    ));
    cases.push((
        elm_model("{ branches = 2, tau_m_min = 0.0 }", ""),
        vec!["populations[1].params.tau_m_min", "> 0, got 0"],
    ));
    cases.push((
        elm_model("{ branches = 2, tau_m_min = 10.0, tau_m_max = 5.0 }", ""),
        vec!["populations[1].params.tau_m_max", "≥ tau_m_min"],
    ));
    cases.push((
        elm_model("{ branches = 2, mlp_activation = \"tanh\" }", ""),
        vec!["populations[1].params.mlp_activation", "relu", "silu"],
    ));
    cases.push((
        elm_model("{ branches = 2, bogus = 1 }", ""),
        vec!["populations[1].params", "bogus"],
    ));
    cases.push((
        elm_model("{ branches = 2 }\nports.exc = { tau_syn = 5.0 }", ""),
        vec!["populations[1].ports", "b0, b1"],
    ));
    cases.push((
        elm_model(
            "{ branches = 2 }",
            "[[projections]]\nsource = \"src\"\ntarget = \"elm\"\nport = \"b1\"\nconnect = { rule = \"all_to_all\" }\nweight = -0.5",
        ),
        vec!["projections[0].weight", "≥ 0", "-0.5"],
    ));
    cases.push((
        elm_model(
            "{ branches = 2 }",
            "[[projections]]\nsource = \"src\"\ntarget = \"elm\"\nport = \"exc\"\nconnect = { rule = \"all_to_all\" }",
        ),
        vec!["projections[0].port", "no port \"exc\"", "b0, b1"],
    ));
    cases.push((
        elm_model(
            "{ branches = 2 }",
            "[[inputs]]\nkind = \"dc\"\ntarget = \"elm\"\namplitude = 5.0",
        ),
        vec!["inputs[0].target", "no current input"],
    ));
    cases.push((
        elm_model(
            "{ branches = 2 }",
            "[[inputs]]\nkind = \"poisson\"\ntarget = \"elm\"\nport = \"b0\"\nrate = 10.0\nweight = -1.0",
        ),
        vec!["inputs[0].weight", "≥ 0"],
    ));
    let mut failures = Vec::new();
    for (text, want) in &cases {
        match build_in(d, text) {
            Ok(_) => failures.push(format!("no error for {want:?}")),
            Err(msg) => {
                if let Some(miss) = want.iter().find(|w| !msg.contains(**w)) {
                    failures.push(format!("{miss:?} not in: {msg}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A randomly initialised population runs, is deterministic (same seed → same y; another seed
/// → another y; the weights do not depend on the thread count), and takes Poisson input into
/// a branch port.
#[test]
fn random_init_population_is_deterministic() {
    let text = |seed: u64, threads: usize| {
        format!(
            r#"
            [simulation]
            dt = 1.0
            duration = 50.0
            seed = 3
            threads = {threads}
            [[populations]]
            name = "elm"
            size = 1100
            model = "elm"
            params = {{ branches = 3, memory = 8, outputs = 1, seed = {seed} }}
            [[inputs]]
            kind = "poisson"
            target = "elm"
            port = "b1"
            rate = 100.0
            weight = 0.5
            [[monitors]]
            kind = "state"
            population = "elm"
            variables = ["y", "b1"]
            ids = [0, 1099]
            "#
        )
    };
    let run = |seed, threads| {
        let mut net = common::build(&text(seed, threads));
        common::run(&mut net);
        net.monitors.state[0].data.clone()
    };
    let a = run(7, 1);
    assert!(a[1].iter().any(|&b| b > 0.0), "Poisson input reached b1");
    assert!(a[0].iter().any(|&y| y != a[0][0]), "y moves");
    assert_eq!(a, run(7, 1));
    assert_eq!(a, run(7, 2));
    assert_ne!(a[0], run(8, 1)[0]);
}
