//! The NALSM protocol: initialisation to W_INI, per-sample feature extraction in parallel,
//! branching factor, readout, and the files of a run.
//!
//! Samples after W_INI are independent: each starts from W_INI and the reset state, and its
//! input spikes come from its own counter-based stream (`PoissonSource`, id = MNIST index,
//! test images offset by 60 000). Samples are distributed over the rayon pool in any order and
//! the results are put back in sample order, so the features are bit-identical for any
//! number of threads.

use crate::branching::branching;
use crate::config::{Config, Mode, Scaling};
use crate::encode::{Encoded, encode, rescale_factor};
use crate::error::{NalsmError, Result};
use crate::kernel::{InputStream, Params, Sim};
use crate::liquid::Liquid;
use crate::readout::{self, Fit};
use glia_core::{CounterRng, Purpose};
use glia_io::ArrayData;
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
    /// Initialisation and feature samples taken from the checkpoints of an earlier,
    /// interrupted run (not simulated, nor timed, by this one).
    pub reused: usize,
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
    progress.phase("init", cfg.protocol.init_samples as u64);
    init_range(
        cfg,
        liq,
        p,
        data,
        &mut w,
        0..cfg.protocol.init_samples,
        progress,
    );
    w
}

/// Initialisation samples `range` (each starts from the reset state, so a range can be run
/// on the weights the previous ranges left).
fn init_range(
    cfg: &Config,
    liq: &Liquid,
    p: &Params,
    data: &Data,
    w: &mut [f32],
    range: std::ops::Range<usize>,
    progress: &dyn Progress,
) {
    let mut sim = Sim::new(liq, p);
    let mut counts = vec![0u32; liq.n];
    let mut pending = 0;
    for k in range {
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
            w,
            &data.train[img],
            stream,
            cfg.protocol.init_ms,
            false,
            &mut counts,
            None,
        );
        pending += 1;
        if pending == 64 {
            progress.inc(64);
            pending = 0;
        }
    }
    progress.inc(pending);
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
/// and the report. Nothing is written to disk (see [`simulate_resumable`]).
pub fn simulate(
    cfg: &Config,
    data: &Data,
    progress: &dyn Progress,
) -> (Features, Vec<f32>, SimReport) {
    match simulate_inner(cfg, data, None, None, progress) {
        Ok(Some(r)) => r,
        _ => unreachable!("a simulation without checkpoints neither fails nor stops"),
    }
}

/// [`simulate`] with checkpoints in `dir` (created if needed): the initialisation's weights
/// every `protocol.chunk` initialisation samples (`init.npz`), then the spike counts of every
/// chunk of `protocol.chunk` samples of each split (`test_K.npz`, `val_K.npz`,
/// `train_K.npz`), each file written atomically. Whatever `dir` already holds from an
/// interrupted run of the same configuration (checked against `dir/fingerprint.txt`) is
/// reused, so the result is bit-identical to an uninterrupted run. With `max_chunks`, at
/// most that many new checkpoints are simulated and `Ok(None)` is returned if work remains.
pub fn simulate_resumable(
    cfg: &Config,
    data: &Data,
    dir: &Path,
    max_chunks: Option<usize>,
    progress: &dyn Progress,
) -> Result<Option<(Features, Vec<f32>, SimReport)>> {
    simulate_inner(cfg, data, Some(dir), max_chunks, progress)
}

/// What determines the simulated features (everything but the readout, the branching
/// measurement and the output folder); `Debug` prints floats exactly.
pub fn fingerprint(cfg: &Config, data: &Data) -> String {
    let pr = &cfg.protocol;
    format!(
        "glia-nalsm checkpoint v1\nmode {:?}\nseed {}\nliquid {:?}\ninput {:?}\nplasticity {:?}\n\
         init {} x {} ms\nsample {} ms\nchunk {}\nmnist {:?}\nimages {} {} {} (val from {}), {} pixels\n",
        cfg.mode,
        cfg.seed,
        cfg.liquid,
        cfg.input,
        cfg.plasticity,
        pr.init_samples,
        pr.init_ms,
        pr.sample_ms,
        pr.chunk,
        cfg.mnist_dir,
        data.train.len(),
        data.val.len(),
        data.test.len(),
        data.val_start,
        data.pixels,
    )
}

/// The checkpoint folder of a run.
struct Checkpoints<'a> {
    dir: &'a Path,
    /// New checkpoints still allowed in this call.
    budget: Option<usize>,
    /// Samples (initialisation and features) taken from earlier runs.
    reused: usize,
}

impl Checkpoints<'_> {
    fn open<'a>(dir: &'a Path, fp: &str, budget: Option<usize>) -> Result<Checkpoints<'a>> {
        let io = |e: std::io::Error| NalsmError::Data(format!("{}: {e}", dir.display()));
        std::fs::create_dir_all(dir).map_err(io)?;
        let fpath = dir.join("fingerprint.txt");
        match std::fs::read_to_string(&fpath) {
            Ok(old) if old != fp => {
                return Err(NalsmError::Data(format!(
                    "{} holds checkpoints of a different configuration (see its \
                     fingerprint.txt); delete the folder or choose another `out`",
                    dir.display()
                )));
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut f = glia_io::AtomicFile::create(&fpath)?;
                std::io::Write::write_all(f.writer(), fp.as_bytes()).map_err(io)?;
                f.commit()?;
            }
            Err(e) => return Err(io(e)),
        }
        Ok(Checkpoints {
            dir,
            budget,
            reused: 0,
        })
    }

    /// Whether one more checkpoint may be simulated (and count it).
    fn take(&mut self) -> bool {
        match &mut self.budget {
            Some(0) => false,
            Some(b) => {
                *b -= 1;
                true
            }
            None => true,
        }
    }

    fn read_init(&self, synapses: usize) -> Result<Option<(usize, Vec<f32>)>> {
        let path = self.dir.join("init.npz");
        if !path.exists() {
            return Ok(None);
        }
        let done = glia_io::read_npz_array(&path, "done")?;
        let w = glia_io::read_npz_array(&path, "w")?;
        match (done, w) {
            (Some((_, ArrayData::Int(d))), Some((shape, ArrayData::Float(w))))
                if d.len() == 1 && d[0] >= 0 && shape == [synapses] =>
            {
                Ok(Some((d[0] as usize, w.iter().map(|&x| x as f32).collect())))
            }
            _ => Err(NalsmError::Data(format!(
                "{}: not an initialisation checkpoint of this liquid",
                path.display()
            ))),
        }
    }

    fn write_init(&self, done: usize, w: &[f32]) -> Result<()> {
        use ndarray::Array1;
        let mut z = glia_io::NpzOut::create(&self.dir.join("init.npz"))?;
        z.add("done", &Array1::from(vec![done as i64]))?;
        z.add("w", &Array1::from(w.to_vec()))?;
        z.finish()?;
        Ok(())
    }

    fn read_counts(&self, name: &str, rows: usize, n: usize) -> Result<Option<Vec<u16>>> {
        let path = self.dir.join(format!("{name}.npz"));
        if !path.exists() {
            return Ok(None);
        }
        match glia_io::read_npz_array(&path, "counts")? {
            Some((shape, ArrayData::Int(v))) if shape == [rows, n] => {
                Ok(Some(v.iter().map(|&x| x.clamp(0, 65_535) as u16).collect()))
            }
            _ => Err(NalsmError::Data(format!(
                "{}: not a chunk of {rows} samples × {n} neurons",
                path.display()
            ))),
        }
    }

    fn write_counts(&self, name: &str, counts: &[u16], n: usize) -> Result<()> {
        use ndarray::Array2;
        let mut z = glia_io::NpzOut::create(&self.dir.join(format!("{name}.npz")))?;
        let a = Array2::from_shape_vec((counts.len() / n, n), counts.to_vec()).expect("shape");
        z.add("counts", &a)?;
        z.finish()?;
        Ok(())
    }
}

fn simulate_inner(
    cfg: &Config,
    data: &Data,
    dir: Option<&Path>,
    max_chunks: Option<usize>,
    progress: &dyn Progress,
) -> Result<Option<(Features, Vec<f32>, SimReport)>> {
    let liq = Liquid::build(cfg, data.pixels);
    let p = Params::new(cfg);
    let fp = fingerprint(cfg, data);
    let mut ck = dir
        .map(|d| Checkpoints::open(d, &fp, max_chunks))
        .transpose()?;
    let pr = &cfg.protocol;
    let chunk = pr.chunk;
    // 1. Initialisation.
    let t0 = Instant::now();
    let w_ini: Vec<f32> = if cfg.mode == Mode::Lsm || pr.init_samples == 0 {
        liq.w0.to_vec()
    } else if let Some(ck) = ck.as_mut() {
        progress.phase("init", pr.init_samples as u64);
        let (mut done, mut w) = ck
            .read_init(liq.synapses())?
            .unwrap_or_else(|| (0, liq.w0.to_vec()));
        done = done.min(pr.init_samples);
        ck.reused += done;
        progress.inc(done as u64);
        while done < pr.init_samples {
            if !ck.take() {
                return Ok(None);
            }
            let end = (done + chunk).min(pr.init_samples);
            init_range(cfg, &liq, &p, data, &mut w, done..end, progress);
            done = end;
            ck.write_init(done, &w)?;
        }
        w
    } else {
        initialise(cfg, &liq, &p, data, progress)
    };
    let init_s = t0.elapsed().as_secs_f64();
    // 2. Features, split by split, chunk by chunk.
    let t1 = Instant::now();
    let total = (data.train.len() + data.val.len() + data.test.len()) as u64;
    progress.phase("samples", total);
    let ids_tr: Vec<u32> = (0..data.train.len() as u32).collect();
    let ids_v: Vec<u32> = (0..data.val.len())
        .map(|i| (data.val_start + i) as u32)
        .collect();
    let ids_te: Vec<u32> = (0..data.test.len()).map(|i| 60_000 + i as u32).collect();
    let b = &cfg.branching;
    let n = liq.n;
    let mut split = |name: &str, images: &[Encoded], ids: &[u32]| -> Result<Option<Vec<u16>>> {
        let Some(ck) = ck.as_mut() else {
            return Ok(Some(
                sample_counts(cfg, &liq, &p, &w_ini, images, ids, 0, progress).0,
            ));
        };
        let mut out = Vec::with_capacity(images.len() * n);
        for (k, start) in (0..images.len()).step_by(chunk).enumerate() {
            let end = (start + chunk).min(images.len());
            let file = format!("{name}_{k}");
            if let Some(c) = ck.read_counts(&file, end - start, n)? {
                ck.reused += end - start;
                progress.inc((end - start) as u64);
                out.extend_from_slice(&c);
                continue;
            }
            if !ck.take() {
                return Ok(None);
            }
            let (c, _) = sample_counts(
                cfg,
                &liq,
                &p,
                &w_ini,
                &images[start..end],
                &ids[start..end],
                0,
                progress,
            );
            ck.write_counts(&file, &c, n)?;
            out.extend_from_slice(&c);
        }
        Ok(Some(out))
    };
    let Some(test) = split("test", &data.test, &ids_te)? else {
        return Ok(None);
    };
    let Some(val) = split("val", &data.val, &ids_v)? else {
        return Ok(None);
    };
    let Some(train) = split("train", &data.train, &ids_tr)? else {
        return Ok(None);
    };
    // 3. Branching factor: the first test samples again, with their spikes recorded (same
    // streams, so the same spikes as in their features).
    let recs = if b.samples > 0 {
        let k = b.samples.min(data.test.len());
        sample_counts(
            cfg,
            &liq,
            &p,
            &w_ini,
            &data.test[..k],
            &ids_te[..k],
            k,
            &Silent,
        )
        .1
    } else {
        Vec::new()
    };
    let samples_s = t1.elapsed().as_secs_f64();
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
        reused: ck.as_ref().map_or(0, |c| c.reused),
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
    Ok(Some((f, w_ini, report)))
}

/// Fit the readout on features (one progress unit per epoch).
pub fn fit_readout(cfg: &Config, f: &Features, progress: &dyn Progress) -> Fit {
    let mut tr = readout::l1_rows(&f.train, f.neurons);
    let mut va = readout::l1_rows(&f.val, f.neurons);
    let mut te = readout::l1_rows(&f.test, f.neurons);
    match cfg.readout.scaling {
        Scaling::Standardise => {
            let (mu, inv) = readout::standardiser(&tr);
            for m in [&mut tr, &mut va, &mut te] {
                readout::standardise(m, &mu, &inv);
            }
        }
        Scaling::BatchMax => {
            for m in [&mut tr, &mut va, &mut te] {
                readout::batch_max(m, cfg.readout.batch);
            }
        }
    }
    readout::fit(
        &cfg.readout,
        cfg.seed,
        readout::Labelled(&tr, &f.train_y),
        readout::Labelled(&va, &f.val_y),
        readout::Labelled(&te, &f.test_y),
        progress,
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
