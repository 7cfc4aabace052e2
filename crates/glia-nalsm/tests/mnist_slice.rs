//! The whole pipeline on a slice of MNIST: a 125-neuron NALSM liquid, 200 initialisation
//! samples, 1000 training / 200 validation / 200 test images of 100 ms. Skipped (with a
//! message) when the MNIST files are absent.

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

#[test]
fn small_nalsm_learns_mnist_well_above_chance_and_refits_from_saved_features() {
    if !mnist_present() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        r#"
mode = "nalsm"
seed = 3
out = "{}"
[liquid]
grid = [5, 5, 5]
[plasticity]
astro_w = 0.015
[protocol]
init_samples = 200
init_ms = 20
sample_ms = 100
train = 1000
val = 200
test = 200
[readout]
epochs = 30
batch = 32
lr = 0.003
[branching]
samples = 5
from = 10
to = 90
"#,
        dir.path().display()
    );
    let cfg = Config::from_toml(&text, "slice.toml").unwrap();
    let m = glia_nalsm::run(&cfg, &Silent).unwrap();
    let sim = m.simulation.as_ref().unwrap();
    eprintln!(
        "slice: test accuracy {:.3} (val {:.3}, epoch {}), rate {:.1} Hz, branching {:?}, {:.2} s",
        m.test_accuracy,
        m.val_accuracy,
        m.best_epoch,
        sim.test_rate_hz,
        sim.branching,
        sim.samples_s
    );
    assert!(m.test_accuracy >= 0.6, "accuracy {}", m.test_accuracy);
    assert!(sim.test_rate_hz > 0.5 && sim.test_rate_hz < 300.0);
    let b = sim.branching.expect("branching measured");
    assert!(b.is_finite() && b > 0.0);
    assert!(dir.path().join("features.npz").exists());
    // Refit from the saved features: same readout, same numbers.
    let again = glia_nalsm::readout_only(&cfg, &Silent).unwrap();
    assert_eq!(again.test_accuracy, m.test_accuracy);
    assert_eq!(again.best_epoch, m.best_epoch);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("metrics.json")).unwrap())
            .unwrap();
    assert_eq!(json["test_accuracy"].as_f64(), Some(m.test_accuracy));
    assert!(json["simulation"]["branching"].is_f64());
}

#[test]
fn missing_data_and_missing_features_are_errors_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "mode = \"lsm\"\nout = \"{}\"\nmnist_dir = \"{}\"\n[protocol]\ntrain = 10\nval = 5\ntest = 5\n[branching]\nsamples = 0",
        dir.path().display(),
        dir.path().join("nowhere").display()
    );
    let cfg = Config::from_toml(&text, "x.toml").unwrap();
    let e = glia_nalsm::run(&cfg, &Silent).unwrap_err().to_string();
    assert!(e.contains("nowhere"), "{e}");
    let e = glia_nalsm::readout_only(&cfg, &Silent)
        .unwrap_err()
        .to_string();
    assert!(e.contains("features.npz"), "{e}");
}
