//! Result files: `spikes.npz`, `state.npz`, `rates.npz` and `summary.json`.
//!
//! | file | arrays |
//! |---|---|
//! | `spikes.npz` | per monitored population `P`: `P.times` (float64, ms), `P.ids` (uint32, index in `P`), and `P.recorded` (uint32, the recorded neurons) when the monitor has `ids` |
//! | `state.npz` | per state monitor `M`: `M.t` (float64, ms), `M.ids` (uint32), `M.<var>` (float64, samples × ids) |
//! | `rates.npz` | per rate monitor on population `P`: `P.t` (float64, ms, bin start), `P.rate` (float64, Hz) |
//! | `weights.npz` | per plastic projection `J`: `J.sources`, `J.targets` (int64), `J.weights` (float64) at the end of the run, in CSR order |
//! | `summary.json` | sizes, spike counts, mean rates, CV of ISIs, synapse counts, timings, `complete` (and `stopped`, the reason, when the run stopped early) |
//!
//! Every file is written to a temporary name and renamed when complete; `summary.json` is
//! written last, so its presence with `"complete": true` means the run finished. A run whose
//! spike monitors streamed to disk ([`crate::sink`]) writes the same files with
//! [`write_outputs_streamed`].

use crate::sink::SpikeSink;
use crate::{Network, RunStats};
use glia_io::{IoError, NpzOut, write_json_atomic};
use ndarray::{Array1, Array2};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// What the run was, for the summary.
pub struct RunInfo<'a> {
    /// The model file.
    pub model_path: &'a str,
    /// Figures of the run.
    pub run: RunStats,
    /// `\[parameters\]` used.
    pub parameters: &'a std::collections::BTreeMap<String, f64>,
}

/// Write all outputs of `net` into `dir` (created if missing). Returns the files written.
pub fn write_outputs(
    net: &Network,
    dir: &Path,
    info: &RunInfo<'_>,
) -> Result<Vec<PathBuf>, IoError> {
    write_outputs_stopped(net, dir, info, None)
}

/// [`write_outputs`] for a run that stopped early: `reason` (an interruption, a numerical
/// fault) goes into `summary.json` as `"stopped"`, and `"complete"` is false.
pub fn write_outputs_stopped(
    net: &Network,
    dir: &Path,
    info: &RunInfo<'_>,
    reason: Option<&str>,
) -> Result<Vec<PathBuf>, IoError> {
    write_all(net, dir, info, reason, None, &|_| {})
}

/// [`write_outputs_stopped`] with `patch` applied to the summary before it is written (a
/// distributed run adds its figures summed over ranks, see [`crate::distributed`]).
pub fn write_outputs_with(
    net: &Network,
    dir: &Path,
    info: &RunInfo<'_>,
    reason: Option<&str>,
    patch: &dyn Fn(&mut Value),
) -> Result<Vec<PathBuf>, IoError> {
    write_all(net, dir, info, reason, None, patch)
}

/// [`write_outputs_stopped`] for a run whose spike monitors spilled into `sink`: `spikes.npz`
/// is assembled by streaming the spilled spikes and then those still in memory, never holding
/// all of them; the file is byte for byte the one [`write_outputs_stopped`] writes.
pub fn write_outputs_streamed(
    net: &Network,
    dir: &Path,
    info: &RunInfo<'_>,
    reason: Option<&str>,
    sink: &mut SpikeSink,
) -> Result<Vec<PathBuf>, IoError> {
    write_all(net, dir, info, reason, Some(sink), &|_| {})
}

fn write_all(
    net: &Network,
    dir: &Path,
    info: &RunInfo<'_>,
    reason: Option<&str>,
    mut sink: Option<&mut SpikeSink>,
    patch: &dyn Fn(&mut Value),
) -> Result<Vec<PathBuf>, IoError> {
    std::fs::create_dir_all(dir).map_err(|source| IoError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut files = Vec::new();
    let dt = net.dt;
    let m = &net.monitors;
    if !m.spikes.is_empty() {
        let path = dir.join("spikes.npz");
        let mut z = NpzOut::create(&path)?;
        let time = |k: u64| (k + 1) as f64 * dt;
        for (r, s) in m.spikes.iter().enumerate() {
            let name = &net.pops[s.pop].name;
            if let Some(sink) = sink.as_deref_mut() {
                let n = sink.spilled(r) + s.steps.len() as u64;
                z.add_streamed::<f64>(&format!("{name}.times"), n, |out| {
                    sink.stream_steps(r, out, time)?;
                    for c in s.steps.chunks(1 << 16) {
                        out.write(&c.iter().map(|&k| time(k)).collect::<Vec<f64>>())?;
                    }
                    Ok(())
                })?;
                z.add_streamed::<u32>(&format!("{name}.ids"), n, |out| {
                    sink.stream_ids(r, out)?;
                    out.write(&s.ids)
                })?;
            } else {
                let times: Array1<f64> = s.steps.iter().map(|&k| time(k)).collect();
                z.add(&format!("{name}.times"), &times)?;
                z.add(&format!("{name}.ids"), &Array1::from(s.ids.clone()))?;
            }
            if let Some(sel) = &s.selected {
                let rec: Array1<u32> = sel
                    .iter()
                    .enumerate()
                    .filter(|(_, on)| **on)
                    .map(|(i, _)| i as u32)
                    .collect();
                z.add(&format!("{name}.recorded"), &rec)?;
            }
        }
        z.finish()?;
        files.push(path);
    }
    if !m.state.is_empty() {
        let path = dir.join("state.npz");
        let mut z = NpzOut::create(&path)?;
        for s in &m.state {
            let t: Array1<f64> = s.steps.iter().map(|&k| (k + 1) as f64 * dt).collect();
            z.add(&format!("{}.t", s.name), &t)?;
            z.add(&format!("{}.ids", s.name), &Array1::from(s.ids.clone()))?;
            for (var, data) in s.variables.iter().zip(&s.data) {
                let a = Array2::from_shape_vec((s.steps.len(), s.ids.len()), data.clone())
                    .expect("state monitor data has samples × ids elements");
                z.add(&format!("{}.{var}", s.name), &a)?;
            }
        }
        z.finish()?;
        files.push(path);
    }
    if !m.rates.is_empty() {
        let path = dir.join("rates.npz");
        let mut z = NpzOut::create(&path)?;
        for r in &m.rates {
            let name = &net.pops[r.pop].name;
            let n = net.pops[r.pop].size as f64;
            let full_bins = net.step / r.bin;
            let counts = &r.counts[..(full_bins as usize).min(r.counts.len())];
            let width_s = r.bin as f64 * dt / 1000.0;
            let t: Array1<f64> = (0..counts.len())
                .map(|b| b as f64 * r.bin as f64 * dt)
                .collect();
            let rate: Array1<f64> = counts.iter().map(|&c| c as f64 / (n * width_s)).collect();
            z.add(&format!("{name}.t"), &t)?;
            z.add(&format!("{name}.rate"), &rate)?;
        }
        z.finish()?;
        files.push(path);
    }
    if !net.plastic.is_empty() {
        let path = dir.join("weights.npz");
        let mut z = NpzOut::create(&path)?;
        for pp in &net.plastic {
            let proj = &net.projs[pp.proj];
            let (src, tgt, w) = (
                net.synapse_sources(pp.proj),
                &proj.csr.targets,
                net.weights(pp.proj),
            );
            let name = &proj.name;
            z.add(
                &format!("{name}.sources"),
                &src.iter().map(|&x| i64::from(x)).collect::<Array1<i64>>(),
            )?;
            z.add(
                &format!("{name}.targets"),
                &tgt.iter().map(|&x| i64::from(x)).collect::<Array1<i64>>(),
            )?;
            z.add(
                &format!("{name}.weights"),
                &w.iter().map(|&x| f64::from(x)).collect::<Array1<f64>>(),
            )?;
        }
        z.finish()?;
        files.push(path);
    }
    // Results of an earlier run in the same directory that this run does not produce would
    // look like part of it: remove them.
    for name in ["spikes.npz", "state.npz", "rates.npz", "weights.npz"] {
        let p = dir.join(name);
        if !files.contains(&p) && p.exists() {
            std::fs::remove_file(&p).map_err(|source| IoError::Io {
                path: p.clone(),
                source,
            })?;
        }
    }
    let mut summary = summary(net, info, &files);
    if let Some(r) = reason {
        summary["complete"] = Value::Bool(false);
        summary["stopped"] = Value::String(r.to_string());
    }
    patch(&mut summary);
    let path = dir.join("summary.json");
    write_json_atomic(&path, &summary)?;
    files.push(path);
    Ok(files)
}

/// The summary as JSON.
pub fn summary(net: &Network, info: &RunInfo<'_>, files: &[PathBuf]) -> Value {
    let simulated_ms = net.step as f64 * net.dt;
    let seconds = simulated_ms / 1000.0;
    let mut pops = serde_json::Map::new();
    for (p, st) in net.pops.iter().zip(&net.stats) {
        pops.insert(
            p.name.clone(),
            json!({
                "size": p.size,
                "model": p.model_name,
                "spikes": st.total,
                "mean_rate_hz": if seconds > 0.0 { st.total as f64 / (p.size as f64 * seconds) } else { 0.0 },
                "cv_isi": st.mean_cv(),
            }),
        );
    }
    let mut projs = serde_json::Map::new();
    for pr in &net.projs {
        projs.insert(
            pr.name.clone(),
            json!({
                "source": net.pops[pr.source].name,
                "target": net.pops[pr.target].name,
                "synapses": pr.csr.len(),
                "max_delay_steps": pr.csr.max_delay(),
                "synapse_bytes": pr.csr.bytes(),
            }),
        );
    }
    let run = info.run;
    json!({
        "glia_version": env!("CARGO_PKG_VERSION"),
        "model": info.model_path,
        "complete": run.complete && net.step >= net.planned_steps,
        "simulation": {
            "dt_ms": net.dt,
            "simulated_ms": simulated_ms,
            "steps": net.step,
            "seed": net.seed,
            "threads": net.threads,
        },
        "parameters": info.parameters,
        "populations": pops,
        "projections": projs,
        "synapses": net.synapses(),
        "synapse_bytes": net.synapse_bytes(),
        "timing": {
            "build_s": net.build_s,
            "simulate_s": run.wall_s,
            "s_per_bio_s": if seconds > 0.0 { run.wall_s / seconds } else { 0.0 },
            "synaptic_events": run.events,
            "synaptic_events_per_s": if run.wall_s > 0.0 { run.events as f64 / run.wall_s } else { 0.0 },
        },
        "files": files.iter().filter_map(|f| f.file_name()).map(|f| f.to_string_lossy().into_owned()).collect::<Vec<_>>(),
    })
}
