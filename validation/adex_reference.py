"""High-accuracy reference spike times for glia's `adex` and `lif_adapt` models.

    python validation/adex_reference.py [--out validation/fixtures/adex_reference.json] [--check]

Integrates the models with SciPy's ``solve_ivp`` (DOP853, rtol = atol = 1e-10) from
``V = E_L, w = 0, theta = 0`` under a constant current switched on at t = 0, with
event-based reset: the integration stops at the exact crossing (``V = V_peak`` for AdEx,
``V = V_th + theta`` for the adaptive LIF), the state is reset (``V <- V_reset``,
``w <- w + b``, ``theta <- theta + q_theta``) and integration restarts from the crossing
time. No refractory period. Units: pF, nS, mV, ms, pA.

Writes a small JSON fixture read by ``crates/glia-sim/tests/adex.rs``: per case the glia
model, its parameters (glia/NEST names), the current and the spike times in ms. ``--check``
re-integrates every case with LSODA (switching to an implicit method where stiff) and prints the largest difference
in spike times between the two methods, as an estimate of the reference's own error.

SciPy is not in validation/requirements.txt: CI does not run this script, it reads the
committed fixture.
"""

from __future__ import annotations

import argparse
import json
import os

import numpy as np
from scipy.integrate import solve_ivp

RTOL = 1e-10
ATOL = 1e-10
DURATION = 500.0

# Naud, Marcille, Clopath & Gerstner (2008), Table 1 (as in glia's presets), V_peak = 0 mV.
NAUD = {
    "tonic": dict(C_m=200, g_L=10, E_L=-70, V_th=-50, Delta_T=2, a=2, tau_w=30, b=0, V_reset=-58, I=500),
    "adapting": dict(C_m=200, g_L=12, E_L=-70, V_th=-50, Delta_T=2, a=2, tau_w=300, b=60, V_reset=-58, I=500),
    "initial_burst": dict(C_m=130, g_L=18, E_L=-58, V_th=-50, Delta_T=2, a=4, tau_w=150, b=120, V_reset=-50, I=400),
    "regular_bursting": dict(C_m=200, g_L=10, E_L=-58, V_th=-50, Delta_T=2, a=2, tau_w=120, b=100, V_reset=-46, I=210),
}


def adex_spikes(p: dict, current: float, duration: float, method: str = "DOP853") -> list[float]:
    c, gl, el, vt, dt_, a, tw = (p[k] for k in ("C_m", "g_L", "E_L", "V_th", "Delta_T", "a", "tau_w"))
    v_peak = p.get("V_peak", 0.0)

    def rhs(_t, y):
        v, w = y
        return [(-gl * (v - el) + gl * dt_ * np.exp((v - vt) / dt_) - w + current) / c, (a * (v - el) - w) / tw]

    def peak(_t, y):
        return y[0] - v_peak

    peak.terminal = True
    peak.direction = 1
    t0, y, spikes = 0.0, [el, 0.0], []
    while t0 < duration:
        sol = solve_ivp(rhs, (t0, duration), y, method=method, rtol=RTOL, atol=ATOL, events=peak)
        if sol.status < 0:
            raise RuntimeError(f"{method}: {sol.message}")
        if not sol.t_events[0].size:
            break
        t0 = float(sol.t_events[0][0])
        spikes.append(t0)
        y = [p["V_reset"], float(sol.y_events[0][0][1]) + p["b"]]
    return spikes


def lif_adapt_spikes(p: dict, current: float, duration: float, method: str = "DOP853") -> list[float]:
    c, gl, el, vth, a, tw, tth = (p[k] for k in ("C_m", "g_L", "E_L", "V_th", "a", "tau_w", "tau_theta"))

    def rhs(_t, y):
        v, w, th = y
        return [(-gl * (v - el) - w + current) / c, (a * (v - el) - w) / tw, -th / tth]

    def threshold(_t, y):
        return y[0] - vth - y[2]

    threshold.terminal = True
    threshold.direction = 1
    t0, y, spikes = 0.0, [el, 0.0, 0.0], []
    while t0 < duration:
        sol = solve_ivp(rhs, (t0, duration), y, method=method, rtol=RTOL, atol=ATOL, events=threshold)
        if sol.status < 0:
            raise RuntimeError(f"{method}: {sol.message}")
        if not sol.t_events[0].size:
            break
        t0 = float(sol.t_events[0][0])
        spikes.append(t0)
        _, w, th = sol.y_events[0][0]
        y = [p["V_reset"], float(w) + p["b"], float(th) + p["q_theta"]]
    return spikes


def cases() -> list[dict]:
    out = []
    for name in ("tonic", "adapting", "initial_burst", "regular_bursting"):
        p = dict(NAUD[name])
        current = p.pop("I")
        out.append(dict(name=name, model="adex", preset=name, params=dict(p, V_peak=0.0), current=current))
    # Adaptive LIF with both mechanisms (adaptation current with subthreshold coupling, and an
    # adaptive threshold).
    lif = dict(C_m=200.0, g_L=10.0, E_L=-70.0, V_th=-50.0, V_reset=-60.0, a=2.0, b=40.0, tau_w=150.0,
               tau_theta=50.0, q_theta=3.0)
    out.append(dict(name="lif_adapt", model="lif_adapt", preset=None, params=lif, current=400.0))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.join(here, "fixtures", "adex_reference.json"))
    ap.add_argument("--check", action="store_true", help="compare with LSODA")
    args = ap.parse_args()
    fixture = dict(
        description="AdEx / adaptive LIF spike times from scipy solve_ivp (DOP853) with event-based reset; "
        "written by validation/adex_reference.py",
        method="DOP853",
        rtol=RTOL,
        atol=ATOL,
        duration_ms=DURATION,
        cases=[],
    )
    for case in cases():
        f = adex_spikes if case["model"] == "adex" else lif_adapt_spikes
        spikes = f(case["params"], case["current"], DURATION)
        if args.check:
            other = f(case["params"], case["current"], DURATION, method="LSODA")
            n = min(len(spikes), len(other))
            diff = np.max(np.abs(np.array(spikes[:n]) - np.array(other[:n]))) if n else 0.0
            print(f"{case['name']}: {len(spikes)} spikes (LSODA {len(other)}), max |DOP853 - LSODA| = {diff:.2e} ms")
        fixture["cases"].append(dict(case, spikes=[round(t, 9) for t in spikes]))
        print(f"{case['name']}: {len(spikes)} spikes, first {spikes[:3]}")
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as fh:
        json.dump(fixture, fh, indent=1)
        fh.write("\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
