//! A run stopped after every two checkpoints and rerun until done gives the same
//! `features.npz`, byte for byte, as an uninterrupted run; checkpoints of another
//! configuration are refused. Skipped (with a message) when the MNIST files are absent.

use glia_nalsm::{Config, Silent};

fn mnist_present() -> bool {
    let d = glia_memory::mnist::default_dir();
    let ok =
        d.join("train-images-idx3-ubyte.gz").exists() || d.join("train-images-idx3-ubyte").exists();
    if !ok {
        eprintln!("MNIST not found in {}: skipped", d.display());
    }
    ok
}

fn config(out: &std::path::Path, seed: u64) -> Config {
    let text = format!(
        r#"
mode = "nalsm"
seed = {seed}
out = "{}"
[liquid]
grid = [4, 4, 4]
[protocol]
init_samples = 40
init_ms = 10
sample_ms = 40
train = 50
val = 20
test = 20
chunk = 16
[readout]
epochs = 3
batch = 10
[branching]
samples = 3
from = 5
to = 35
"#,
        out.display()
    );
    Config::from_toml(&text, "resume.toml").unwrap()
}

#[test]
fn interrupted_runs_resume_to_bit_identical_features() {
    if !mnist_present() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let a = config(&dir.path().join("a"), 5);
    let ma = glia_nalsm::run(&a, &Silent).unwrap();
    assert!(!a.out.join("partial").exists());

    // Init: 40 samples = 3 checkpoints; features: test 2 + val 2 + train 4 chunks = 11 in all.
    let b = config(&dir.path().join("b"), 5);
    let mut calls = 0;
    let mb = loop {
        calls += 1;
        assert!(calls <= 20, "no progress");
        if let Some(m) = glia_nalsm::run_limited(&b, Some(2), &Silent).unwrap() {
            break m;
        }
        assert!(b.out.join("partial/fingerprint.txt").exists());
    };
    assert_eq!(calls, 6);
    let sim = mb.simulation.as_ref().unwrap();
    // The last call simulated only the last training chunk (2 samples).
    assert_eq!(sim.reused, 40 + 90 - 2);
    let fa = std::fs::read(a.out.join("features.npz")).unwrap();
    let fb = std::fs::read(b.out.join("features.npz")).unwrap();
    assert!(
        fa == fb,
        "resumed features differ from the uninterrupted run's"
    );
    assert_eq!(ma.test_accuracy, mb.test_accuracy);
    assert_eq!(
        ma.simulation.as_ref().unwrap().branching,
        sim.branching,
        "branching factor"
    );

    // Another configuration on the same checkpoints is refused, naming the folder.
    let c = config(&dir.path().join("c"), 5);
    assert!(
        glia_nalsm::run_limited(&c, Some(1), &Silent)
            .unwrap()
            .is_none()
    );
    let c2 = config(&dir.path().join("c"), 6);
    let e = glia_nalsm::run_limited(&c2, Some(1), &Silent)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("partial") && e.contains("different configuration"),
        "{e}"
    );
}
