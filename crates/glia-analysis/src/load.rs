//! Reading a `glia run` output directory: `summary.json` (population sizes, simulated time)
//! and `spikes.npz` (per monitored population `P`: `P.times`, `P.ids` and, for a subset,
//! `P.recorded`).

use crate::SpikeTrains;
use glia_io::{ArrayData, IoError, npz_names, read_npz_array};
use std::path::Path;

fn format_err(path: &Path, array: Option<&str>, message: impl Into<String>) -> IoError {
    IoError::Format {
        path: path.to_path_buf(),
        array: array.map(str::to_string),
        message: message.into(),
    }
}

fn array(path: &Path, name: &str) -> Result<ArrayData, IoError> {
    read_npz_array(path, name)?
        .map(|s| s.1)
        .ok_or_else(|| format_err(path, Some(name), "missing"))
}

/// The spike trains of every population with a spike monitor in `dir`, observed from `from`
/// ms to the end of the simulated time, in the order of `spikes.npz`. A monitor of a subset of
/// neurons gives trains for the recorded neurons only.
pub fn spike_trains(dir: &Path, from: f64) -> Result<Vec<(String, SpikeTrains)>, IoError> {
    let summary_path = dir.join("summary.json");
    let text = std::fs::read_to_string(&summary_path).map_err(|source| IoError::Io {
        path: summary_path.clone(),
        source,
    })?;
    let summary: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| format_err(&summary_path, None, format!("not valid JSON: {e}")))?;
    let t_stop = summary["simulation"]["simulated_ms"]
        .as_f64()
        .ok_or_else(|| format_err(&summary_path, None, "missing simulation.simulated_ms"))?;
    let spikes = dir.join("spikes.npz");
    if !spikes.exists() {
        return Err(IoError::Io {
            path: spikes,
            source: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "no spikes.npz (the model has no spike monitor)",
            ),
        });
    }
    let names = npz_names(&spikes)?;
    let mut out = Vec::new();
    for name in names.iter().filter_map(|n| n.strip_suffix(".times")) {
        let size = summary["populations"][name]["size"]
            .as_u64()
            .ok_or_else(|| {
                format_err(
                    &summary_path,
                    None,
                    format!("missing populations.{name}.size"),
                )
            })? as usize;
        let ArrayData::Float(times) = array(&spikes, &format!("{name}.times"))? else {
            return Err(format_err(
                &spikes,
                Some(&format!("{name}.times")),
                "expected floats",
            ));
        };
        let ArrayData::Int(ids) = array(&spikes, &format!("{name}.ids"))? else {
            return Err(format_err(
                &spikes,
                Some(&format!("{name}.ids")),
                "expected integers",
            ));
        };
        let recorded = match read_npz_array(&spikes, &format!("{name}.recorded"))? {
            Some(s) => match s.1 {
                ArrayData::Int(r) => Some(r),
                ArrayData::Float(_) => {
                    return Err(format_err(
                        &spikes,
                        Some(&format!("{name}.recorded")),
                        "expected integers",
                    ));
                }
            },
            None => None,
        };
        let (n, ids): (usize, Vec<u32>) = match recorded {
            None => (size, ids.iter().map(|&i| i as u32).collect()),
            Some(r) => {
                let mut map = vec![u32::MAX; size];
                for (k, &i) in r.iter().enumerate() {
                    if let Some(m) = map.get_mut(i as usize) {
                        *m = k as u32;
                    }
                }
                let ids = ids
                    .iter()
                    .map(|&i| map.get(i as usize).copied().unwrap_or(u32::MAX))
                    .collect();
                (r.len(), ids)
            }
        };
        out.push((
            name.to_string(),
            SpikeTrains::new(n, from, t_stop, &times, &ids),
        ));
    }
    Ok(out)
}
