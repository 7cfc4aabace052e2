"""The Potjans & Diesmann (2014) microcircuit in NEST 3.10, timed like ``glia bench``.

    python benches/nest_microcircuit.py [--scale 0.1] [--k-scale SCALE] [--threads 2]
        [--warmup-ms 100] [--duration-ms 1000] [--bg poisson|dc] [--seed 55]

The same model as ``examples/microcircuit.toml`` (which documents every table and formula),
written from the INM-6 reference implementation github.com/INM-6/microcircuit-PD14-model
(PyNEST/src/microcircuit): ``iaf_psc_exp`` neurons, ``fixed_total_number`` connectivity with
S = ln(1 - p) / ln((N_T N_S - 1) / (N_T N_S)) synapses per projection scaled by
``scale * k_scale``, normal weights (87.81 pA for a 0.15 mV PSP, g = -4, L4E -> L23E doubled,
10 % sd) and delays (1.5 / 0.75 ms, 50 % sd), Poisson background 8 Hz x K_ext (or its DC
equivalent), 1/sqrt(k_scale) weight scaling with the DC compensation from the published mean
rates, initial V_m ~ N(V0_mean, V0_std) per population. Two choices are glia's, so that both
simulators run the same model: weights and delays are *clipped* (weights at 0, delays at
[dt, mean + 10 sd]) where the reference redraws, and the background Poisson generators connect
with a delay of one step (dt) instead of 1.5 ms (a delayed Poisson train is still Poisson);
counts are rounded half away from zero, as glia's ``round`` (the reference's ``np.round``
rounds halves to even: at scale 0.1 it has 106 L5I neurons where these have 107).

NEST is a benchmark-only dependency: ``pip install nest-simulator==3.10.0``.

Timing as in ``benches/nest_bench.py``: ``build_s`` is Create + Connect, ``prepare_s`` is
``nest.Prepare`` (NEST's connection infrastructure; part of construction), the warm-up is a
``nest.Run`` that is not timed, and ``sim_wall_s`` is the wall time of the measured ``nest.Run``.
Rates are counted over the measured part only. ``synaptic_events_per_s`` counts recurrent
deliveries, spikes of each source population times that population's synapses per neuron (its
mean out-degree), as glia counts them (background input excluded). ``peak_rss_mib`` is the
process's ``ru_maxrss``; ``build_peak_rss_mib`` the same after ``Prepare``.

Prints one JSON line (the keys of ``glia bench --json``).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import time

os.environ.setdefault("PYNEST_QUIET", "1")  # no banner; must be set before the import

import nest  # noqa: E402
import numpy as np  # noqa: E402

DT_MS = 0.1
POPS = ["L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I"]
N_FULL = np.array([20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948])
RATES_FULL = np.array([0.903, 2.965, 4.414, 5.876, 7.569, 8.633, 1.105, 7.829])
K_EXT = np.array([1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100])
V0_MEAN = [-68.28, -63.16, -63.33, -63.45, -63.11, -61.66, -66.72, -61.43]
V0_STD = [5.36, 4.57, 4.74, 4.94, 4.94, 4.55, 5.46, 4.48]
# Potjans & Diesmann (2014), Table 5: P[target][source]
P = np.array([
    [0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0, 0.0076, 0.0],
    [0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0, 0.0042, 0.0],
    [0.0077, 0.0059, 0.0497, 0.135, 0.0067, 0.0003, 0.0453, 0.0],
    [0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0, 0.1057, 0.0],
    [0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0],
    [0.0548, 0.0269, 0.0257, 0.0022, 0.06, 0.3158, 0.0086, 0.0],
    [0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252],
    [0.0364, 0.001, 0.0034, 0.0005, 0.0277, 0.008, 0.0658, 0.1443],
])
C_M, TAU_M, TAU_SYN = 250.0, 10.0, 0.5
E_L, V_TH, V_RESET, T_REF = -65.0, -50.0, -65.0, 2.0
PSP_EXC, G, W_REL_SD = 0.15, -4.0, 0.1
D_EXC, D_INH, D_REL_SD = 1.5, 0.75, 0.5
BG_RATE = 8.0


def psc_over_psp() -> float:
    """PSC amplitude [pA] per mV of PSP peak for an exponential PSC on a LIF membrane."""
    sub = 1.0 / (TAU_SYN - TAU_M)
    pre = TAU_M * TAU_SYN / C_M * sub
    frac = (TAU_M / TAU_SYN) ** sub
    return 1.0 / (pre * (frac ** TAU_M - frac ** TAU_SYN))


def full_synapses() -> np.ndarray:
    """Full-scale synapse numbers [target, source] from the connection probabilities."""
    prod = np.outer(N_FULL, N_FULL).astype(float)
    return np.log(1.0 - P) / np.log((prod - 1.0) / prod)


def _round(x: np.ndarray) -> np.ndarray:
    """Halves away from zero, as glia's expressions (NumPy's np.round rounds them to even)."""
    return np.floor(x + 0.5).astype(int)


def derived(scale: float, k_scale: float, bg: str) -> dict:
    """Neuron numbers, synapse numbers, weights and DC currents of the scaled model."""
    w_full = PSP_EXC * psc_over_psp()
    w_mean = np.tile([w_full, G * w_full], (8, 4))  # [target, source]: E columns, I columns
    w_mean[0, 2] *= 2.0                             # L4E -> L23E doubled
    syn_full = full_synapses()
    input_rec = np.sum(w_mean * syn_full / N_FULL[:, None] * RATES_FULL, axis=1)
    poisson = 1.0 if bg == "poisson" else 0.0
    dc = ((1 - poisson) * BG_RATE * K_EXT * w_full * TAU_SYN * 0.001
          + 0.001 * TAU_SYN * (1 - math.sqrt(k_scale))
          * (input_rec + poisson * w_full * K_EXT * BG_RATE))
    return {
        "n": _round(N_FULL * scale),
        "syn": _round(syn_full * scale * k_scale),
        "w_mean": w_mean / math.sqrt(k_scale),
        "w_ext": w_full / math.sqrt(k_scale),
        "k_ext": np.maximum(1, _round(K_EXT * k_scale)),
        "dc": dc,
    }


def build(d: dict, bg: str) -> tuple[list, list, int]:
    pops, recorders = [], []
    for i, name in enumerate(POPS):
        pop = nest.Create("iaf_psc_exp", int(d["n"][i]), params={
            "C_m": C_M, "tau_m": TAU_M, "tau_syn_ex": TAU_SYN, "tau_syn_in": TAU_SYN,
            "E_L": E_L, "V_th": V_TH, "V_reset": V_RESET, "t_ref": T_REF,
            "I_e": float(d["dc"][i])})
        pop.V_m = nest.random.normal(mean=V0_MEAN[i], std=V0_STD[i])
        pops.append(pop)
    # NEST stores at most 134,217,726 connections per virtual process and synapse model: the
    # full-scale model needs more on 2 threads, so each source population gets its own copy of
    # static_synapse (the same model; only the storage is split).
    syn_models = []
    for name in POPS:
        model = f"static_synapse_{name}"
        if model not in nest.synapse_models:
            nest.CopyModel("static_synapse", model)
        syn_models.append(model)
    n_syn = 0
    for t, target in enumerate(pops):
        for s, source in enumerate(pops):
            if P[t, s] == 0.0:
                continue
            w = float(d["w_mean"][t, s])
            mean_d = D_INH if s % 2 else D_EXC
            weight = nest.math.min(nest.math.max(
                nest.random.normal(mean=w, std=abs(w) * W_REL_SD), -math.inf if w < 0 else 0.0),
                0.0 if w < 0 else math.inf)
            delay = nest.math.min(nest.math.max(
                nest.random.normal(mean=mean_d, std=mean_d * D_REL_SD), DT_MS),
                mean_d * (1 + 10 * D_REL_SD))
            nest.Connect(source, target,
                         {"rule": "fixed_total_number", "N": int(d["syn"][t, s])},
                         {"synapse_model": syn_models[s], "weight": weight, "delay": delay})
            n_syn += int(d["syn"][t, s])
    if bg == "poisson":
        for i, target in enumerate(pops):
            gen = nest.Create("poisson_generator", params={"rate": BG_RATE * float(d["k_ext"][i])})
            nest.Connect(gen, target, "all_to_all",
                         {"synapse_model": "static_synapse", "weight": float(d["w_ext"]),
                          "delay": DT_MS})
    for pop in pops:
        rec = nest.Create("spike_recorder")
        nest.Connect(pop, rec)
        recorders.append(rec)
    return pops, recorders, n_syn


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=float, default=0.1, help="neuron numbers (N_scaling)")
    ap.add_argument("--k-scale", type=float, default=None,
                    help="in-degrees (K_scaling); default: --scale")
    ap.add_argument("--threads", type=int, default=2, help="nest.local_num_threads")
    ap.add_argument("--warmup-ms", type=float, default=100.0, help="untimed transient")
    ap.add_argument("--duration-ms", type=float, default=1000.0, help="timed part")
    ap.add_argument("--bg", choices=["poisson", "dc"], default="poisson")
    ap.add_argument("--seed", type=int, default=55)
    args = ap.parse_args()
    k_scale = args.scale if args.k_scale is None else args.k_scale
    nest.verbosity = nest.VerbosityLevel.ERROR
    nest.ResetKernel()
    nest.resolution = DT_MS
    nest.local_num_threads = args.threads
    nest.rng_seed = args.seed

    d = derived(args.scale, k_scale, args.bg)
    t0 = time.perf_counter()
    pops, recorders, n_syn = build(d, args.bg)
    build_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    nest.Prepare()
    prepare_s = time.perf_counter() - t0
    build_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if args.warmup_ms > 0:
        nest.Run(args.warmup_ms)
    before = [int(r.n_events) for r in recorders]
    t0 = time.perf_counter()
    nest.Run(args.duration_ms)
    run_s = time.perf_counter() - t0
    nest.Cleanup()
    counts = [int(r.n_events) - b for r, b in zip(recorders, before)]
    bio_s = args.duration_ms / 1000.0
    sizes = [len(p) for p in pops]
    out_syn = d["syn"].sum(axis=0)                    # synapses per source population
    events = sum(c * out_syn[i] / sizes[i] for i, c in enumerate(counts))
    print(json.dumps({
        "simulator": "nest", "net": "microcircuit", "scale": args.scale, "k_scale": k_scale,
        "bg": args.bg, "neurons": sum(sizes), "synapses": n_syn, "threads": args.threads,
        "warmup_s": args.warmup_ms / 1000.0, "bio_s": bio_s,
        "build_s": round(build_s + prepare_s, 3), "connect_s": round(build_s, 3),
        "prepare_s": round(prepare_s, 3),
        "sim_wall_s": round(run_s, 4), "s_per_bio_s": round(run_s / bio_s, 4),
        "spikes": sum(counts), "rate_hz": round(sum(counts) / (sum(sizes) * bio_s), 4),
        "pop_rates_hz": {n: round(c / (s * bio_s), 4) for n, c, s in zip(POPS, counts, sizes)},
        "synaptic_events_per_s": events / run_s,
        "build_peak_rss_mib": round(build_peak, 1),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "nest": nest.__version__, "host": platform.node(), "cpus": os.cpu_count(),
        "seed": args.seed, "dt_ms": DT_MS,
    }))


if __name__ == "__main__":
    main()
