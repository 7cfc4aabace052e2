//! The NALSM protocol: initialisation to W_INI, per-sample feature extraction in parallel,
//! branching factor, readout, and the files of a run.
//!
//! Samples after W_INI are independent: each starts from W_INI and the reset state, and its
//! input spikes come from its own counter-based stream (`PoissonSource`, id = MNIST index,
//! test images offset by 60 000). Samples are distributed over the rayon pool in any order and
//! the results are put back in sample order, so the features are bit-identical for any
//! number of threads.

use crate::branching::branching;
use crate::config::{Config, Mode};
use crate::encode::{Encoded, encode, rescale_factor};
use crate::error::{NalsmError, Result};
use crate::kernel::{InputStream, Params, Sim};
use crate::liquid::Liquid;
use crate::readout::{self, Fit};
use glia_core::{CounterRng, Purpose};
use rayon::prelude::*;
use serde::Serialize;
use std::path::Path;
use std::time::Instant;

/// Liquid spikes of one sample, `(step, neuron)`.
pub type Spikes = Vec<(u32, u32)>;

/// Progress reports of a long run (the CLI shows them as bars).
pub trait Progress: Sync {
    /// A phase with `total` units of work begins.
    fn phase(&self, name: &str, total: u64);
    /// `n` units are done.
    fn inc(&self, n: u64);
}

/// No progress reports.
pub struct Silent;

impl Progress for Silent {
    fn phase(&self, _: &str, _: u64) {}
    fn inc(&self, _: u64) {}
}

/// Encoded images and labels of the three splits.
#[derive(Clone, Debug)]
pub struct Data {
    /// Input neurons (pixels per image).
    pub pixels: usize,
    /// Training images.
    pub train: Vec<Encoded>,
    /// Training labels.
    pub train_y: Vec<u8>,
    /// MNIST index of each validation image (in the training file).
    pub val_start: usize,
    /// Validation images.
    pub val: Vec<Encoded>,
    /// Validation labels.
    pub val_y: Vec<u8>,
    /// Test images.
    pub test: Vec<Encoded>,
    /// Test labels.
    pub test_y: Vec<u8>,
}

/// Load and encode the slices of MNIST that `cfg` asks for: training images `0..train`,
/// validation `50 000..50 000 + val` (or `train..train + val` when that overlaps), test
/// `0..test`.
pub fn load_data(cfg: &Config) -> Result<Data> {
    let dir = cfg
        .mnist_dir
        .clone()
        .unwrap_or_else(glia_memory::mnist::default_dir);
    let m = glia_memory::mnist::Mnist::load(&dir).map_err(|e| NalsmError::Data(e.to_string()))?;
    let px = m.pixels();
    let pr = &cfg.protocol;
    if m.train.len() < pr.train + pr.val || m.test.len() < pr.test {
        return Err(NalsmError::Data(format!(
            "{}: {} training and {} test images, the configuration needs {} and {}",
            dir.display(),
            m.train.len(),
            m.test.len(),
            pr.train + pr.val,
            pr.test
        )));
    }
    let ftr = rescale_factor(&m.train.images, px);
    let fte = rescale_factor(&m.test.images, px);
    let enc = |imgs: &[u8], f: f64, a: usize, b: usize| -> Vec<Encoded> {
        (a..b)
            .map(|i| encode(&imgs[i * px..(i + 1) * px], f))
            .collect()
    };
    let val_start = if pr.train <= 50_000 && 50_000 + pr.val <= m.train.len() {
        50_000
    } else {
        pr.train
    };
    Ok(Data {
        pixels: px,
        train: enc(&m.train.images, ftr, 0, pr.train),
        train_y: m.train.labels[..pr.train].to_vec(),
        val_start,
        val: enc(&m.train.images, ftr, val_start, val_start + pr.val),
        val_y: m.train.labels[val_start..val_start + pr.val].to_vec(),
        test: enc(&m.test.images, fte, 0, pr.test),
        test_y: m.test.labels[..pr.test].to_vec(),
    })
}

/// Spike-count features of the three splits (`samples × neurons`, row-major).
#[derive(Clone, Debug)]
pub struct Features {
    /// Liquid neurons (columns).
    pub neurons: usize,
    /// Training counts.
    pub train: Vec<u16>,
    /// Training labels.
    pub train_y: Vec<u8>,
    /// Validation counts.
    pub val: Vec<u16>,
    /// Validation labels.
    pub val_y: Vec<u8>,
    /// Test counts.
    pub test: Vec<u16>,
    /// Test labels.
    pub test_y: Vec<u8>,
}

/// What the simulation measured besides the features.
#[derive(Clone, Debug, Serialize)]
pub struct SimReport {
    /// Liquid neurons.
    pub neurons: usize,
    /// All synapses (recurrent and input).
    pub synapses: usize,
    /// Recurrent synapses.
    pub recurrent_synapses: usize,
    /// Wall time of the initialisation phase \[s\].
    pub init_s: f64,
    /// Wall time of the per-sample phase \[s\].
    pub samples_s: f64,
    /// Simulated 1-ms steps (initialisation plus samples).
    pub steps: u64,
    /// Mean liquid firing rate over the test samples \[Hz\].
    pub test_rate_hz: f64,
    /// Branching factor (paper's definition) over the first `branching.samples` test
    /// samples.
    pub branching: Option<f64>,
    /// Threads of the rayon pool.
    pub threads: usize,
}

/// The initialisation phase: `init_samples` random training images of `init_ms` each, with
/// plasticity on and no decay, weights carried over from one to the next. Returns W_INI.
pub fn initialise(
    cfg: &Config,
    liq: &Liquid,
    p: &Params,
    data: &Data,
    progress: &dyn Progress,
) -> Vec<f32> {
    let mut w = liq.w0.clone();
    if cfg.mode == Mode::Lsm || cfg.protocol.init_samples == 0 {
        return w;
    }
    let mut sim = Sim::new(liq, p);
    let mut counts = vec![0u32; liq.n];
    progress.phase("init", cfg.protocol.init_samples as u64);
    for k in 0..cfg.protocol.init_samples {
        let img = CounterRng::new(cfg.seed, Purpose::Initial, 1, k as u32, 0)
            .below(data.train.len() as u64) as usize;
        let stream = InputStream {
            seed: cfg.seed,
            purpose: Purpose::PoissonDrive,
            id: k as u32,
        };
        sim.run(
            liq,
            p,
            &mut w,
            &data.train[img],
            stream,
            cfg.protocol.init_ms,
            false,
            &mut counts,
            None,
        );
        if k % 64 == 63 {
            progress.inc(64);
        }
    }
    progress.inc(cfg.protocol.init_samples as u64 % 64);
    w
}

/// Simulate every sample of `images` from `w_ini`; `ids` are their input-stream ids. The
/// liquid spikes of the first `record` samples are returned too.
#[allow(clippy::too_many_arguments)]
pub fn sample_counts(
    cfg: &Config,
    liq: &Liquid,
    p: &Params,
    w_ini: &[f32],
    images: &[Encoded],
    ids: &[u32],
    record: usize,
    progress: &dyn Progress,
) -> (Vec<u16>, Vec<Spikes>) {
    let n = liq.n;
    let plastic = p.plastic.is_some();
    let steps = cfg.protocol.sample_ms;
    let out: Vec<(Vec<u16>, Option<Spikes>)> = (0..images.len())
        .into_par_iter()
        .map_init(
            || (Sim::new(liq, p), w_ini.to_vec(), vec![0u32; n]),
            |(sim, w, counts), k| {
                if plastic {
                    w.copy_from_slice(w_ini);
                }
                counts.fill(0);
                let mut rec = (k < record).then(Vec::new);
                let stream = InputStream {
                    seed: cfg.seed,
                    purpose: Purpose::PoissonSource,
                    id: ids[k],
                };
                sim.run(
                    liq,
                    p,
                    w,
                    &images[k],
                    stream,
                    steps,
                    true,
                    counts,
                    rec.as_mut(),
                );
                progress.inc(1);
                let c: Vec<u16> = counts.iter().map(|&c| c.min(65_535) as u16).collect();
                (c, rec)
            },
        )
        .collect();
    let mut flat = Vec::with_capacity(images.len() * n);
    let mut recs = Vec::new();
    for (c, r) in out {
        flat.extend_from_slice(&c);
        if let Some(r) = r {
            recs.push(r);
        }
    }
    (flat, recs)
}

/// Build the liquid, run the initialisation and every sample; returns the features, W_INI
/// and the report.
pub fn simulate(
    cfg: &Config,
    data: &Data,
    progress: &dyn Progress,
) -> (Features, Vec<f32>, SimReport) {
    let liq = Liquid::build(cfg, data.pixels);
    let p = Params::new(cfg);
    let t0 = Instant::now();
    let w_ini = initialise(cfg, &liq, &p, data, progress);
    let init_s = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let total = (data.train.len() + data.val.len() + data.test.len()) as u64;
    progress.phase("samples", total);
    let ids_tr: Vec<u32> = (0..data.train.len() as u32).collect();
    let ids_v: Vec<u32> = (0..data.val.len())
        .map(|i| (data.val_start + i) as u32)
        .collect();
    let ids_te: Vec<u32> = (0..data.test.len()).map(|i| 60_000 + i as u32).collect();
    let b = &cfg.branching;
    let (test, recs) = sample_counts(
        cfg, &liq, &p, &w_ini, &data.test, &ids_te, b.samples, progress,
    );
    let (val, _) = sample_counts(cfg, &liq, &p, &w_ini, &data.val, &ids_v, 0, progress);
    let (train, _) = sample_counts(cfg, &liq, &p, &w_ini, &data.train, &ids_tr, 0, progress);
    let samples_s = t1.elapsed().as_secs_f64();
    let pr = &cfg.protocol;
    let steps = pr.init_samples as u64 * u64::from(pr.init_ms) * u64::from(cfg.mode != Mode::Lsm)
        + total * u64::from(pr.sample_ms);
    let spikes: u64 = test.iter().map(|&c| u64::from(c)).sum();
    let test_rate_hz =
        spikes as f64 / (liq.n as f64 * data.test.len() as f64 * f64::from(pr.sample_ms) * 1e-3);
    let branching = (b.samples > 0)
        .then(|| branching(&liq, &recs, b.window, b.from, b.to))
        .flatten();
    let report = SimReport {
        neurons: liq.n,
        synapses: liq.synapses(),
        recurrent_synapses: liq.recurrent_synapses(),
        init_s,
        samples_s,
        steps,
        test_rate_hz,
        branching,
        threads: rayon::current_num_threads(),
    };
    let f = Features {
        neurons: liq.n,
        train,
        train_y: data.train_y.clone(),
        val,
        val_y: data.val_y.clone(),
        test,
        test_y: data.test_y.clone(),
    };
    (f, w_ini, report)
}

/// Fit the readout on features.
pub fn fit_readout(cfg: &Config, f: &Features) -> Fit {
    let mut tr = readout::l1_rows(&f.train, f.neurons);
    let mut va = readout::l1_rows(&f.val, f.neurons);
    let mut te = readout::l1_rows(&f.test, f.neurons);
    let (mu, inv) = readout::standardiser(&tr);
    for m in [&mut tr, &mut va, &mut te] {
        readout::standardise(m, &mu, &inv);
    }
    readout::fit(
        &cfg.readout,
        cfg.seed,
        readout::Labelled(&tr, &f.train_y),
        readout::Labelled(&va, &f.val_y),
        readout::Labelled(&te, &f.test_y),
    )
}

/// Write the features (and W_INI) to `path` (`.npz`: `train_x`, `train_y`, `val_x`, `val_y`,
/// `test_x`, `test_y` as uint16 / uint8, `w_ini` as float32).
pub fn write_features(path: &Path, f: &Features, w_ini: &[f32]) -> Result<()> {
    use ndarray::{Array1, Array2};
    let n = f.neurons;
    let mut z = glia_io::NpzOut::create(path)?;
    let mat = |v: &[u16]| Array2::from_shape_vec((v.len() / n, n), v.to_vec()).expect("shape");
    z.add("train_x", &mat(&f.train))?;
    z.add("train_y", &Array1::from(f.train_y.clone()))?;
    z.add("val_x", &mat(&f.val))?;
    z.add("val_y", &Array1::from(f.val_y.clone()))?;
    z.add("test_x", &mat(&f.test))?;
    z.add("test_y", &Array1::from(f.test_y.clone()))?;
    z.add("w_ini", &Array1::from(w_ini.to_vec()))?;
    z.finish()?;
    Ok(())
}

/// Read features written by [`write_features`].
pub fn read_features(path: &Path) -> Result<Features> {
    use glia_io::ArrayData;
    let get = |name: &str| -> Result<(Vec<usize>, Vec<i64>)> {
        let (shape, data) = glia_io::read_npz_array(path, name)?
            .ok_or_else(|| NalsmError::Data(format!("{}: no array '{name}'", path.display())))?;
        match data {
            ArrayData::Int(v) => Ok((shape, v)),
            ArrayData::Float(_) => Err(NalsmError::Data(format!(
                "{}: array '{name}' must hold integers",
                path.display()
            ))),
        }
    };
    let counts = |name: &str, n: Option<usize>| -> Result<(usize, Vec<u16>)> {
        let (shape, v) = get(name)?;
        if shape.len() != 2 || n.is_some_and(|n| n != shape[1]) {
            return Err(NalsmError::Data(format!(
                "{}: array '{name}' has shape {shape:?}, expected (samples, neurons)",
                path.display()
            )));
        }
        Ok((
            shape[1],
            v.iter().map(|&x| x.clamp(0, 65_535) as u16).collect(),
        ))
    };
    let labels = |name: &str, rows: usize| -> Result<Vec<u8>> {
        let (shape, v) = get(name)?;
        if shape != [rows] || v.iter().any(|&l| !(0..10).contains(&l)) {
            return Err(NalsmError::Data(format!(
                "{}: array '{name}' must hold {rows} labels in 0..10",
                path.display()
            )));
        }
        Ok(v.iter().map(|&l| l as u8).collect())
    };
    let (n, train) = counts("train_x", None)?;
    let (_, val) = counts("val_x", Some(n))?;
    let (_, test) = counts("test_x", Some(n))?;
    if n == 0 {
        return Err(NalsmError::Data(format!(
            "{}: zero neurons",
            path.display()
        )));
    }
    Ok(Features {
        neurons: n,
        train_y: labels("train_y", train.len() / n)?,
        val_y: labels("val_y", val.len() / n)?,
        test_y: labels("test_y", test.len() / n)?,
        train,
        val,
        test,
    })
}
