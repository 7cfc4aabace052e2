"""glia's benchmark suite: every scene, 1 and 2 threads, optionally NEST and Brian2 side by side.

    python benches/suite.py [--scenes cuba coba brunel brunel-100k microcircuit brunel-stdp esn]
        [--threads 1 2] [--repeats 1] [--mc-scale 0.1] [--nest] [--brian2] [--quick]

Each scene runs ``glia bench SCENE --json`` (the release binary, ``$GLIA`` or
target/release/glia) and, with ``--nest`` / ``--brian2`` where the reference has the scene, the
reference's benchmark script, in one alternating loop: for each repeat, for each thread count,
glia then NEST; Brian2 (C++ standalone, one thread, no OpenMP) once per repeat. Per scene and
simulator it prints build time, wall seconds per simulated second (the real-time factor),
synaptic events per second, peak memory and the mean rate, and the ratio reference / glia of
the time per simulated second (how many times faster glia is). Medians over repeats.

Scenes (durations are simulated time, after any warm-up):

| scene | glia | NEST | Brian2 | simulated |
|---|---|---|---|---|
| cuba | bundled `cuba` (4000 LIF, 3.2e5 synapses) | nest_bench.py | brian2_bench.py | 10 s |
| coba | bundled `coba` | nest_bench.py (RKF45) | brian2_bench.py | 10 s |
| brunel | bundled `brunel` (12,500, 1.56e7 synapses) | nest_bench.py | brian2_bench.py | 1 s |
| brunel-100k | `brunel --param order=20000` (1.25e8 synapses) | nest_bench.py --order 20000 | brian2_bench.py --order 20000 | 0.5 s |
| microcircuit | `microcircuit --param scale=S --warmup 100` | nest_microcircuit.py --scale S | — | 1 s |
| brunel-stdp | bundled `brunel-stdp` (pair STDP on 1e7 E->E) | — | brian2_bench.py | 1 s |
| esn | bundled `esn` (500 tanh rate units, graded) | — | — | 2000 steps |

``--quick`` divides every duration by 10 (a smoke test; figures are then dominated by noise).
Brunel-100k is not among the default scenes: its references are slow (Brian2 about 105 s and
NEST 2 threads about 281 s per simulated second on a 2-vCPU EPYC, NEST peaking near 9 GiB).

Figures and their sources:
* build: glia ``build_s`` (lowering + synapse construction); NEST Create + Connect + Prepare;
  Brian2 is not comparable (code generation and compilation) and is left out.
* s per bio-s: wall time of the simulation loop only, per simulated second.
* events/s: synaptic events (spike x synapse deliveries of the recurrent network) per wall
  second. glia counts them; for the references they are spikes x mean out-degree (synapses /
  neurons), the same for networks with a uniform out-degree (nest_microcircuit.py counts per
  source population).
* peak MiB: glia VmHWM of the process; NEST ru_maxrss of the Python process; Brian2 ru_maxrss of
  the standalone binary (its Python front end, which draws the connectivity, is reported as
  ``python_peak_rss_mib`` in the JSON).

Writes every raw record to ``benches/results/suite-DATE.json``. Timings on a shared machine
drift: compare ratios from one run, not absolute times across runs.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
GLIA = os.environ.get("GLIA", os.path.join(ROOT, "target", "release", "glia"))

SCENES = {
    "cuba": {"glia": ["cuba"], "ms": 10000.0,
             "nest": ["nest_bench.py", "--net", "cuba"], "brian2": ["--net", "cuba"]},
    "coba": {"glia": ["coba"], "ms": 10000.0,
             "nest": ["nest_bench.py", "--net", "coba"], "brian2": ["--net", "coba"]},
    "brunel": {"glia": ["brunel"], "ms": 1000.0,
               "nest": ["nest_bench.py", "--net", "brunel"], "brian2": ["--net", "brunel"]},
    "brunel-100k": {"glia": ["brunel", "--param", "order=20000"], "ms": 500.0,
                    "nest": ["nest_bench.py", "--net", "brunel", "--order", "20000"],
                    "brian2": ["--net", "brunel", "--order", "20000"]},
    "microcircuit": {"glia": ["microcircuit", "--warmup", "100"], "ms": 1000.0,
                     "nest": ["nest_microcircuit.py", "--warmup-ms", "100"], "brian2": None},
    "brunel-stdp": {"glia": ["brunel-stdp"], "ms": 1000.0, "nest": None,
                    "brian2": ["--net", "brunel-stdp"]},
    "esn": {"glia": ["esn"], "ms": 2000.0, "nest": None, "brian2": None},
}
DEFAULT_SCENES = ["cuba", "coba", "brunel", "microcircuit", "brunel-stdp", "esn"]


def _json_line(cmd: list[str]) -> dict:
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_glia(scene: str, ms: float, threads: int, mc_scale: float) -> dict:
    args = list(SCENES[scene]["glia"])
    if scene == "microcircuit":
        args += ["--param", f"scale={mc_scale}"]
    r = _json_line([GLIA, "bench", *args, "--json", "--duration", str(ms),
                    "--threads", str(threads)])
    return r


def run_nest(scene: str, ms: float, threads: int, mc_scale: float) -> dict:
    script, *args = SCENES[scene]["nest"]
    if scene == "microcircuit":
        args += ["--scale", str(mc_scale)]
    r = _json_line([sys.executable, os.path.join(HERE, script), *args,
                    "--duration-ms", str(ms), "--threads", str(threads)])
    if "synaptic_events_per_s" not in r:
        r["synaptic_events_per_s"] = r["spikes"] * r["synapses"] / r["neurons"] / r["sim_wall_s"]
    return r


def run_brian2(scene: str, ms: float) -> dict:
    r = _json_line([sys.executable, os.path.join(HERE, "brian2_bench.py"), *SCENES[scene]["brian2"],
                    "--duration-ms", str(ms), "--repeats", "1"])
    r["synaptic_events_per_s"] = r["spikes"] * r["synapses"] / r["neurons"] / r["sim_wall_s"]
    r["peak_rss_mib"] = r.get("binary_peak_rss_mib")
    return r


def _have(module: str) -> bool:
    try:
        subprocess.run([sys.executable, "-c", f"import {module}"], check=True,
                       capture_output=True, env=dict(os.environ, PYNEST_QUIET="1"))
        return True
    except subprocess.CalledProcessError:
        return False


def _med(rs: list[dict], key: str):
    vals = [r[key] for r in rs if r.get(key) is not None]
    return statistics.median(vals) if vals else None


def _fmt(x, spec: str) -> str:
    return "—" if x is None else format(x, spec)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenes", nargs="+", default=DEFAULT_SCENES, choices=list(SCENES))
    ap.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--mc-scale", type=float, default=0.1, help="microcircuit scale (neurons and in-degrees)")
    ap.add_argument("--nest", action="store_true", help="also run NEST (nest-simulator 3.10)")
    ap.add_argument("--brian2", action="store_true", help="also run Brian2 C++ standalone")
    ap.add_argument("--quick", action="store_true", help="durations / 10 (smoke test)")
    args = ap.parse_args()
    if not os.path.exists(GLIA):
        sys.exit(f"no glia binary at {GLIA}: cargo build --release -p glia-cli (or set $GLIA)")
    use_nest = args.nest and _have("nest")
    use_brian2 = args.brian2 and _have("brian2")
    for flag, want, have in (("--nest", args.nest, use_nest), ("--brian2", args.brian2, use_brian2)):
        if want and not have:
            print(f"{flag}: the reference is not installed; skipped", file=sys.stderr)

    raw: dict = {}
    for scene in args.scenes:
        sc = SCENES[scene]
        ms = sc["ms"] / (10 if args.quick else 1)
        runs: dict = {}
        for _ in range(args.repeats):
            for t in args.threads:
                print(f"[{scene}] glia, {t} thread(s)", file=sys.stderr, flush=True)
                runs.setdefault(f"glia/{t}", []).append(run_glia(scene, ms, t, args.mc_scale))
                if use_nest and sc["nest"]:
                    print(f"[{scene}] NEST, {t} thread(s)", file=sys.stderr, flush=True)
                    runs.setdefault(f"nest/{t}", []).append(run_nest(scene, ms, t, args.mc_scale))
            if use_brian2 and sc["brian2"]:
                print(f"[{scene}] Brian2, 1 thread", file=sys.stderr, flush=True)
                runs.setdefault("brian2/1", []).append(run_brian2(scene, ms))
        raw[scene] = runs

    print("| scene | simulator | threads | neurons | synapses | build (s) | s per bio-s "
          "| ref / glia | events/s | peak MiB | rate (Hz) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for scene, runs in raw.items():
        glia_t = {k.split("/")[1]: _med(v, "s_per_bio_s") for k, v in runs.items()
                  if k.startswith("glia/")}
        best_glia = min(x for x in glia_t.values() if x is not None)
        for key, rs in runs.items():
            sim, t = key.split("/")
            spb = _med(rs, "s_per_bio_s")
            if sim == "glia":
                ratio = "1"
            else:
                # same thread count if glia ran it, else glia's fastest
                base = glia_t.get(t) or best_glia
                ratio = f"**{spb / base:.1f}×**"
            build = _med(rs, "build_s") if sim != "brian2" else None
            print(f"| {scene} | {sim} | {t} | {rs[0]['neurons']:,} | {rs[0]['synapses']:,} "
                  f"| {_fmt(build, '.2f')} | {_fmt(spb, '.4g')} | {ratio} "
                  f"| {_fmt(_med(rs, 'synaptic_events_per_s'), '.3g')} "
                  f"| {_fmt(_med(rs, 'peak_rss_mib'), '.0f')} | {_fmt(_med(rs, 'rate_hz'), '.2f')} |")
    for scene, runs in raw.items():
        for key, rs in runs.items():
            pr = rs[-1].get("pop_rates_hz")
            if pr and len(pr) > 2:
                print(f"{scene} {key} rates (Hz): "
                      + ", ".join(f"{n} {r:.2f}" for n, r in pr.items()))

    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H%M")
    path = os.path.join(HERE, "results", f"suite-{stamp}.json")
    with open(path, "w") as f:
        json.dump({"date": stamp, "host": platform.node(), "cpus": os.cpu_count(),
                   "threads": args.threads, "repeats": args.repeats, "quick": args.quick,
                   "mc_scale": args.mc_scale, "runs": raw}, f, indent=1)
    print(f"wrote {os.path.relpath(path, ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
