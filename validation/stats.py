"""Population spike statistics, computed the same way for glia and for Brian2.

Both simulators write spikes in one layout: an ``.npz`` with, per population,
``{pop}.times`` (float64, ms) and ``{pop}.ids`` (uint32, index within the
population). glia writes it as ``OUT/spikes.npz`` with the population sizes in
``OUT/summary.json`` under ``populations.{pop}.size``;
``brian2_reference.py --export`` writes ``brian2_spikes.npz``.

Statistics, for each population and for the whole network ("all"), over the
window [t_start, t_stop):

* ``rate_hz``: spikes / (neurons * window length);
* ``cv_isi``: mean over neurons with at least 3 spikes in the window of
  std(ISI) / mean(ISI) (population std, ddof = 0); ``n_cv`` such neurons;
* ``fano``: variance / mean (ddof = 0) of the population's spike count in
  consecutive bins of ``bin_ms`` (5 ms) from t_start; a last partial bin is dropped.

Spike times are mapped to integer time steps (``round(t / dt)``) before
windowing and binning, so that times on the dt grid never fall into different
bins because of rounding. The two simulators stamp a spike found in step s
(the update from s*dt to (s+1)*dt) differently: Brian2 at s*dt, glia at
(s+1)*dt (crates/glia-sim/src/lib.rs). ``glia_stats`` therefore shifts glia's
stamps back by one step, so that both sides bin the same step s alike. Undefined values (no neuron with 3 spikes, no spike)
are ``None`` (JSON null).

Command line (glia output):  python validation/stats.py OUT --duration-ms 1000
"""

from __future__ import annotations

import argparse
import json
import os

import numpy as np

BIN_MS = 5.0
DT_MS = 0.1
MIN_SPIKES_CV = 3
GLIA_STAMP_STEPS = 1   # glia stamps step s at (s+1)*dt; Brian2 (and compute_stats) at s*dt


def _steps(times_ms: np.ndarray, dt_ms: float) -> np.ndarray:
    return np.rint(np.asarray(times_ms, dtype=np.float64) / dt_ms).astype(np.int64)


def _one(steps: np.ndarray, ids: np.ndarray, size: int, t0: int, t1: int, dt_ms: float,
         bin_steps: int) -> dict:
    """Statistics of one group of ``size`` neurons; spikes as (step, id), ids in [0, size)."""
    keep = (steps >= t0) & (steps < t1)
    steps, ids = steps[keep], ids[keep]
    n_spikes = int(len(steps))
    window_s = (t1 - t0) * dt_ms * 1e-3
    rate = n_spikes / (size * window_s) if size and window_s > 0 else None

    order = np.lexsort((steps, ids))
    steps, ids = steps[order], ids[order]
    counts = np.bincount(ids, minlength=size)
    cvs = []
    starts = np.concatenate(([0], np.cumsum(counts)))
    for n in np.flatnonzero(counts >= MIN_SPIKES_CV):
        isi = np.diff(steps[starts[n]:starts[n + 1]]).astype(np.float64)
        cvs.append(isi.std() / isi.mean())
    cv = float(np.mean(cvs)) if cvs else None

    n_bins = (t1 - t0) // bin_steps
    binned = np.bincount((steps - t0) // bin_steps, minlength=n_bins)[:n_bins].astype(np.float64)
    mean = binned.mean() if n_bins else 0.0
    fano = float(binned.var() / mean) if mean > 0 else None
    return {"n_neurons": int(size), "n_spikes": n_spikes, "rate_hz": rate, "cv_isi": cv,
            "n_cv": len(cvs), "fano": fano}


def compute_stats(spikes: dict[str, tuple[np.ndarray, np.ndarray]], sizes: dict[str, int],
                  t_stop_ms: float, t_start_ms: float = 0.0, bin_ms: float = BIN_MS,
                  dt_ms: float = DT_MS, stamp_steps: int = 0) -> dict:
    """Statistics per population and for all populations together.

    ``spikes[pop] = (times_ms, ids)`` with ids indexing within the population;
    ``sizes[pop]`` is the population size; a spike stamped t belongs to step
    ``round(t / dt) - stamp_steps`` (0 for Brian2, ``GLIA_STAMP_STEPS`` for glia). Returns
    ``{"window_ms": [t_start, t_stop], "bin_ms": .., "populations": {pop: {..}}, "all": {..}}``.
    """
    t0, t1 = int(round(t_start_ms / dt_ms)), int(round(t_stop_ms / dt_ms))
    bin_steps = int(round(bin_ms / dt_ms))
    if t1 <= t0 or bin_steps < 1:
        raise ValueError(f"empty window [{t_start_ms}, {t_stop_ms}) ms or bin {bin_ms} ms")
    per_pop, all_steps, all_ids = {}, [], []
    offset = 0
    for pop, size in sizes.items():
        times, ids = spikes.get(pop, (np.empty(0), np.empty(0, dtype=np.int64)))
        steps, ids = _steps(times, dt_ms) - stamp_steps, np.asarray(ids, dtype=np.int64)
        if len(ids) and (ids.min() < 0 or ids.max() >= size):
            raise ValueError(f"population {pop}: spike ids outside [0, {size})")
        per_pop[pop] = _one(steps, ids, size, t0, t1, dt_ms, bin_steps)
        all_steps.append(steps)
        all_ids.append(ids + offset)
        offset += size
    whole = _one(np.concatenate(all_steps), np.concatenate(all_ids), offset, t0, t1, dt_ms,
                 bin_steps)
    return {"window_ms": [t_start_ms, t_stop_ms], "bin_ms": bin_ms, "dt_ms": dt_ms,
            "populations": per_pop, "all": whole}


def load_spikes(npz_path: str, pops) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Read ``{pop}.times`` / ``{pop}.ids`` for each population in ``pops``."""
    with np.load(npz_path) as f:
        return {pop: (f[f"{pop}.times"], f[f"{pop}.ids"]) for pop in pops}


def glia_stats(out_dir: str, duration_ms: float, t_start_ms: float = 0.0) -> dict:
    """Statistics of a glia run from ``OUT/spikes.npz`` and ``OUT/summary.json``."""
    with open(os.path.join(out_dir, "summary.json")) as f:
        summary = json.load(f)
    sizes = {pop: int(p["size"]) for pop, p in summary["populations"].items()}
    spikes = load_spikes(os.path.join(out_dir, "spikes.npz"), sizes)
    return compute_stats(spikes, sizes, duration_ms, t_start_ms, stamp_steps=GLIA_STAMP_STEPS)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out_dir", help="glia output folder with spikes.npz and summary.json")
    ap.add_argument("--duration-ms", type=float, required=True, help="simulated time (ms)")
    ap.add_argument("--t-start-ms", type=float, default=0.0,
                    help="start of the analysis window (ms), to skip a transient")
    ap.add_argument("--write", metavar="FILE",
                    help="also write the JSON to FILE (default: print only)")
    args = ap.parse_args()
    stats = glia_stats(args.out_dir, args.duration_ms, args.t_start_ms)
    text = json.dumps(stats, indent=2)
    print(text)
    if args.write:
        with open(args.write, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
