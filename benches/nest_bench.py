"""Time NEST on a reference network (glia's CUBA, COBA or Brunel, built with NEST's own models).

    python benches/nest_bench.py --net cuba --duration-ms 10000
        [--order 2500] [--threads 1] [--seed 1] [--repeats 1]

NEST is a benchmark-only dependency, not part of validation/requirements.txt:

    pip install nest-simulator==3.10.0     # wheel with its own NEST (cp311, Linux x86-64)

The networks are those of ``validation/brian2_nets.py`` (same sizes, parameters, weights,
delays and initial-state distributions), but connectivity is drawn by NEST
(``pairwise_bernoulli`` / ``fixed_indegree``) from ``nest.rng_seed``, so the instance differs
from the NumPy-drawn one that glia and Brian2 share. Initial states are drawn with NumPy from
``--seed``. The parameters are repeated below (not imported) so that this script needs no Brian2.

* CUBA: ``iaf_psc_exp`` (exact integration), 1.62 pA / -9 pA, delay 0.1 ms, p = 0.02, no
  autapses, V_m uniform in [-60, -50) mV.
* COBA: ``iaf_cond_exp`` (GSL adaptive RKF45, where Brian2 and glia use forward Euler), 6 nS /
  67 nS (NEST takes an inhibitory conductance as a negative weight), delay 0.1 ms, p = 0.02,
  V_m ~ N(-65, 5) mV, g_ex ~ N(40, 15) nS, g_in ~ N(200, 120) nS. NEST accepts the negative
  initial conductances these Gaussians give, so they are kept, as in glia and Brian2.
* Brunel: ``iaf_psc_exp`` with tau_syn 0.5 ms, J = 54.96 pA (0.1 mV PSP peak), -5 J inhibitory,
  delay 1.5 ms, in-degree 1000 from E and 250 from I (multapses, no autapses), V_m uniform in
  [0, 20) mV. External drive: one ``poisson_generator`` at 1000 x 20 Hz = 20 kHz connected to
  every neuron with weight J (NEST draws an independent train per target). Its connections also
  use the 1.5 ms delay, so NEST's minimum delay, and with it the interval between its spike
  exchanges, stays 1.5 ms as in NEST's own Brunel examples; a delayed Poisson train is still
  Poisson, so the network is statistically the same.

Timing. ``nest.Simulate`` is ``Prepare`` + ``Run`` + ``Cleanup``; ``Prepare`` builds NEST's
connection infrastructure (sorting the synapses, the presynaptic tables), which is network
construction, not simulation. The three are therefore called and timed separately:
``sim_wall_s`` (and ``s_per_bio_s``) is the wall time of ``nest.Run`` alone, the time-step loop
(updates, spike exchange and delivery, Poisson input, spike recording), like the figures of
brian2_bench.py and ``glia bench``. ``build_s`` is Create + Connect + setting the initial state,
``prepare_s`` is ``Prepare``, ``simulate_s`` is all that ``nest.Simulate`` would have cost.
With ``--repeats N`` the kernel is reset (``nest.ResetKernel``) and the network rebuilt and rerun
N times; medians are reported. ``other_cpus_busy`` is, per run, how many CPUs other processes kept
busy during ``Run`` (from /proc/stat; near 0 marks a clean measurement).

Prints one JSON line:
{"simulator": "nest", "net", "sim_wall_s", "bio_s", "s_per_bio_s", "spikes", "synapses",
 "neurons", "rate_hz", "build_s", "threads", "nest", ...}
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import statistics
import time

os.environ.setdefault("PYNEST_QUIET", "1")  # no banner; must be set before the import

import nest  # noqa: E402
import numpy as np  # noqa: E402

DT_MS = 0.1

# --- CUBA (validation/brian2_nets.py: CUBA_*) ---------------------------------
CUBA = dict(n_exc=3200, n_inh=800, p=0.02, w_exc=1.62, w_inh=-9.0, delay=0.1)
CUBA_NEURON = dict(C_m=20.0, tau_m=20.0, E_L=-49.0, V_th=-50.0, V_reset=-60.0, t_ref=5.0,
                   tau_syn_ex=5.0, tau_syn_in=10.0, I_e=0.0)

# --- COBA (COBA_*) -------------------------------------------------------------
COBA = dict(n_exc=3200, n_inh=800, p=0.02, w_exc=6.0, w_inh=-67.0, delay=0.1)
COBA_NEURON = dict(C_m=200.0, g_L=10.0, E_L=-60.0, V_th=-50.0, V_reset=-60.0, t_ref=5.0,
                   E_ex=0.0, E_in=-80.0, tau_syn_ex=5.0, tau_syn_in=10.0, I_e=0.0)
COBA_V0 = (-65.0, 5.0)       # mean, std (mV)
COBA_GE0 = (40.0, 15.0)      # nS
COBA_GI0 = (200.0, 120.0)    # nS

# --- Brunel (BRUNEL_*) ---------------------------------------------------------
BRUNEL_ORDER = 2500
BRUNEL_C_E, BRUNEL_C_I = 1000, 250
BRUNEL_NEURON = dict(C_m=250.0, tau_m=20.0, E_L=0.0, V_th=20.0, V_reset=10.0, t_ref=2.0,
                     tau_syn_ex=0.5, tau_syn_in=0.5, I_e=0.0)
BRUNEL_J_MV, BRUNEL_G, BRUNEL_ETA, BRUNEL_DELAY = 0.1, 5.0, 2.0, 1.5


def psp_peak_per_pa(tau_m: float, tau_syn: float, c_m: float) -> float:
    """Peak PSP (mV) of 1 pA exponential PSC (ms, ms, pF), as brian2_nets.psp_peak_per_pa."""
    t_peak = tau_m * tau_syn / (tau_m - tau_syn) * math.log(tau_m / tau_syn)
    return 1.0 / c_m * tau_m * tau_syn / (tau_m - tau_syn) * (
        math.exp(-t_peak / tau_m) - math.exp(-t_peak / tau_syn))


BRUNEL_J = BRUNEL_J_MV / psp_peak_per_pa(BRUNEL_NEURON["tau_m"], BRUNEL_NEURON["tau_syn_ex"],
                                          BRUNEL_NEURON["C_m"])                  # 54.9602 pA
BRUNEL_NU_TH = BRUNEL_NEURON["V_th"] / (BRUNEL_J_MV * BRUNEL_C_E * BRUNEL_NEURON["tau_m"] * 1e-3)
BRUNEL_NU_EXT = BRUNEL_ETA * BRUNEL_NU_TH       # 20 Hz per source (nu_th = 10 Hz), C_E sources


def _ei(model: str, params: dict, neuron: dict):
    exc = nest.Create(model, params["n_exc"], params=neuron)
    inh = nest.Create(model, params["n_inh"], params=neuron)
    conn = {"rule": "pairwise_bernoulli", "p": params["p"], "allow_autapses": False}
    nest.Connect(exc, exc + inh, conn, {"synapse_model": "static_synapse",
                                        "weight": params["w_exc"], "delay": params["delay"]})
    nest.Connect(inh, exc + inh, conn, {"synapse_model": "static_synapse",
                                        "weight": params["w_inh"], "delay": params["delay"]})
    return exc + inh


def build_cuba(rng: np.random.Generator, order: int):
    pop = _ei("iaf_psc_exp", CUBA, CUBA_NEURON)
    pop.V_m = rng.uniform(CUBA_NEURON["V_reset"], CUBA_NEURON["V_th"], len(pop))
    return pop


def build_coba(rng: np.random.Generator, order: int):
    pop = _ei("iaf_cond_exp", COBA, COBA_NEURON)
    n = len(pop)
    pop.set(V_m=rng.normal(*COBA_V0, n), g_ex=rng.normal(*COBA_GE0, n),
            g_in=rng.normal(*COBA_GI0, n))
    return pop


def build_brunel(rng: np.random.Generator, order: int):
    exc = nest.Create("iaf_psc_exp", 4 * order, params=BRUNEL_NEURON)
    inh = nest.Create("iaf_psc_exp", order, params=BRUNEL_NEURON)
    pop = exc + inh
    syn = {"synapse_model": "static_synapse", "delay": BRUNEL_DELAY}
    nest.Connect(exc, pop, {"rule": "fixed_indegree", "indegree": BRUNEL_C_E,
                            "allow_autapses": False, "allow_multapses": True},
                 dict(syn, weight=BRUNEL_J))
    nest.Connect(inh, pop, {"rule": "fixed_indegree", "indegree": BRUNEL_C_I,
                            "allow_autapses": False, "allow_multapses": True},
                 dict(syn, weight=-BRUNEL_G * BRUNEL_J))
    drive = nest.Create("poisson_generator", params={"rate": BRUNEL_C_E * BRUNEL_NU_EXT})
    nest.Connect(drive, pop, "all_to_all", dict(syn, weight=BRUNEL_J))
    pop.V_m = rng.uniform(BRUNEL_NEURON["E_L"], BRUNEL_NEURON["V_th"], len(pop))
    return pop


BUILDERS = {"cuba": build_cuba, "coba": build_coba, "brunel": build_brunel}


def _cpu_busy_s() -> float:
    """CPU seconds spent busy by the whole machine (all processes, all cores) so far."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]                      # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _own_cpu_s() -> float:
    t = os.times()
    return t.user + t.system


def run_once(net: str, duration_ms: float, order: int, threads: int, seed: int) -> dict:
    nest.ResetKernel()
    nest.resolution = DT_MS
    nest.local_num_threads = threads
    nest.rng_seed = seed
    rng = np.random.default_rng(seed)

    t0 = time.perf_counter()
    pop = BUILDERS[net](rng, order)
    recorder = nest.Create("spike_recorder")
    nest.Connect(pop, recorder)
    build_s = time.perf_counter() - t0
    n_rec = len(pop)          # recorder connections, not synapses
    synapses = nest.num_connections - n_rec - (len(pop) if net == "brunel" else 0)

    t0 = time.perf_counter()
    nest.Prepare()
    prepare_s = time.perf_counter() - t0
    busy0, own0 = _cpu_busy_s(), _own_cpu_s()
    t0 = time.perf_counter()
    nest.Run(duration_ms)
    run_s = time.perf_counter() - t0
    other = (_cpu_busy_s() - busy0 - (_own_cpu_s() - own0)) / run_s
    t0 = time.perf_counter()
    nest.Cleanup()
    cleanup_s = time.perf_counter() - t0
    return {"sim_wall_s": run_s, "build_s": build_s, "prepare_s": prepare_s,
            "simulate_s": prepare_s + run_s + cleanup_s, "spikes": int(recorder.n_events),
            "synapses": int(synapses), "neurons": len(pop), "other_cpus_busy": max(other, 0.0)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--net", required=True, choices=sorted(BUILDERS))
    ap.add_argument("--duration-ms", type=float, default=10000.0)
    ap.add_argument("--order", type=int, default=BRUNEL_ORDER, help="Brunel: N_E = 4*order, N_I = order")
    ap.add_argument("--threads", type=int, default=1, help="nest.local_num_threads")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=1, help="rebuild and rerun; medians are reported")
    args = ap.parse_args()
    nest.verbosity = nest.VerbosityLevel.ERROR

    runs = [run_once(args.net, args.duration_ms, args.order, args.threads, args.seed)
            for _ in range(args.repeats)]
    med = {k: statistics.median(r[k] for r in runs)
           for k in ("sim_wall_s", "build_s", "prepare_s", "simulate_s")}
    last = runs[-1]
    bio_s = args.duration_ms / 1000.0
    spikes = int(statistics.median(r["spikes"] for r in runs))
    print(json.dumps({
        "simulator": "nest", "net": args.net,
        "sim_wall_s": round(med["sim_wall_s"], 4), "bio_s": bio_s,
        "s_per_bio_s": round(med["sim_wall_s"] / bio_s, 4), "spikes": spikes,
        "synapses": last["synapses"], "neurons": last["neurons"],
        "rate_hz": round(spikes / (last["neurons"] * bio_s), 3),
        "build_s": round(med["build_s"], 3), "prepare_s": round(med["prepare_s"], 3),
        "simulate_s": round(med["simulate_s"], 4),
        "sim_wall_all_s": [round(r["sim_wall_s"], 4) for r in runs],
        "threads": args.threads, "seed": args.seed, "dt_ms": DT_MS,
        "other_cpus_busy": [round(r["other_cpus_busy"], 2) for r in runs],
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "nest": nest.__version__, "host": platform.node(), "cpus": os.cpu_count(),
    }))


if __name__ == "__main__":
    main()
