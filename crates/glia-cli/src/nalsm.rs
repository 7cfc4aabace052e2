//! `glia nalsm CONFIG`: arguments → `glia_nalsm::Config`, progress → bars with an ETA.

use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// One bar per phase (initialisation, samples, readout).
struct Bars(Mutex<Option<ProgressBar>>);

impl glia_nalsm::Progress for Bars {
    fn phase(&self, name: &str, total: u64) {
        let mut g = self.0.lock().expect("progress lock");
        if let Some(pb) = g.take() {
            pb.finish();
        }
        let pb =
            ProgressBar::with_draw_target(Some(total), indicatif::ProgressDrawTarget::stderr());
        pb.set_style(
            ProgressStyle::with_template(
                "{msg:>8} [{elapsed_precise}] {bar:40} {pos}/{len} {per_sec} ETA {eta}",
            )
            .expect("valid template"),
        );
        pb.set_message(name.to_string());
        *g = Some(pb);
    }

    fn inc(&self, n: u64) {
        if let Some(pb) = self.0.lock().expect("progress lock").as_ref() {
            pb.inc(n);
        }
    }
}

impl Bars {
    fn finish(&self) {
        if let Some(pb) = self.0.lock().expect("progress lock").take() {
            pb.finish();
        }
    }
}

/// Run (or refit) a NALSM configuration; errors are messages for exit code 2.
pub fn nalsm(
    config: &Path,
    out: Option<PathBuf>,
    readout_only: bool,
    threads: usize,
    seed: Option<u64>,
    max_chunks: Option<usize>,
) -> Result<(), String> {
    let mut cfg = glia_nalsm::Config::load(config).map_err(|e| e.to_string())?;
    if let Some(o) = out {
        cfg.out = o;
    }
    if let Some(s) = seed {
        cfg.seed = s;
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| format!("--threads: {e}"))?;
    eprintln!(
        "glia nalsm: {} — mode {}, {} liquid neurons, {} / {} / {} samples, {} thread(s), out {}",
        config.display(),
        cfg.mode.name(),
        cfg.neurons(),
        cfg.protocol.train,
        cfg.protocol.val,
        cfg.protocol.test,
        pool.current_num_threads(),
        cfg.out.display()
    );
    let bars = Bars(Mutex::new(None));
    let m = pool
        .install(|| {
            if readout_only {
                glia_nalsm::readout_only(&cfg, &bars).map(Some)
            } else {
                glia_nalsm::run_limited(&cfg, max_chunks, &bars)
            }
        })
        .map_err(|e| e.to_string())?;
    bars.finish();
    let Some(m) = m else {
        eprintln!(
            "stopped after {} new checkpoint(s) in {}; run the same command again to continue",
            max_chunks.unwrap_or(0),
            cfg.out.join("partial").display()
        );
        return Ok(());
    };
    if let Some(s) = &m.simulation {
        eprintln!(
            "simulation: init {:.1} s, samples {:.1} s ({} samples from checkpoints), test rate {:.1} Hz, branching {}",
            s.init_s,
            s.samples_s,
            s.reused,
            s.test_rate_hz,
            s.branching
                .map(|b| format!("{b:.3}"))
                .unwrap_or_else(|| "-".into())
        );
    }
    eprintln!(
        "readout: best epoch {} (val {:.4}), test accuracy {:.4}  →  {}",
        m.best_epoch,
        m.val_accuracy,
        m.test_accuracy,
        cfg.out.join("metrics.json").display()
    );
    Ok(())
}

/// `glia validate` of a NALSM configuration: parse, check, build the liquid.
pub fn validate(config: &Path) -> Result<(), String> {
    let cfg = glia_nalsm::Config::load(config).map_err(|e| e.to_string())?;
    let liq = glia_nalsm::liquid::Liquid::build(&cfg, 784);
    println!(
        "{}: valid NALSM configuration — mode {}, {} liquid neurons, {} recurrent and {} input synapses",
        config.display(),
        cfg.mode.name(),
        liq.n,
        liq.recurrent_synapses(),
        liq.synapses() - liq.recurrent_synapses()
    );
    Ok(())
}
