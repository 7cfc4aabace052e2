//! The dedicated echo-state kernel (`glia_reservoir::fast`) against the engine: bit-identical
//! states with libm `tanh`, rounding-level differences with the vectorised `tanh`, the same
//! metrics in experiments, and the engine used whenever the model is not a plain ESN.

use glia_reservoir::experiment::{run_text, validate_text};
use glia_reservoir::fast::{FastEsn, Layout, Nonlinearity, TANH_MAX_ERR, tanh_fast};
use glia_reservoir::tasks::uniform;
use std::path::Path;

fn model(n: usize, p: f64, act: &str, leak: f64, extra: &str, kernel: &str) -> String {
    format!(
        r#"
[simulation]
dt = 1.0
duration = 1.0
seed = 7
[[populations]]
name = "R"
size = {n}
model = "rate"
params = {{ activation = "{act}", leak = {leak}, bias = {{ dist = "uniform", low = -0.2, high = 0.2 }} }}
[[projections]]
source = "R"
target = "R"
port = "in"
connect = {{ rule = "fixed_probability", p = {p} }}
weight = {{ dist = "normal", mean = 0.0, std = 1.0 }}
spectral_radius = 0.9
{extra}
[reservoir]
input = "R"
input_scaling = 0.5
kernel = "{kernel}"
[task]
kind = "memory_capacity"
max_delay = 20
washout = 100
train = 1500
test = 500
[readout]
alpha = 1e-8
"#
    )
}

/// `tanh_fast` is within `TANH_MAX_ERR` (5e-7; measured 4.0e-7) of the exact tanh on [−12, 12] in steps of
/// 1e-4, on tiny arguments, and saturates at ±1 beyond.
#[test]
fn tanh_fast_error_bound() {
    let mut worst = 0.0f64;
    let mut z = -12.0f64;
    while z <= 12.0 {
        let e = (f64::from(tanh_fast(z as f32)) - (z as f32 as f64).tanh()).abs();
        worst = worst.max(e);
        z += 1e-4;
    }
    for z in [1e-30f32, -3e-7, 1e-5, 3.9e-4, 4.1e-4, -1e-3] {
        let e = (f64::from(tanh_fast(z)) - f64::from(z).tanh()).abs();
        worst = worst.max(e);
    }
    assert!(worst < f64::from(TANH_MAX_ERR), "max error {worst:e}");
    assert_eq!(tanh_fast(50.0), 1.0);
    assert_eq!(tanh_fast(-1e6), -1.0);
}

/// With libm's tanh/sigmoid the kernel's states equal the engine's bit for bit, `W` stored
/// dense and sparse (sliced ELLPACK, rows of different lengths, n not a multiple of 8),
/// several activations and leaks, over 600 steps; with the fast tanh the largest
/// difference stays below 1e-5 (the nonlinearity's error, ≤ 5e-7 per step, contracted by the
/// echo-state dynamics).
#[test]
fn kernel_matches_engine() {
    for ((n, p, act, leak, dense), layout) in [
        (64, 0.2, "tanh", 1.0, false),
        (64, 0.2, "sigmoid", 0.3, false),
        (63, 0.5, "relu", 0.5, true),
        (200, 0.01, "tanh", 0.7, false),
        (61, 0.3, "tanh", 0.9, true),
    ]
    .into_iter()
    .flat_map(|c| [(c, Layout::Auto), (c, Layout::Dense), (c, Layout::Sparse)])
    {
        let text = model(n, p, act, leak, "", "auto");
        let u = uniform(3, 0, 600, -1.0, 1.0);
        let mut engine = validate_text(&text, Path::new("."), &Default::default()).unwrap();
        let mut exact =
            FastEsn::with_layout(&engine, Nonlinearity::Exact, layout).expect("plain ESN");
        let mut fast = FastEsn::with_layout(&engine, Nonlinearity::Fast, layout).unwrap();
        let want = match layout {
            Layout::Auto => dense,
            l => l == Layout::Dense,
        };
        assert_eq!(exact.is_dense(), want, "n = {n}, p = {p}, {layout:?}");
        let mut x = vec![0.0; n];
        let mut worst = 0.0f64;
        for (s, &us) in u.iter().enumerate() {
            engine.step(&[us], &mut x);
            exact.step(&[us]);
            fast.step(&[us]);
            for (i, &xi) in x.iter().enumerate() {
                assert_eq!(
                    xi.to_bits(),
                    f64::from(exact.state()[i]).to_bits(),
                    "{act}, n = {n}: step {s}, unit {i}: engine {} kernel {}",
                    xi,
                    exact.state()[i]
                );
                worst = worst.max((xi - f64::from(fast.state()[i])).abs());
            }
        }
        assert!(
            worst < 1e-5,
            "{act}, n = {n}: fast tanh differs by {worst:e}"
        );
        // The state written back is the kernel's.
        // Handed back, the engine continues exactly where the kernel is.
        let mut engine2 = validate_text(&text, Path::new("."), &Default::default()).unwrap();
        let mut k = FastEsn::with_layout(&engine2, Nonlinearity::Exact, layout).unwrap();
        for &us in &u[..300] {
            k.step(&[us]);
        }
        k.store(&mut engine2, 300);
        for &us in &u[300..] {
            engine2.step(&[us], &mut x);
        }
        assert_eq!(engine2.net.step, 600);
        let mut back = vec![0.0f32; n];
        engine2.net.read_state(0, 0, &mut back);
        assert_eq!(
            back,
            exact.state(),
            "{act}, n = {n}: continued by the engine"
        );
    }
}

/// An experiment run by the kernel (`kernel = "auto"`) and by the engine gives the same memory
/// capacity to 1e-4 relative, and says which ran in `info.kernel`.
#[test]
fn experiment_metrics_match_engine() {
    let mc = |kernel: &str| {
        let o = run_text(
            &model(120, 0.1, "tanh", 1.0, "", kernel),
            Path::new("."),
            &Default::default(),
        )
        .unwrap();
        (
            o.metrics["metrics"]["memory_capacity"].as_f64().unwrap(),
            o.metrics["info"]["kernel"].as_str().unwrap().to_string(),
            o.esn.net.step,
        )
    };
    let (a, ka, sa) = mc("auto");
    let (b, kb, sb) = mc("engine");
    assert_eq!(ka, "fast_sparse");
    assert_eq!(kb, "engine");
    assert_eq!(sa, sb);
    assert!(a > 5.0, "MC = {a}");
    assert!((a - b).abs() <= 1e-4 * b, "kernel {a}, engine {b}");
}

/// Not a plain ESN: a state monitor, a second population or a dc input send the experiment to
/// the engine; an unknown kernel name is an error naming the field.
#[test]
fn engine_when_not_plain() {
    let monitor =
        "[[monitors]]\nkind = \"state\"\npopulation = \"R\"\nvariables = [\"x\"]\nids = [0]\n";
    let other = "[[populations]]\nname = \"S\"\nsize = 3\nmodel = \"rate\"\n";
    let dc = "[[inputs]]\nkind = \"dc\"\ntarget = \"R\"\namplitude = 0.1\n";
    for extra in [monitor, other, dc] {
        let text = model(30, 0.2, "tanh", 1.0, extra, "auto");
        let esn = validate_text(&text, Path::new("."), &Default::default())
            .unwrap_or_else(|e| panic!("{extra}: {e}"));
        assert!(
            FastEsn::from_esn(&esn, Nonlinearity::Fast).is_none(),
            "{extra}"
        );
    }
    let e = match run_text(
        &model(10, 0.2, "tanh", 1.0, "", "gpu"),
        Path::new("."),
        &Default::default(),
    ) {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    };
    assert!(
        e.starts_with("reservoir.kernel:") && e.contains("\"gpu\""),
        "{e}"
    );
}

/// `run_columns_threads` on 2, 3 and 5 threads writes the same bits as on one thread (and as
/// `run_columns`), and leaves the same final state, for `W` sparse and dense and n not a
/// multiple of 8; an experiment on `simulation.threads = 2` (run and ridge fit threaded)
/// reports exactly the metrics of one thread.
#[test]
fn threads_are_bit_identical() {
    for (n, p, layout) in [
        (203, 0.1, Layout::Sparse),
        (61, 0.3, Layout::Dense),
        (64, 0.2, Layout::Sparse),
    ] {
        let text = model(n, p, "tanh", 0.7, "", "auto");
        let esn = validate_text(&text, Path::new("."), &Default::default()).unwrap();
        let u = uniform(5, 0, 400, -1.0, 1.0);
        let mut one = FastEsn::with_layout(&esn, Nonlinearity::Fast, layout).unwrap();
        let want = one.run_columns(&u);
        for threads in [1, 2, 3, 5] {
            let mut k = FastEsn::with_layout(&esn, Nonlinearity::Fast, layout).unwrap();
            let got = k.run_columns_threads(&u, threads);
            assert_eq!(got, want, "n = {n}, {layout:?}, {threads} threads");
            assert_eq!(
                k.state(),
                one.state(),
                "n = {n}, {threads} threads: final state"
            );
        }
    }
    let metrics = |threads: usize| {
        let ov = glia_spec::Overrides {
            threads: Some(threads),
            ..Default::default()
        };
        let o = run_text(
            &model(150, 0.1, "tanh", 1.0, "", "auto"),
            Path::new("."),
            &ov,
        )
        .unwrap();
        assert_eq!(o.metrics["info"]["threads"], threads);
        o.metrics["metrics"].clone()
    };
    assert_eq!(metrics(1), metrics(2));
}
