//! Reading what the figures need from a `glia run` output directory.

use crate::PlotError;
use glia_analysis::SpikeTrains;
use glia_io::{ArrayData, IoError, npz_names, read_npz_array};
use std::path::{Path, PathBuf};

/// One state monitor: samples of some variables of some neurons.
#[derive(Clone, Debug)]
pub struct StateMonitor {
    /// Monitor name (the `M` of `M.t`), usually the population's name.
    pub name: String,
    /// The neuron model of the population of that name, if there is one.
    pub model: Option<String>,
    /// Sample times \[ms\], within the plotted window.
    pub t: Vec<f64>,
    /// Recorded neurons.
    pub ids: Vec<i64>,
    /// Per variable: name and samples (`t.len()` rows × `ids.len()` columns, row-major).
    pub vars: Vec<(String, Vec<f64>)>,
}

/// A run's outputs, restricted to a time window.
#[derive(Clone, Debug)]
pub struct Run {
    /// The output directory.
    pub dir: PathBuf,
    /// The model's name (the file stem of the model path).
    pub model_name: String,
    /// The model file as given to `glia run`.
    pub model_path: String,
    /// Simulation step \[ms\].
    pub dt: f64,
    /// Plotted window \[ms\].
    pub window: (f64, f64),
    /// Per spike-monitored population: name, size, spike trains of the recorded neurons, and
    /// the population indices of those neurons (`None`: all, in order).
    pub spikes: Vec<(String, usize, SpikeTrains, Option<Vec<i64>>)>,
    /// State monitors.
    pub state: Vec<StateMonitor>,
    /// Per plastic projection (`weights.npz`): name and weights at the end of the run.
    pub weights: Vec<(String, Vec<f64>)>,
}

fn input(dir: &Path, message: impl Into<String>) -> PlotError {
    PlotError::Input {
        dir: dir.to_path_buf(),
        message: message.into(),
    }
}

fn format_err(path: &Path, array: &str, message: &str) -> PlotError {
    PlotError::Io(IoError::Format {
        path: path.to_path_buf(),
        array: Some(array.to_string()),
        message: message.to_string(),
    })
}

fn floats(path: &Path, name: &str) -> Result<(Vec<usize>, Vec<f64>), PlotError> {
    match read_npz_array(path, name)? {
        Some((shape, ArrayData::Float(v))) => Ok((shape, v)),
        Some(_) => Err(format_err(path, name, "expected floats")),
        None => Err(format_err(path, name, "missing")),
    }
}

fn ints(path: &Path, name: &str) -> Result<Vec<i64>, PlotError> {
    match read_npz_array(path, name)? {
        Some((_, ArrayData::Int(v))) => Ok(v),
        Some(_) => Err(format_err(path, name, "expected integers")),
        None => Err(format_err(path, name, "missing")),
    }
}

impl Run {
    /// Read the outputs in `dir`, keeping spikes and samples in `[from, to)` ms (`to`: the end
    /// of the run when `None`).
    pub fn load(dir: &Path, from: f64, to: Option<f64>) -> Result<Self, PlotError> {
        if !dir.is_dir() {
            return Err(input(dir, "no such directory"));
        }
        let summary_path = dir.join("summary.json");
        if !summary_path.exists() {
            return Err(input(
                dir,
                "no summary.json: not the output directory of `glia run` (or the run has not \
                 finished writing)",
            ));
        }
        let text = std::fs::read_to_string(&summary_path).map_err(|source| IoError::Io {
            path: summary_path.clone(),
            source,
        })?;
        let summary: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| IoError::Format {
                path: summary_path.clone(),
                array: None,
                message: format!("not valid JSON: {e}"),
            })?;
        let simulated = summary["simulation"]["simulated_ms"]
            .as_f64()
            .ok_or_else(|| IoError::Format {
                path: summary_path.clone(),
                array: None,
                message: "missing simulation.simulated_ms".into(),
            })?;
        let dt = summary["simulation"]["dt_ms"].as_f64().unwrap_or(0.1);
        let model_path = summary["model"].as_str().unwrap_or("model").to_string();
        let model_name = Path::new(&model_path)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| model_path.clone());

        if !(from.is_finite() && from >= 0.0) {
            return Err(input(dir, format!("--from: must be ≥ 0, got {from}")));
        }
        let to = to.unwrap_or(simulated).min(simulated);
        if !(to.is_finite() && to > from) {
            return Err(input(
                dir,
                format!(
                    "empty time window [{from}, {to}) ms (the run simulated {simulated} ms); \
                     --from must be below --to and the simulated time"
                ),
            ));
        }

        let spikes_path = dir.join("spikes.npz");
        let state_path = dir.join("state.npz");
        let weights_path = dir.join("weights.npz");
        if !spikes_path.exists() && !state_path.exists() && !weights_path.exists() {
            return Err(input(
                dir,
                "nothing to plot: no spikes.npz, state.npz or weights.npz (the model has no \
                 spike or state monitor and no plastic projection)",
            ));
        }

        let mut spikes = Vec::new();
        if spikes_path.exists() {
            for (name, trains) in glia_analysis::load::spike_trains(dir, from)? {
                let size = summary["populations"][&name]["size"]
                    .as_u64()
                    .unwrap_or(trains.n as u64) as usize;
                let recorded = match read_npz_array(&spikes_path, &format!("{name}.recorded"))? {
                    Some((_, ArrayData::Int(r))) => Some(r),
                    _ => None,
                };
                let trains = SpikeTrains {
                    t_stop: to,
                    trains: trains
                        .trains
                        .into_iter()
                        .map(|t| t.into_iter().filter(|&s| s < to).collect())
                        .collect(),
                    ..trains
                };
                spikes.push((name, size, trains, recorded));
            }
        }

        let mut state = Vec::new();
        if state_path.exists() {
            let names = npz_names(&state_path)?;
            for m in names.iter().filter_map(|n| n.strip_suffix(".t")) {
                let (_, t) = floats(&state_path, &format!("{m}.t"))?;
                let ids = ints(&state_path, &format!("{m}.ids"))?;
                let keep: Vec<usize> = (0..t.len())
                    .filter(|&k| t[k] >= from && t[k] <= to)
                    .collect();
                let mut vars = Vec::new();
                let prefix = format!("{m}.");
                for full in &names {
                    let Some(var) = full.strip_prefix(&prefix) else {
                        continue;
                    };
                    if var == "t" || var == "ids" {
                        continue;
                    }
                    let (shape, data) = floats(&state_path, full)?;
                    let cols = ids.len();
                    if data.len() != t.len() * cols {
                        return Err(format_err(
                            &state_path,
                            full,
                            &format!(
                                "shape {shape:?} does not match {} samples × {cols} neurons",
                                t.len()
                            ),
                        ));
                    }
                    let rows: Vec<f64> = keep
                        .iter()
                        .flat_map(|&k| data[k * cols..(k + 1) * cols].iter().copied())
                        .collect();
                    vars.push((var.to_string(), rows));
                }
                state.push(StateMonitor {
                    name: m.to_string(),
                    model: summary["populations"][m]["model"]
                        .as_str()
                        .map(str::to_string),
                    t: keep.iter().map(|&k| t[k]).collect(),
                    ids,
                    vars,
                });
            }
        }

        let mut weights = Vec::new();
        if weights_path.exists() {
            for full in npz_names(&weights_path)? {
                if let Some(proj) = full.strip_suffix(".weights") {
                    let (_, w) = floats(&weights_path, &full)?;
                    if let Some(x) = w.iter().find(|x| !x.is_finite()) {
                        return Err(format_err(
                            &weights_path,
                            &full,
                            &format!("weights must be finite, got {x}"),
                        ));
                    }
                    weights.push((proj.to_string(), w));
                }
            }
        }

        Ok(Self {
            dir: dir.to_path_buf(),
            model_name,
            model_path,
            dt,
            window: (from, to),
            spikes,
            state,
            weights,
        })
    }
}
