"""Run a reference network in Brian2 and write its population statistics.

    python validation/brian2_reference.py --net cuba --duration-ms 1000 --seed 1 --out DIR
        [--export DIR2] [--standalone | --quick] [--order 2500] [--t-start-ms 0] [--dt-ms 0.1]

Writes ``DIR/brian2_stats.json``: the statistics of ``stats.compute_stats``
(rate, mean CV of ISIs, Fano factor of 5 ms population counts, per population
and for the whole network) plus wall times. With ``--export DIR2`` it also
writes everything glia needs to simulate the identical network and compare
spike trains:

* ``DIR2/{src}_{tgt}.npz`` per projection: ``sources``, ``targets`` (int64,
  indices within the populations), ``weights`` (float64; pA for CUBA and
  Brunel, nS for COBA), ``delays`` (float64, ms);
* ``DIR2/{pop}_v.npy`` (mV), and the non-zero initial synaptic state:
  ``{pop}_g_exc.npy`` / ``{pop}_g_inh.npy`` (nS, COBA and COBAHH),
  ``{pop}_I_exc.npy`` / ``{pop}_I_inh.npy`` (pA; zero, so absent, in CUBA and Brunel),
  and the gates ``{pop}_m.npy``, ``{pop}_h.npy``, ``{pop}_n.npy`` (COBAHH; zero);
* ``DIR2/brian2_spikes.npz``: ``{pop}.times`` (float64, ms), ``{pop}.ids`` (uint32);
  Brian2 stamps a spike of the step from s*dt to (s+1)*dt at s*dt, one step
  earlier than glia's (s+1)*dt;
* ``DIR2/manifest.json``: network, seed, population sizes, files and units.

Brunel's external Poisson drive is not exported (Brian2 draws it while running).

Brian2 targets: by default the runtime ``cython`` target (compiled code,
about a minute of first-time Cython compilation); ``--quick`` uses the runtime
``numpy`` target, which compiles nothing (for CI); ``--standalone`` uses C++
standalone, single thread, built under /tmp. Connectivity and initial state come
from NumPy with ``--seed`` and are identical in every target.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import brian2 as b2
import numpy as np
from brian2 import ms

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import brian2_nets  # noqa: E402
import stats  # noqa: E402


def population_spikes(model: brian2_nets.Model) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Spike times (ms) and within-population ids, per population."""
    times = np.asarray(model.spikes.t / ms, dtype=np.float64)
    ids = np.asarray(model.spikes.i, dtype=np.int64)
    out = {}
    for pop, size in model.instance.sizes.items():
        off = model.instance.offset(pop)
        sel = (ids >= off) & (ids < off + size)
        out[pop] = (times[sel], (ids[sel] - off).astype(np.uint32))
    return out


def export(model: brian2_nets.Model, spikes: dict, directory: str, duration_ms: float) -> None:
    """Write connectivity, initial state, spikes and a manifest for glia to import."""
    inst = model.instance
    os.makedirs(directory, exist_ok=True)
    files = {"projections": {}, "initial": {}, "spikes": "brian2_spikes.npz"}
    for p in inst.projections:
        name = f"{p.source}_{p.target}.npz"
        n = len(p.sources)
        np.savez(os.path.join(directory, name),
                 sources=p.sources.astype(np.int64), targets=p.targets.astype(np.int64),
                 weights=np.full(n, p.weight, dtype=np.float64),
                 delays=np.full(n, p.delay_ms, dtype=np.float64))
        files["projections"][name] = {"source": p.source, "target": p.target, "n": n,
                                      "weight": p.weight, "delay_ms": p.delay_ms}
    units = {"v": "mV", "g": "nS", "I": "pA", "m": "1", "h": "1", "n": "1"}
    for pop, variables in inst.initial.items():
        for var, values in variables.items():
            if var[0] in "gI" and not np.any(values):
                continue
            name = f"{pop}_{var}.npy"
            np.save(os.path.join(directory, name), np.asarray(values, dtype=np.float64))
            files["initial"][name] = units[var[0]]
    np.savez(os.path.join(directory, "brian2_spikes.npz"),
             **{f"{pop}.{k}": a for pop, (t, i) in spikes.items() for k, a in (("times", t), ("ids", i))})
    manifest = {"net": inst.net, "seed": inst.seed, "dt_ms": float(brian2_nets.DT / ms),
                "duration_ms": duration_ms, "populations": inst.sizes,
                "spike_stamp": "s*dt for a spike in the step from s*dt to (s+1)*dt",
                "weight_unit": inst.weight_unit, "files": files}
    with open(os.path.join(directory, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)


def run(args) -> dict:
    """Build and run the network; return the JSON-ready result."""
    t_begin = time.perf_counter()
    if args.standalone:
        target = "cpp_standalone"
        build_dir = args.build_dir or f"/tmp/glia_brian2_{args.net}_standalone"
        brian2_nets.use_standalone(build_dir)
    else:
        target = "numpy" if args.quick else "cython"
        b2.prefs.codegen.target = target
    b2.seed(args.seed)
    if args.dt_ms is not None:
        brian2_nets.DT = args.dt_ms * ms
    model = brian2_nets.build(args.net, args.seed, args.order)
    t_built = time.perf_counter()
    model.network.run(args.duration_ms * ms)
    wall = {"setup_s": t_built - t_begin}
    if args.standalone:
        b2.device.build(directory=build_dir, compile=True, run=True, with_output=False)
        wall["compile_s"] = b2.device.timers["compile"]["make"]
        wall["binary_s"] = b2.device.timers["run_binary"]
        wall["network_run_s"] = brian2_nets.read_run_timer()
    else:
        wall["run_s"] = time.perf_counter() - t_built
    spikes = population_spikes(model)
    result = {
        "simulator": "brian2", "brian2_version": b2.__version__, "target": target,
        "net": args.net, "seed": args.seed, "duration_ms": args.duration_ms,
        "dt_ms": float(brian2_nets.DT / ms), "synapses": model.instance.n_synapses,
        "stats": stats.compute_stats(spikes, model.instance.sizes, args.duration_ms,
                                     args.t_start_ms),
    }
    if args.export:
        t0 = time.perf_counter()
        export(model, spikes, args.export, args.duration_ms)
        wall["export_s"] = time.perf_counter() - t0
    wall["total_s"] = time.perf_counter() - t_begin
    result["wall"] = wall
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--net", required=True, choices=sorted(brian2_nets.BUILDERS))
    ap.add_argument("--duration-ms", type=float, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True, help="folder for brian2_stats.json")
    ap.add_argument("--export", metavar="DIR2",
                    help="folder for connectivity, initial state and spikes (for glia)")
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--standalone", action="store_true",
                      help="C++ standalone, single thread (build folder under /tmp)")
    mode.add_argument("--quick", action="store_true",
                      help="runtime numpy target: nothing to compile (for CI)")
    ap.add_argument("--build-dir", help="standalone build folder "
                    "(default /tmp/glia_brian2_NET_standalone)")
    ap.add_argument("--order", type=int, default=brian2_nets.BRUNEL_ORDER,
                    help="Brunel: N_E = 4*order, N_I = order")
    ap.add_argument("--t-start-ms", type=float, default=0.0,
                    help="start of the statistics window (ms)")
    ap.add_argument("--dt-ms", type=float,
                    help="Brian2's time step (default 0.1 ms, glia's); a finer step shows how "
                    "far Brian2's own integration error moves its statistics. Delays stay in ms; "
                    "statistics still bin spikes on the 0.1 ms grid")
    args = ap.parse_args()
    result = run(args)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "brian2_stats.json"), "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
