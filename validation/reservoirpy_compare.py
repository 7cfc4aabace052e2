#!/usr/bin/env python3
"""glia against reservoirpy on the same reservoirs and data (issue 5).

For each task (linear memory capacity, NARMA-10, Mackey-Glass one-step prediction) this
script draws one reservoir with reservoirpy's own initialisers (sparse normal W rescaled to a
spectral radius, Bernoulli input weights), saves W, W_in and the input series as .npy, and runs

* reservoirpy: ``Reservoir(W=..., Win=...).run(u)`` then ``Ridge(ridge=α).fit(states, y)``;
* glia: ``glia run`` on an experiment file that imports the same W (``[reservoir.recurrent]``),
  W_in (``input_file``) and series (``task.input_file``).

Both fit the ridge readout on the same samples (after the washout) and are scored on the same
test samples with the same metric code (``metrics_*`` below for reservoirpy; glia writes
metrics.json). Wall time is reservoir run + readout fit: for reservoirpy measured here with
``time.perf_counter``, for glia as reported in metrics.json (``timing_s``; the process wall
time including start-up, model build and file output is shown too). Median of ``--repeat``
runs, alternating the two.

Threads: both sides are compared at equal thread counts, each setting in the same run and
alternating: ``--threads 1,2`` (the default) runs glia with ``--threads 1`` against NumPy/SciPy
with one OpenBLAS thread, then glia with ``--threads 2`` against two OpenBLAS threads (NumPy's
default on a 2-core machine). OpenBLAS's thread count is switched at run time through its
``*_set_num_threads`` entry points (found with ctypes in the loaded libraries, as threadpoolctl
does). glia threads both the reservoir run and the ridge products with ``simulation.threads``
(bit-identical results for any count: the script checks that every setting reports the same
metrics); reservoirpy's run is single-threaded and only its readout fit (``X.T @ X``,
``X.T @ Y``, ``linalg.solve``) uses BLAS threads.

Usage: python3 validation/reservoirpy_compare.py [--glia target/release/glia] [--units 500]
       [--threads 1,2] [--repeat 3]
Needs: numpy, reservoirpy (pip install reservoirpy); exits 0 with a message when it is missing.
"""

import argparse
import ctypes
import json
import os
import subprocess
import sys
import tempfile
import time


import numpy as np

try:
    import reservoirpy as rpy
    from reservoirpy import datasets, mat_gen
    from reservoirpy.nodes import Reservoir, Ridge
except ImportError:  # pragma: no cover
    print("reservoirpy is not installed (pip install reservoirpy): skipping")
    sys.exit(0)


def _openblas_setters():
    """``set_num_threads`` of every OpenBLAS library loaded into this process (NumPy's and
    SciPy's wheels each bundle one, with suffixed symbol names)."""
    paths = set()
    with open("/proc/self/maps") as f:
        for line in f:
            p = line.split()[-1]
            if p.startswith("/") and "openblas" in p.lower():
                paths.add(p)
    setters = []
    for p in sorted(paths):
        lib = ctypes.CDLL(p)
        for name in (
            "scipy_openblas_set_num_threads64_",
            "scipy_openblas_set_num_threads",
            "openblas_set_num_threads64_",
            "openblas_set_num_threads",
        ):
            fn = getattr(lib, name, None)
            if fn is not None:
                setters.append(fn)
                break
    return setters


def set_blas_threads(k):
    setters = _openblas_setters()
    if not setters:
        raise SystemExit("no OpenBLAS library found in this process: cannot set its threads")
    for fn in setters:
        fn(ctypes.c_int(k))


HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def narma10(u):
    n = len(u)
    y = np.zeros(n + 1)
    for t in range(9, n):
        y[t + 1] = 0.3 * y[t] + 0.05 * y[t] * y[t - 9 : t + 1].sum() + 1.5 * u[t - 9] * u[t] + 0.1
    return y[1:]


def nrmse(y, p):
    return float(np.sqrt(np.mean((y - p) ** 2)) / np.std(y))


def r2(a, b):
    c = np.corrcoef(a, b)[0, 1]
    return float(c * c)


TASKS = {
    # name: (task kind, leak, spectral radius, input scaling, ridge alpha, washout, train, test)
    "memory_capacity": ("memory_capacity", 1.0, 0.95, 0.1, 1e-8, 200, 5000, 2000),
    "narma10": ("narma10", 1.0, 0.95, 0.5, 1e-8, 200, 4000, 1000),
    "mackey_glass": ("mackey_glass", 0.3, 1.25, 1.0, 1e-8, 200, 3000, 500),
}
MAX_DELAY = 100


def make_data(kind, n_total, seed):
    rng = np.random.default_rng(seed)
    if kind == "memory_capacity":
        u = rng.uniform(-1.0, 1.0, n_total)
        y = np.stack([np.concatenate([np.zeros(k), u[:-k]]) for k in range(1, MAX_DELAY + 1)], 1)
        f = u
    elif kind == "narma10":
        u = rng.uniform(0.0, 0.5, n_total)
        y = narma10(u)[:, None]
        f = u
    else:
        s = datasets.mackey_glass(n_total + 1 + 500, tau=17, seed=seed)[500:, 0]
        u, y = s[:-1], s[1:, None]
        f = s  # glia takes the series and forms input and target itself
    return u, y, f


def score(kind, y, p):
    if kind == "memory_capacity":
        return {"memory_capacity": sum(r2(y[:, k], p[:, k]) for k in range(y.shape[1]))}
    key = "nrmse" if kind == "narma10" else "nrmse_one_step"
    return {key: nrmse(y[:, 0], p[:, 0])}


def run_rpy(W, Win, u, y, lr, alpha, washout, train, test):
    t0 = time.perf_counter()
    res = Reservoir(W=W, Win=Win, bias=0.0, lr=lr, activation="tanh")
    states = res.run(u[:, None])
    t1 = time.perf_counter()
    ridge = Ridge(ridge=alpha)
    ridge.fit(states[washout:train], y[washout:train])
    t2 = time.perf_counter()
    pred = ridge.run(states[train : train + test])
    return (t1 - t0, t2 - t1), pred


EXPERIMENT = """
[simulation]
dt = 1.0
duration = 1.0
seed = 1

[[populations]]
name = "R"
size = {n}
model = "rate"
params = {{ activation = "tanh", leak = {lr} }}

[reservoir]
input = "R"
input_file = "Win.npy"
recurrent = {{ population = "R", file = "W.npy" }}

[task]
kind = "{kind}"
washout = {washout}
train = {train}
test = {test}
input_file = "u.npy"
{extra}

[readout]
kind = "ridge"
alpha = {alpha}
"""


def run_glia(glia, d, out, threads):
    t0 = time.perf_counter()
    subprocess.run(
        [glia, "run", os.path.join(d, "exp.toml"), "--out", out, "--threads", str(threads)],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    proc = time.perf_counter() - t0
    with open(os.path.join(out, "metrics.json")) as f:
        m = json.load(f)
    t = m["timing_s"]
    return (t["reservoir_run"], t["readout_fit"]), proc, m["metrics"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--glia", default=os.path.join(ROOT, "target", "release", "glia"))
    ap.add_argument("--units", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument(
        "--threads",
        default="1,2",
        help="comma-separated thread counts, each used by glia and by OpenBLAS (default 1,2)",
    )
    args = ap.parse_args()
    n = args.units
    settings = [int(v) for v in args.threads.split(",")]
    loads = [os.getloadavg()[0]]
    rows = {k: [] for k in settings}
    ok = True
    for name, (kind, lr, sr, isc, alpha, washout, train, test) in TASKS.items():
        n_total = train + test
        u, y, series = make_data(kind, n_total, args.seed)
        W = mat_gen.normal(n, n, connectivity=0.1, sr=sr, seed=args.seed)
        Win = mat_gen.bernoulli(n, 1, input_scaling=isc, connectivity=0.1, seed=args.seed + 1)
        Wd = W.toarray() if hasattr(W, "toarray") else np.asarray(W)
        Wind = Win.toarray() if hasattr(Win, "toarray") else np.asarray(Win)
        with tempfile.TemporaryDirectory() as d:
            np.save(os.path.join(d, "W.npy"), Wd)
            np.save(os.path.join(d, "Win.npy"), Wind)
            np.save(os.path.join(d, "u.npy"), series)
            extra = f"max_delay = {MAX_DELAY}" if kind == "memory_capacity" else ""
            with open(os.path.join(d, "exp.toml"), "w") as f:
                f.write(
                    EXPERIMENT.format(
                        n=n, lr=lr, kind=kind, washout=washout, train=train, test=test,
                        extra=extra, alpha=alpha,
                    )
                )
            t = {k: ([], [], []) for k in settings}
            glia_metrics = {}
            for _ in range(args.repeat):
                for k in settings:
                    set_blas_threads(k)
                    w, pred = run_rpy(W, Win, u, y, lr, alpha, washout, train, test)
                    g, p, gm = run_glia(args.glia, d, os.path.join(d, "out"), k)
                    t[k][0].append(w)
                    t[k][1].append(g)
                    t[k][2].append(p)
                    glia_metrics.setdefault(k, gm)
                    loads.append(os.getloadavg()[0])
        m_rpy = score(kind, y[train : train + test], pred)
        key = next(iter(m_rpy))
        same = all(glia_metrics[k] == glia_metrics[settings[0]] for k in settings)
        if not same:
            print(f"{name}: glia's metrics differ between thread counts: {glia_metrics}")
            ok = False
        for k in settings:
            t_rpy, t_glia, t_proc = t[k]
            a, b = glia_metrics[k][key], m_rpy[key]
            med = lambda ts, i: float(np.median([x[i] for x in ts]))
            rows[k].append(
                (name, key, a, b, 100 * (a - b) / b,
                 (med(t_glia, 0), med(t_glia, 1)), float(np.median(t_proc)),
                 (med(t_rpy, 0), med(t_rpy, 1)),
                 float(np.median([sum(x) for x in t_rpy]) / np.median([sum(x) for x in t_glia])))
            )
    print(
        f"N = {n} units, 10 % recurrent connectivity, reservoirpy {rpy.__version__}, median of "
        f"{args.repeat}, settings alternating; {os.cpu_count()} cores; load average (1 min) "
        f"{min(loads):.1f}–{max(loads):.1f} during the run"
    )
    hdr = ("| threads (glia = OpenBLAS) | task | metric | glia | reservoirpy | diff "
           "| glia run / fit [s] | glia process [s] | reservoirpy run / fit [s] "
           "| speed-up run / fit / run+fit |")
    print(hdr)
    print("|" + "---|" * 10)
    for k in settings:
        for name, key, a, b, diff, tg, tp, tr, total in rows[k]:
            print(
                f"| {k} | {name} | {key} | {a:.4g} | {b:.4g} | {diff:+.2f} % "
                f"| {tg[0]:.3f} / {tg[1]:.3f} | {tp:.3f} | {tr[0]:.3f} / {tr[1]:.3f} "
                f"| {tr[0] / tg[0]:.1f}× / {tr[1] / tg[1]:.1f}× / {total:.1f}× |"
            )
            ok &= abs(diff) <= 5.0
    print("metrics within ±5 % and identical across thread counts:", "yes" if ok else "NO")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
