//! The streaming spike sink (issue 12): spike monitors spilled to disk in chunks give the same
//! `spikes.npz`, byte for byte, as monitors held in memory, complete or interrupted, and the
//! buffers stay bounded.

mod common;

use glia_sim::health::{CHECK_EVERY, OnNan, run_checked, run_checked_with};
use glia_sim::output::{RunInfo, write_outputs_stopped, write_outputs_streamed};
use glia_sim::sink::SpikeSink;
use std::collections::BTreeMap;
use std::path::Path;

/// 800 LIF cells driven by Poisson input (about 30 Hz), one monitor of all cells and one of a
/// subset (with a `recorded` array), 200 ms.
const NET: &str = r#"
[simulation]
dt = 0.1
duration = 200.0
seed = 11

[[populations]]
name = "cells"
size = 800
model = "lif"
params = { tau_m = 20.0, C_m = 200.0, E_L = -70.0, V_th = -54.0, V_reset = -60.0, t_ref = 2.0 }
ports.exc = { type = "current", tau_syn = 5.0 }

[[populations]]
name = "other"
size = 300
model = "lif"
params = { tau_m = 10.0, C_m = 200.0, E_L = -70.0, V_th = -54.0, V_reset = -60.0, t_ref = 2.0 }
ports.exc = { type = "current", tau_syn = 5.0 }

[[inputs]]
kind = "poisson"
target = "cells"
port = "exc"
rate = 3000.0
weight = 40.0

[[inputs]]
kind = "poisson"
target = "other"
port = "exc"
rate = 3000.0
weight = 40.0

[[monitors]]
kind = "spikes"
population = "cells"

[[monitors]]
kind = "spikes"
population = "other"
ids = [3, 5, 8, 13, 21, 34, 55, 89, 144, 233]
"#;

fn info(stats: glia_sim::RunStats, params: &BTreeMap<String, f64>) -> RunInfo<'_> {
    RunInfo {
        model_path: "test",
        run: stats,
        parameters: params,
    }
}

/// Run in memory (stopping after `stop_at` progress calls, if given) and write into `dir`.
fn in_memory(dir: &Path, stop_at: Option<usize>) -> u64 {
    let mut net = common::build(NET);
    let steps = net.planned_steps;
    let mut calls = 0;
    let (stats, f) = run_checked(
        &mut net,
        steps,
        OnNan::Error,
        &mut |_| {
            calls += 1;
            stop_at.is_none_or(|s| calls < s)
        },
        &mut |_| {},
    );
    assert!(f.is_none());
    let params = BTreeMap::new();
    let reason = (!stats.complete).then_some("interrupted");
    write_outputs_stopped(&net, dir, &info(stats, &params), reason).unwrap();
    net.step
}

/// The same run streaming into a sink of `chunk` spikes; returns the steps run, the spikes
/// spilled per monitor and the largest buffer seen at a drain.
fn streamed(dir: &Path, stop_at: Option<usize>, chunk: usize) -> (u64, Vec<u64>, usize) {
    let mut net = common::build(NET);
    let steps = net.planned_steps;
    let mut calls = 0;
    let mut sink = SpikeSink::new(dir, chunk);
    let mut largest = 0;
    let (stats, f) = run_checked_with(
        &mut net,
        steps,
        OnNan::Error,
        &mut |_| {
            calls += 1;
            stop_at.is_none_or(|s| calls < s)
        },
        &mut |_| {},
        &mut |n| {
            largest = n
                .monitors
                .spikes
                .iter()
                .map(|s| s.steps.len())
                .max()
                .unwrap()
                .max(largest);
            sink.drain(n).unwrap();
            true
        },
    );
    assert!(f.is_none());
    let spilled = (0..2).map(|r| sink.spilled(r)).collect();
    for s in &net.monitors.spikes {
        assert!(
            s.steps.len() < chunk,
            "{} left after the last drain",
            s.steps.len()
        );
    }
    let params = BTreeMap::new();
    let reason = (!stats.complete).then_some("interrupted");
    write_outputs_streamed(&net, dir, &info(stats, &params), reason, &mut sink).unwrap();
    drop(sink);
    (net.step, spilled, largest)
}

fn hidden_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect()
}

#[test]
fn streamed_spikes_npz_is_byte_identical_to_in_memory() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let steps = in_memory(a.path(), None);
    let chunk = 500;
    let (steps_b, spilled, largest) = streamed(b.path(), None, chunk);
    assert_eq!(steps, steps_b);
    // the monitor of all cells spilled (the subset one stays in memory: its spikes are
    // written from the buffer alone)
    let whole = std::fs::read(a.path().join("spikes.npz")).unwrap();
    let n_cells = glia_io::read_npz_array(&a.path().join("spikes.npz"), "cells.ids")
        .unwrap()
        .unwrap()
        .0[0] as u64;
    assert!(
        spilled[0] >= n_cells - chunk as u64,
        "{spilled:?} of {n_cells}"
    );
    assert!(spilled[0] > 10 * chunk as u64, "{spilled:?}");
    // 800 cells at about 30 Hz fire about 24 spikes per step: a buffer never holds more
    // than a chunk plus the spikes of one check interval
    assert!(
        largest < chunk + 800 * CHECK_EVERY as usize,
        "largest buffer {largest}"
    );
    assert_eq!(whole, std::fs::read(b.path().join("spikes.npz")).unwrap());
    assert!(
        hidden_files(b.path()).is_empty(),
        "{:?}",
        hidden_files(b.path())
    );
}

#[test]
fn interrupted_streamed_run_writes_the_same_partial_npz() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let steps = in_memory(a.path(), Some(77));
    let (steps_b, spilled, _) = streamed(b.path(), Some(77), 300);
    assert_eq!(steps, steps_b);
    assert!(steps < 2000 && steps > 0, "{steps}");
    assert!(spilled[0] > 0);
    for d in [a.path(), b.path()] {
        let s: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(d.join("summary.json")).unwrap())
                .unwrap();
        assert_eq!(s["complete"], false);
    }
    assert_eq!(
        std::fs::read(a.path().join("spikes.npz")).unwrap(),
        std::fs::read(b.path().join("spikes.npz")).unwrap()
    );
    assert!(hidden_files(b.path()).is_empty());
}

/// Dropping a sink (an error between spilling and writing) removes its scratch files.
#[test]
fn dropped_sink_leaves_no_scratch_files() {
    let d = tempfile::tempdir().unwrap();
    let mut net = common::build(NET);
    let mut sink = SpikeSink::new(d.path(), 10);
    let steps = 100;
    run_checked_with(
        &mut net,
        steps,
        OnNan::Off,
        &mut |_| true,
        &mut |_| {},
        &mut |n| sink.drain(n).is_ok(),
    );
    assert!(sink.spilled(0) > 0);
    let scratch = hidden_files(d.path());
    assert!(
        scratch.len() >= 2 && scratch.iter().all(|n| n.ends_with(".partial")),
        "{scratch:?}"
    );
    drop(sink);
    assert!(hidden_files(d.path()).is_empty());
}
