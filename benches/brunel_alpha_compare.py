"""glia against Brian2 C++ standalone on the same Brunel network with alpha PSCs, side by side.

    python benches/brunel_alpha_compare.py [--order 20000] [--duration-ms 200]
        [--threads 2 1] [--glia target/release/glia] [--no-brian2] [--out FILE.json]

The network is benches/brunel_alpha.toml (Brunel 2000 model A as in NEST's
brunel_alpha_numpy and the Brian2 figures of ../shared/BENCHMARKS.md): N = 5·order LIF
neurons, fixed in-degree C_E = 1000 / C_I = 250, alpha PSCs (tau_syn 0.5 ms) of amplitude J
for a 0.1 mV PSP peak, g = 5, eta = 2 (C_E independent Poisson inputs per neuron), 1.5 ms delay,
dt 0.1 ms, v uniform in [0, V_th) at the start, no warm-up. The Brian2 model here is the same
equations (alpha current as I' = (x − I)/tau_syn, x' = −x/tau_syn, x += J·e per spike, exact
integration), the same weights, delays and drive (one PoissonInput of C_E sources per neuron).
Both draw their own random connectivity: glia allows multapses; Brian2's generator
``sample(N_pre, size=C)`` draws without replacement and drops a drawn self-connection (E→E and
I→I lose one input in about 1.25 % resp. 0.6 % of the neurons). Brian2 draws the synapses in
its compiled binary, so its Python front end stays small.

Runs, one after the other: glia with each of ``--threads`` (a thread count may repeat), then
Brian2 (one thread, no OpenMP; compile time reported apart), alternating if ``--repeats`` > 1.
Figures: simulation wall time per simulated second (glia: ``glia bench``'s timed loop; Brian2:
a steady-clock timer compiled around ``Network::run``), build/compile seconds, peak resident
memory (glia: VmHWM of the process; Brian2: ru_maxrss of the standalone binary), mean rate.
Prints one JSON line per run and a summary table with the speed ratio Brian2 / glia.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MODEL = os.path.join(HERE, "brunel_alpha.toml")

TAU_M, TAU_SYN, C_M = 20.0, 0.5, 250.0      # ms, ms, pF
J_PSP = 0.1                                 # mV
J_TOML = 20.680155                          # pA, written in brunel_alpha.toml
C_E, C_I, G, ETA = 1000, 250, 5.0, 2.0
V_TH, V_RESET, T_REF, DELAY = 20.0, 10.0, 2.0, 1.5


def alpha_psc_amplitude() -> float:
    """PSC amplitude [pA] of an alpha current that gives a J_PSP peak (NEST's ComputePSPnorm)."""
    from scipy.special import lambertw
    a = TAU_M / TAU_SYN
    b = 1.0 / TAU_SYN - 1.0 / TAU_M
    t_max = 1.0 / b * (-lambertw(-math.exp(-1.0 / a) / a, k=-1).real - 1.0 / a)
    norm = (math.e / (TAU_SYN * C_M * b)
            * ((math.exp(-t_max / TAU_M) - math.exp(-t_max / TAU_SYN)) / b
               - t_max * math.exp(-t_max / TAU_SYN)))
    return J_PSP / norm


def run_glia(glia: str, order: int, ms: float, threads: int) -> dict:
    cmd = [glia, "bench", MODEL, "--param", f"order={order}", "--duration", str(ms),
           "--threads", str(threads), "--json"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    r = json.loads([ln for ln in out.splitlines() if ln.startswith("{")][-1])
    r.update(simulator="glia", threads=threads, command=" ".join(cmd[1:]))
    return r


def build_brian2(order: int, ms: float, seed: int, build_dir: str) -> float:
    """Generate and compile the standalone project; returns the compile seconds."""
    import brian2 as b2
    from brian2 import mV, ms as bms, pA, pF
    sys.path.insert(0, os.path.join(ROOT, "validation"))
    import brian2_nets
    brian2_nets.use_standalone(build_dir)
    b2.seed(seed)
    b2.defaultclock.dt = 0.1 * bms
    n_e, n_i = 4 * order, order
    j_e = J_TOML * pA
    nu_th = V_TH / (J_PSP * C_E * TAU_M)                    # per ms
    eqs = """
    dv/dt = -v / tau_m + (I_exc + I_inh) / C_m : volt (unless refractory)
    dI_exc/dt = (x_exc - I_exc) / tau_syn : amp
    dx_exc/dt = -x_exc / tau_syn : amp
    dI_inh/dt = (x_inh - I_inh) / tau_syn : amp
    dx_inh/dt = -x_inh / tau_syn : amp
    """
    ns = dict(tau_m=TAU_M * bms, tau_syn=TAU_SYN * bms, C_m=C_M * pF, V_th=V_TH * mV,
              V_reset=V_RESET * mV, w_e=j_e * math.e, w_i=-G * j_e * math.e)
    group = b2.NeuronGroup(n_e + n_i, eqs, threshold="v >= V_th", reset="v = V_reset",
                           refractory=T_REF * bms, method="exact", namespace=ns)
    group.v = "rand() * V_th"
    exc, inh = group[:n_e], group[n_e:]
    syns = []
    for name, src, tgt, var, w, c, same in (
            ("ee", exc, exc, "x_exc", "w_e", C_E, True), ("ei", exc, inh, "x_exc", "w_e", C_E, False),
            ("ie", inh, exc, "x_inh", "w_i", C_I, False), ("ii", inh, inh, "x_inh", "w_i", C_I, True)):
        s = b2.Synapses(src, tgt, on_pre=f"{var}_post += {w}", delay=DELAY * bms,
                        namespace=ns, name=f"syn_{name}")
        gen = f"k for k in sample(N_pre, size={c})" + (" if k != j" if same else "")
        s.connect(i=gen)
        syns.append(s)
    drive = b2.PoissonInput(group, "x_exc", N=C_E, rate=ETA * nu_th * 1000.0 * b2.Hz,
                            weight=j_e * math.e)
    spikes = b2.SpikeMonitor(group, record=False)
    net = b2.Network(group, *syns, drive, spikes)
    net.run(ms * bms)
    t0 = time.perf_counter()
    b2.device.build(directory=build_dir, compile=True, run=False, with_output=False)
    build_brian2.spikes = spikes
    build_brian2.n = n_e + n_i
    build_brian2.syns = syns
    return time.perf_counter() - t0


_PEAK_WRAPPER = (
    "import resource, subprocess, sys\n"
    "rc = subprocess.call(sys.argv[1:])\n"
    "open('peak_rss_kib', 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\n"
    "sys.exit(rc)\n"
)


def run_brian2(build_dir: str, ms: float) -> dict:
    import brian2 as b2
    sys.path.insert(0, os.path.join(ROOT, "validation"))
    import brian2_nets
    b2.prefs.devices.cpp_standalone.run_cmd_unix = [sys.executable, "-c", _PEAK_WRAPPER, "./main"]
    t0 = time.perf_counter()
    b2.device.run(directory=build_dir, with_output=False)
    binary_s = time.perf_counter() - t0
    with open(os.path.join(build_dir, "peak_rss_kib")) as f:
        peak = int(f.read()) / 1024
    wall = brian2_nets.read_run_timer()
    n = build_brian2.n
    count = int(build_brian2.spikes.num_spikes)
    synapses = sum(len(s) for s in build_brian2.syns)
    return {"simulator": "brian2-standalone", "threads": 1, "sim_wall_s": round(wall, 3),
            "s_per_bio_s": round(wall / (ms / 1000.0), 3), "binary_wall_s": round(binary_s, 2),
            "rate_hz": round(count / (n * ms / 1000.0), 3), "spikes": count,
            "synapses": synapses, "peak_rss_mib": round(peak, 1),
            "python_peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--order", type=int, default=20000, help="N = 5 * order (20000: 100,000 neurons)")
    ap.add_argument("--duration-ms", type=float, default=200.0)
    ap.add_argument("--threads", type=int, nargs="+", default=[2, 1])
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--glia", default=os.path.join(ROOT, "target", "release", "glia"))
    ap.add_argument("--no-brian2", action="store_true")
    ap.add_argument("--out", help="also write every record to this JSON file")
    args = ap.parse_args()

    j = alpha_psc_amplitude()
    if abs(j - J_TOML) > 1e-5 * J_TOML:
        sys.exit(f"J in brunel_alpha.toml ({J_TOML}) differs from ComputePSPnorm's {j}")
    records = []
    build_dir = f"/tmp/glia_brian2_brunel_alpha_{args.order}"
    compile_s = None
    if not args.no_brian2:
        compile_s = build_brian2(args.order, args.duration_ms, args.seed, build_dir)
    for rep in range(args.repeats):
        for t in args.threads:
            r = run_glia(args.glia, args.order, args.duration_ms, t)
            r["repeat"] = rep
            records.append(r)
            print(json.dumps(r), flush=True)
        if not args.no_brian2:
            r = run_brian2(build_dir, args.duration_ms)
            r.update(repeat=rep, compile_s=round(compile_s, 1))
            records.append(r)
            print(json.dumps(r), flush=True)
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"order": args.order, "duration_ms": args.duration_ms,
                       "load_avg": os.getloadavg(), "records": records}, f, indent=1)
    b2 = [r for r in records if r["simulator"] != "glia"]
    print("\n| simulator | threads | build (s) | s per bio-s | Brian2 / glia | peak MiB | rate (Hz) |")
    print("|---|---|---|---|---|---|---|")
    for r in records:
        if r["simulator"] == "glia":
            ref = [x for x in b2 if x["repeat"] == r["repeat"]]
            ratio = f"{ref[0]['s_per_bio_s'] / r['s_per_bio_s']:.1f}×" if ref else "—"
            print(f"| glia | {r['threads']} | {r['build_s']:.1f} | {r['s_per_bio_s']:.2f} | "
                  f"{ratio} | {r['peak_rss_mib']:.0f} | {r['rate_hz']:.2f} |")
        else:
            print(f"| Brian2 standalone | 1 | compile {r['compile_s']} | {r['s_per_bio_s']:.2f} | 1 | "
                  f"{r['peak_rss_mib']:.0f} | {r['rate_hz']:.2f} |")


if __name__ == "__main__":
    main()
