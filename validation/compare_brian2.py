"""glia against Brian2 on the CUBA, COBA and COBAHH benchmark networks.

    python validation/compare_brian2.py --net cuba --duration-ms 10000 --out DIR [--quick | --standalone]
        [--brian2-dt-ms 0.1]

1. Brian2 builds the network (connectivity and initial state drawn with NumPy from the seed),
   runs it and exports the exact connectivity and initial state (``brian2_reference.py``).
2. glia runs **the identical network**: a model file is written next to the export with
   ``rule = "explicit"`` connectivity and ``initial = { file = ... }`` state, taking neuron
   parameters from ``examples/NET.toml``.
3. glia also runs ``examples/NET.toml`` as it is (its own random connectivity).
4. The same statistics (``stats.py``: rate, mean CV of ISIs, Fano factor of 5 ms population
   counts) are computed for the three runs and printed as a Markdown table; everything is also
   written to ``DIR/compare.json``.

Known differences that remain with identical networks: Brian2 holds v for round(t_ref/dt) − 1
steps after a spike and glia (like NEST) for round(t_ref/dt); glia stores state in float32;
COBA: Brian2's example integrates with forward Euler, glia with exponential Euler on
step-averaged conductances; COBAHH: Brian2's exponential Euler is first order, glia's staggered
exponential Euler second order (at dt = 0.1 ms a single neuron's period differs by 3.6 % and
0.3 % from the exact one). Spike trains therefore diverge after the first few milliseconds
(the networks are chaotic); statistics are what is compared.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tomllib

import tomli_w

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import stats  # noqa: E402

GLIA = os.environ.get("GLIA", os.path.join(ROOT, "target", "release", "glia"))


def imported_model(net: str, export_dir: str, duration_ms: float, seed: int) -> str:
    """Write ``export_dir/glia_model.toml``: the example's neurons on Brian2's exact network."""
    with open(os.path.join(ROOT, "examples", f"{net}.toml"), "rb") as f:
        model = tomllib.load(f)
    model["simulation"]["duration"] = duration_ms
    model["simulation"]["seed"] = seed
    for pop in model["populations"]:
        name = pop["name"]
        initial = {}
        for var in ["v", "g_exc", "g_inh", "I_exc", "I_inh", "m", "h", "n"]:
            if os.path.exists(os.path.join(export_dir, f"{name}_{var}.npy")):
                initial[var] = {"file": f"{name}_{var}.npy"}
        pop["initial"] = initial
    for proj in model["projections"]:
        proj["connect"] = {"rule": "explicit", "file": f"{proj['source']}_{proj['target']}.npz"}
        proj.pop("weight", None)
        proj.pop("delay", None)
    path = os.path.join(export_dir, "glia_model.toml")
    with open(path, "wb") as f:
        tomli_w.dump(model, f)
    return path


def run_glia(model: str, out: str, duration_ms: float) -> None:
    r = subprocess.run([GLIA, "run", model, "--out", out, "--duration", str(duration_ms)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"glia run {model} failed ({r.returncode}):\n{r.stderr}")


def compare(net: str, duration_ms: float, out: str, seed: int = 1, quick: bool = False,
            standalone: bool = False, brian2_dt_ms: float | None = None) -> dict:
    """Run the three simulations and return their statistics (``brian2_dt_ms``: Brian2's
    step, default glia's 0.1 ms)."""
    os.makedirs(out, exist_ok=True)
    export_dir = os.path.join(out, "network")
    cmd = [sys.executable, os.path.join(HERE, "brian2_reference.py"), "--net", net,
           "--duration-ms", str(duration_ms), "--seed", str(seed), "--out", out,
           "--export", export_dir]
    if quick:
        cmd.append("--quick")
    if standalone:
        cmd.append("--standalone")
    if brian2_dt_ms is not None:
        cmd += ["--dt-ms", str(brian2_dt_ms)]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    with open(os.path.join(out, "brian2_stats.json")) as f:
        brian2 = json.load(f)
    model = imported_model(net, export_dir, duration_ms, seed)
    run_glia(model, os.path.join(out, "glia_imported"), duration_ms)
    run_glia(os.path.join(ROOT, "examples", f"{net}.toml"), os.path.join(out, "glia_own"),
             duration_ms)
    result = {
        "net": net,
        "duration_ms": duration_ms,
        "brian2": brian2["stats"],
        "brian2_target": brian2["target"],
        "brian2_dt_ms": brian2["dt_ms"],
        "glia_imported": stats.glia_stats(os.path.join(out, "glia_imported"), duration_ms),
        "glia_own": stats.glia_stats(os.path.join(out, "glia_own"), duration_ms),
    }
    with open(os.path.join(out, "compare.json"), "w") as f:
        json.dump(result, f, indent=2)
    return result


def table(result: dict) -> str:
    """A Markdown table of the three runs."""
    rows = [f"| {result['net'].upper()} {result['duration_ms'] / 1000:g} s | rate exc (Hz) "
            "| rate inh (Hz) | CV ISI (all) | Fano 5 ms (all) |",
            "|---|---|---|---|---|"]
    labels = {"brian2": f"Brian2 ({result['brian2_target']}, dt {result['brian2_dt_ms']:g} ms)",
              "glia_imported": "glia, Brian2's network and initial state",
              "glia_own": "glia, its own connectivity (examples/)"}
    for key, label in labels.items():
        s = result[key]

        def fmt(x, digits=2):
            return "—" if x is None else f"{x:.{digits}f}"
        rows.append(f"| {label} | {fmt(s['populations']['exc']['rate_hz'])} "
                    f"| {fmt(s['populations']['inh']['rate_hz'])} "
                    f"| {fmt(s['all']['cv_isi'], 3)} | {fmt(s['all']['fano'])} |")
    return "\n".join(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--net", choices=["cuba", "coba", "cobahh"], required=True)
    ap.add_argument("--duration-ms", type=float, default=10000.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True)
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="Brian2 numpy target (no compiling)")
    mode.add_argument("--standalone", action="store_true", help="Brian2 C++ standalone")
    ap.add_argument("--brian2-dt-ms", type=float,
                    help="Brian2's time step (default 0.1 ms, as glia's)")
    args = ap.parse_args()
    result = compare(args.net, args.duration_ms, args.out, args.seed, args.quick, args.standalone,
                     args.brian2_dt_ms)
    print(table(result))


if __name__ == "__main__":
    main()
