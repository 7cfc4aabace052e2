//! NALSM on MNIST end to end: the neuron-astrocyte liquid state machine of Ivanov &
//! Michmizos (NeurIPS 2021), with its two baselines (an LSM without plasticity and an LSM with
//! plain STDP), in one pipeline.
//!
//! - [`config`]: the TOML file (every default is the paper's NALSM1000);
//! - [`liquid`]: 3-D grid, E/I labels, distance-dependent and input connectivity;
//! - [`encode`]: normalised Bernoulli input encoding;
//! - [`kernel`]: the lean per-sample simulation (LIF, τ_u kernels, trace STDP, astrocyte);
//! - [`protocol`]: initialisation to W_INI, features of every sample in parallel
//!   (bit-identical for any thread count), files;
//! - [`branching`]: the paper's branching factor;
//! - [`readout`]: softmax readout with validation-based epoch selection.
//!
//! [`run`] does it all and writes `features.npz` and `metrics.json`; [`readout_only`] refits
//! the readout on saved features. See docs/nalsm.md.

pub mod branching;
pub mod config;
pub mod encode;
pub mod error;
pub mod kernel;
pub mod liquid;
pub mod protocol;
pub mod readout;

pub use config::{Config, Mode};
pub use error::{NalsmError, Result};
pub use protocol::{Progress, Silent};

use std::time::Instant;

/// Metrics of a run, as written to `metrics.json`.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Metrics {
    /// `nalsm`, `stdp` or `lsm`.
    pub mode: &'static str,
    /// Seed.
    pub seed: u64,
    /// Training / validation / test samples.
    pub samples: [usize; 3],
    /// Test accuracy at the epoch of best validation accuracy.
    pub test_accuracy: f64,
    /// Best validation accuracy.
    pub val_accuracy: f64,
    /// Training accuracy at that epoch.
    pub train_accuracy: f64,
    /// The selected epoch (from 1).
    pub best_epoch: usize,
    /// Wall time of the readout \[s\].
    pub readout_s: f64,
    /// The simulation's report (absent for `--readout-only`).
    pub simulation: Option<protocol::SimReport>,
    /// Accuracies per epoch.
    pub epochs: Vec<readout::Epoch>,
}

fn metrics(
    cfg: &Config,
    f: &protocol::Features,
    sim: Option<protocol::SimReport>,
    progress: &dyn Progress,
) -> Metrics {
    progress.phase("readout", cfg.readout.epochs as u64);
    let t = Instant::now();
    let fit = protocol::fit_readout(cfg, f, progress);
    let n = f.neurons.max(1);
    Metrics {
        mode: cfg.mode.name(),
        seed: cfg.seed,
        samples: [f.train.len() / n, f.val.len() / n, f.test.len() / n],
        test_accuracy: fit.test_accuracy,
        val_accuracy: fit.val_accuracy,
        train_accuracy: fit.train_accuracy,
        best_epoch: fit.best_epoch,
        readout_s: t.elapsed().as_secs_f64(),
        simulation: sim,
        epochs: fit.epochs,
    }
}

fn write_metrics(cfg: &Config, m: &Metrics) -> Result<()> {
    let v = serde_json::to_value(m).expect("metrics serialise");
    glia_io::write_json_atomic(&cfg.out.join("metrics.json"), &v)?;
    Ok(())
}

fn create_out(cfg: &Config) -> Result<()> {
    std::fs::create_dir_all(&cfg.out)
        .map_err(|e| NalsmError::config("out", format!("cannot create {}: {e}", cfg.out.display())))
}

/// The whole pipeline: load MNIST, simulate (with checkpoints in `OUT/partial/`, reused by a
/// rerun of the same configuration after an interruption), write `OUT/features.npz`, fit the
/// readout, write `OUT/metrics.json`, remove `OUT/partial/`.
pub fn run(cfg: &Config, progress: &dyn Progress) -> Result<Metrics> {
    Ok(run_limited(cfg, None, progress)?.expect("no chunk limit"))
}

/// [`run`], simulating at most `max_chunks` new checkpoints (initialisation or feature
/// chunks of `protocol.chunk` samples) when given: `Ok(None)` means the checkpoints are saved
/// and work remains; run again to continue.
pub fn run_limited(
    cfg: &Config,
    max_chunks: Option<usize>,
    progress: &dyn Progress,
) -> Result<Option<Metrics>> {
    create_out(cfg)?;
    let data = protocol::load_data(cfg)?;
    let partial = cfg.out.join("partial");
    let Some((f, w_ini, report)) =
        protocol::simulate_resumable(cfg, &data, &partial, max_chunks, progress)?
    else {
        return Ok(None);
    };
    protocol::write_features(&cfg.out.join("features.npz"), &f, &w_ini)?;
    std::fs::remove_dir_all(&partial)
        .map_err(|e| NalsmError::Data(format!("{}: {e}", partial.display())))?;
    let m = metrics(cfg, &f, Some(report), progress);
    write_metrics(cfg, &m)?;
    Ok(Some(m))
}

/// Refit the readout on `OUT/features.npz` of an earlier run and rewrite `OUT/metrics.json`
/// (keeping the earlier simulation report when there is one).
pub fn readout_only(cfg: &Config, progress: &dyn Progress) -> Result<Metrics> {
    let f = protocol::read_features(&cfg.out.join("features.npz"))?;
    let prev = std::fs::read_to_string(cfg.out.join("metrics.json"))
        .ok()
        .and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok())
        .and_then(|v| v.get("simulation").cloned())
        .filter(|s| !s.is_null());
    let m = metrics(cfg, &f, None, progress);
    let mut v = serde_json::to_value(&m).expect("metrics serialise");
    if let Some(s) = prev {
        v["simulation"] = s;
    }
    glia_io::write_json_atomic(&cfg.out.join("metrics.json"), &v)?;
    Ok(m)
}
