"""glia against Brian2 (C++ standalone, one thread), and optionally NEST, side by side in one run.

    python benches/compare_speed.py [--nets cuba coba cobahh brunel] [--repeats 3] [--threads 1]
        [--nest [--nest-threads 1]]

For each network, alternately runs ``glia bench NET --json`` and
``benches/brian2_bench.py --net NET`` ``--repeats`` times on this machine and reports the
median simulation wall time per simulated second of each, their ratio (Brian2 / glia: how many
times faster glia is), glia's build time and synaptic events per second. CUBA, COBA and COBAHH
(Hodgkin-Huxley neurons; Brian2 about 8 s per simulated second) run 10 s of biological time,
Brunel (order 2500: 12,500 neurons, 1.56e7 synapses) 2 s, and Brunel with additive pair STDP on
its 1e7 E->E synapses (``brunel-stdp``, examples/brunel_stdp.toml; Brian2's standard
event-driven STDP synapse with the same parameters) 1 s. Only the
simulation phase is compared (Brian2's compilation and network construction are excluded,
as is glia's build, which is reported separately).

With ``--nest``, NEST runs too (``benches/nest_bench.py``, one rebuild and run per repeat,
``--nest-threads`` threads), in the same alternating loop (glia, Brian2, NEST in each repeat), and
the table gains the columns "NEST s per bio-s", "glia speed-up vs NEST" (NEST / glia) and
"NEST rate (Hz)" (empty for COBAHH, which ``nest_bench.py`` does not build). NEST connects its own random instance of each network (same parameters and
connection rules, different draw). NEST is a benchmark-only dependency, installed separately:

    pip install nest-simulator==3.10.0

It is slow on these networks: on a 2-vCPU EPYC, one NEST repeat takes about 12 s (CUBA),
2 min (COBA, adaptive RKF45) and 2.5 min (Brunel, 2 s) plus a few seconds of build.

Prints a Markdown table and writes ``benches/results/speed-DATE.json``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
GLIA = os.environ.get("GLIA", os.path.join(ROOT, "target", "release", "glia"))
DURATION_MS = {"cuba": 10000.0, "coba": 10000.0, "cobahh": 10000.0, "brunel": 2000.0,
               "brunel-stdp": 1000.0}
NEST_NETS = {"cuba", "coba", "brunel"}   # benches/nest_bench.py has no COBAHH


def glia(net: str, threads: int) -> dict:
    out = subprocess.run([GLIA, "bench", net, "--json", "--duration", str(DURATION_MS[net]),
                          "--threads", str(threads)], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def brian2(net: str) -> dict:
    out = subprocess.run([sys.executable, os.path.join(HERE, "brian2_bench.py"), "--net", net,
                          "--duration-ms", str(DURATION_MS[net]), "--repeats", "1"],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def nest(net: str, threads: int) -> dict:
    out = subprocess.run([sys.executable, os.path.join(HERE, "nest_bench.py"), "--net", net,
                          "--duration-ms", str(DURATION_MS[net]), "--repeats", "1",
                          "--threads", str(threads)],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--nets", nargs="+", default=["cuba", "coba", "brunel"], choices=list(DURATION_MS))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1, help="glia threads (Brian2 always 1)")
    ap.add_argument("--nest", action="store_true",
                    help="also time NEST (benches/nest_bench.py; pip install nest-simulator==3.10.0)")
    ap.add_argument("--nest-threads", type=int, default=1, help="NEST threads (with --nest)")
    args = ap.parse_args()
    rows, raw = [], {}
    for net in args.nets:
        g, b, n = [], [], []
        for _ in range(args.repeats):
            g.append(glia(net, args.threads))
            b.append(brian2(net))
            if args.nest and net in NEST_NETS:
                n.append(nest(net, args.nest_threads))
        gs = statistics.median(r["s_per_bio_s"] for r in g)
        bs = statistics.median(r["s_per_bio_s"] for r in b)
        raw[net] = {"glia": g, "brian2": b}
        nest_cols = ""
        if args.nest and not n:
            nest_cols = " — | — | — |"
        elif args.nest:
            ns = statistics.median(r["s_per_bio_s"] for r in n)
            raw[net]["nest"] = n
            nest_cols = (f" {ns:.4f} | **{ns / gs:.1f}×** "
                         f"| {statistics.median(r['rate_hz'] for r in n):.1f} |")
        rows.append(
            f"| {net.upper()} | {g[0]['neurons']:,} | {g[0]['synapses']:,} | {DURATION_MS[net] / 1000:g} s "
            f"| {bs:.4f} | {gs:.4f} | **{bs / gs:.1f}×** "
            f"| {statistics.median(r['build_s'] for r in g):.2f} s "
            f"| {statistics.median(r['synaptic_events_per_s'] for r in g):.2e} "
            f"| {statistics.median(r['rate_hz'] for r in g):.1f} / {statistics.median(r['rate_hz'] for r in b):.1f} |"
            + nest_cols)
    print("| network | neurons | synapses | simulated | Brian2 s per bio-s | glia s per bio-s "
          "| glia speed-up | glia build | glia synaptic events/s | rate glia / Brian2 (Hz) |"
          + (" NEST s per bio-s | glia speed-up vs NEST | NEST rate (Hz) |" if args.nest else ""))
    print("|---|---|---|---|---|---|---|---|---|---|" + ("---|---|---|" if args.nest else ""))
    print("\n".join(rows))
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y-%m-%dT%H%M")
    with open(os.path.join(HERE, "results", f"speed-{stamp}.json"), "w") as f:
        json.dump({"date": stamp, "threads": args.threads, "runs": raw}
                  | ({"nest_threads": args.nest_threads} if args.nest else {}), f, indent=1)


if __name__ == "__main__":
    main()
