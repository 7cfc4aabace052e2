"""Time Brian2 (C++ standalone, one thread, no OpenMP) on a reference network.

    python benches/brian2_bench.py --net cuba --duration-ms 10000
        [--order 2500] [--repeats 3] [--seed 1] [--profile]

The networks are those of ``validation/brian2_nets.py`` (glia's definitions).
The project is generated and compiled once under /tmp/glia_brian2_bench_NET,
then the binary runs ``--repeats`` times. Each run's simulation phase is timed
by a steady-clock timer compiled around ``Network::run``: the time-step loop
(state updates, thresholds, spike propagation, Poisson input, spike recording),
not synapse creation, initialisation or writing results. The median is
reported as ``sim_wall_s``. Brian2's own figure for the same loop is
``brian2_cpu_s`` (it uses ``std::clock``, i.e. CPU time, when OpenMP is off).
``other_cpus_busy`` is, per run, how many CPUs other processes kept busy
meanwhile (from /proc/stat): on a shared 2-vCPU machine a value near 0 marks a
clean measurement. ``binary_peak_rss_mib`` is the standalone binary's peak resident
memory (ru_maxrss, recorded by a wrapper around ``./main``); ``python_peak_rss_mib`` that of
this Python process, which draws the connectivity.

Prints one JSON line:
{"simulator": "brian2-standalone", "net", "sim_wall_s", "bio_s", "s_per_bio_s",
 "spikes", "synapses", ...}
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import time

import brian2 as b2
from brian2 import ms

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "validation"))
import brian2_nets  # noqa: E402


_PEAK_WRAPPER = (
    "import resource, subprocess, sys\n"
    "rc = subprocess.call(sys.argv[1:])\n"
    "open('peak_rss_kib', 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\n"
    "sys.exit(rc)\n"
)


def _cpu_busy_s() -> float:
    """CPU seconds spent busy by the whole machine (all processes, all cores) so far."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]                      # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _children_cpu_s() -> float:
    t = os.times()
    return t.children_user + t.children_system


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--net", required=True, choices=sorted(brian2_nets.BUILDERS))
    ap.add_argument("--duration-ms", type=float, default=10000.0)
    ap.add_argument("--order", type=int, default=brian2_nets.BRUNEL_ORDER,
                    help="Brunel: N_E = 4*order, N_I = order")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=3, help="runs of the compiled binary")
    ap.add_argument("--profile", action="store_true",
                    help="time each code object (Brian2 profiling, slows the run) and "
                    "print the breakdown of the last run to stderr")
    args = ap.parse_args()

    build_dir = f"/tmp/glia_brian2_bench_{args.net}" + ("_profile" if args.profile else "")
    brian2_nets.use_standalone(build_dir)
    b2.seed(args.seed)
    model = brian2_nets.build(args.net, args.seed, args.order)
    model.network.run(args.duration_ms * ms, profile=args.profile)
    t0 = time.perf_counter()
    b2.device.build(directory=build_dir, compile=True, run=False, with_output=False)
    compile_s = time.perf_counter() - t0

    # Run the binary through a wrapper that records its peak resident set size (ru_maxrss of
    # its only child) in the build directory.
    b2.prefs.devices.cpp_standalone.run_cmd_unix = [sys.executable, "-c", _PEAK_WRAPPER, "./main"]
    walls, cpus, binaries, others, peaks = [], [], [], [], []
    for _ in range(args.repeats):
        busy0, own0 = _cpu_busy_s(), _children_cpu_s()
        b2.device.run(directory=build_dir, with_output=False)
        with open(os.path.join(build_dir, "peak_rss_kib")) as f:
            peaks.append(int(f.read()))
        walls.append(brian2_nets.read_run_timer())
        cpus.append(b2.device._last_run_time)
        binaries.append(b2.device.timers["run_binary"])
        others.append((_cpu_busy_s() - busy0 - (_children_cpu_s() - own0)) / binaries[-1])
    if args.profile:
        print(b2.profiling_summary(model.network), file=sys.stderr)
    sim_wall_s = statistics.median(walls)
    bio_s = args.duration_ms / 1000.0
    n_neurons = model.instance.n_total
    spikes = int(len(model.spikes.i))
    print(json.dumps({
        "simulator": "brian2-standalone", "net": args.net,
        "sim_wall_s": round(sim_wall_s, 4), "bio_s": bio_s,
        "s_per_bio_s": round(sim_wall_s / bio_s, 4), "spikes": spikes,
        "synapses": model.instance.n_synapses, "neurons": n_neurons,
        "rate_hz": round(spikes / (n_neurons * bio_s), 3),
        "sim_wall_all_s": [round(w, 4) for w in walls],
        "brian2_cpu_s": round(statistics.median(cpus), 4),
        "binary_wall_s": round(statistics.median(binaries), 4),
        "compile_s": round(compile_s, 2), "threads": 1, "profiled": args.profile,
        # peak resident memory of the standalone binary (largest over the repeats, measured by
        # the wrapper below) and of this Python process (which draws the connectivity)
        "binary_peak_rss_mib": round(max(peaks) / 1024, 1),
        "python_peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "other_cpus_busy": [round(max(o, 0.0), 2) for o in others],
        "brian2": b2.__version__, "host": platform.node(), "cpus": os.cpu_count(),
    }))


if __name__ == "__main__":
    main()
