"""High-accuracy reference for glia's `adex` and `lif_adapt` models.

    python validation/adex_reference.py [--out validation/fixtures/adex_reference.json] [--check]

Integrates the models with SciPy's ``solve_ivp`` (DOP853, rtol = atol = 1e-10) from
``V = E_L, w = 0, theta = 0`` under a constant current ``I_e`` switched on at t = 0, with
event-based reset: the integration stops at the exact crossing (``V = V_peak`` for AdEx,
``V = V_th + theta`` for the adaptive LIF), the state is reset (``V <- V_reset``,
``w <- w + b``, ``theta <- theta + q_theta``) and integration restarts from the crossing
time. No refractory period. Units: pF, nS, mV, ms, pA.

One case adds synaptic input through glia's default AdEx ports (NEST ``aeif_cond_exp``):
conductances ``g_exc`` (E_rev 0 mV, tau 0.2 ms) and ``g_inh`` (E_rev -85 mV, tau 2 ms)
that decay exponentially and jump by the weight when an input spike arrives (at its
generator time plus the delay, as in glia).

Writes a small JSON fixture read by ``crates/glia-sim/tests/adex.rs``: per case the glia
model, its parameters (glia/NEST names), the current, the input spikes, the spike times in ms
and samples of ``V`` and ``w`` at ``t = 2.5 + 5 k`` ms (samples within 1 ms before or 0.05 ms
after a spike are left out: there ``V`` is too steep to compare). ``--check`` re-integrates
every case with LSODA and prints the largest difference in spike times between the two
methods, as an estimate of the reference's own error.

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
SAMPLES = np.arange(2.5, DURATION, 5.0)

# Naud, Marcille, Clopath & Gerstner (2008), Table 1 (as in glia's presets), V_peak = 0 mV.
NAUD = {
    "tonic": dict(C_m=200, g_L=10, E_L=-70, V_th=-50, Delta_T=2, a=2, tau_w=30, b=0, V_reset=-58, I=500),
    "adapting": dict(C_m=200, g_L=12, E_L=-70, V_th=-50, Delta_T=2, a=2, tau_w=300, b=60, V_reset=-58, I=500),
    "initial_burst": dict(C_m=130, g_L=18, E_L=-58, V_th=-50, Delta_T=2, a=4, tau_w=150, b=120, V_reset=-50, I=400),
    "regular_bursting": dict(C_m=200, g_L=10, E_L=-58, V_th=-50, Delta_T=2, a=2, tau_w=120, b=100, V_reset=-46, I=210),
}
PORTS = {"exc": (0.2, 0.0), "inh": (2.0, -85.0)}  # tau_syn [ms], E_rev [mV]


def simulate(model: str, p: dict, current: float, inputs: dict, method: str = "DOP853"):
    """Spike times and samples (t, V, w) of one neuron; `inputs`: port -> (times, weight, delay)."""
    adex = model == "adex"
    c, gl, el, vt, a, tw = (p[k] for k in ("C_m", "g_L", "E_L", "V_th", "a", "tau_w"))
    dt_ = p.get("Delta_T", 0.0)
    v_peak = p.get("V_peak", 0.0)
    tth = p.get("tau_theta", 1.0)
    ports = list(PORTS)

    def rhs(_t, y):
        v, w, th, ge, gi = y
        i_syn = ge * (PORTS["exc"][1] - v) + gi * (PORTS["inh"][1] - v)
        exp_term = gl * dt_ * np.exp((v - vt) / dt_) if adex else 0.0
        return [
            (-gl * (v - el) + exp_term - w + current + i_syn) / c,
            (a * (v - el) - w) / tw,
            -th / tth,
            -ge / PORTS["exc"][0],
            -gi / PORTS["inh"][0],
        ]

    def crossing(_t, y):
        return y[0] - v_peak if adex else y[0] - vt - y[2]

    crossing.terminal = True
    crossing.direction = 1
    # Input arrivals: (time, state index, weight).
    arrivals = sorted(
        (t + delay, 3 + ports.index(port), weight) for port, (times, weight, delay) in inputs.items() for t in times
    )
    bounds = sorted({t for t, _, _ in arrivals if t < DURATION} | {DURATION})
    t0, y, spikes = 0.0, np.array([el, 0.0, 0.0, 0.0, 0.0]), []
    samples = {}
    k = 0
    for t_end in bounds:
        while t0 < t_end:
            sol = solve_ivp(rhs, (t0, t_end), y, method=method, rtol=RTOL, atol=ATOL, events=crossing,
                            dense_output=True)
            if sol.status < 0:
                raise RuntimeError(f"{method}: {sol.message}")
            t_stop = float(sol.t[-1])
            for t in SAMPLES[(SAMPLES > t0) & (SAMPLES <= t_stop)]:
                v, w = sol.sol(t)[:2]
                samples[float(t)] = (float(v), float(w))
            if sol.t_events[0].size:
                t0 = float(sol.t_events[0][0])
                spikes.append(t0)
                y = np.array(sol.y_events[0][0])
                y[0] = p["V_reset"]
                y[1] += p["b"]
                y[2] += p.get("q_theta", 0.0)
            else:
                t0, y = t_end, sol.y[:, -1].copy()
        while k < len(arrivals) and arrivals[k][0] <= t_end:
            y[arrivals[k][1]] += arrivals[k][2]
            k += 1
    keep = [t for t in sorted(samples) if not any(-0.05 <= s - t <= 1.0 or 0 <= t - s <= 0.05 for s in spikes)]
    return spikes, dict(t=keep, v=[samples[t][0] for t in keep], w=[samples[t][1] for t in keep])


def cases() -> list[dict]:
    out = []
    for name in ("tonic", "adapting", "initial_burst", "regular_bursting"):
        p = dict(NAUD[name])
        current = p.pop("I")
        out.append(dict(name=name, model="adex", preset=name, params=dict(p, V_peak=0.0), current=current, inputs={}))
    # Synaptic input through the default conductance ports: a subthreshold bias, regular
    # excitatory input from 50 to 300 ms and inhibition from 200 to 400 ms.
    p = dict(NAUD["adapting"])
    p.pop("I")
    out.append(
        dict(
            name="adapting_conductance_input",
            model="adex",
            preset="adapting",
            params=dict(p, V_peak=0.0),
            current=150.0,
            inputs=dict(
                exc=([float(t) for t in np.arange(50.0, 300.0, 1.0)], 40.0, 0.5),
                inh=([float(t) for t in np.arange(200.0, 400.0, 5.0)], 5.0, 1.0),
            ),
        )
    )
    # Adaptive LIF with both mechanisms (adaptation current with subthreshold coupling, and an
    # adaptive threshold).
    lif = dict(C_m=200.0, g_L=10.0, E_L=-70.0, V_th=-50.0, V_reset=-60.0, a=2.0, b=40.0, tau_w=150.0,
               tau_theta=50.0, q_theta=3.0)
    out.append(dict(name="lif_adapt", model="lif_adapt", preset=None, params=lif, current=400.0, inputs={}))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.join(here, "fixtures", "adex_reference.json"))
    ap.add_argument("--check", action="store_true", help="compare with LSODA")
    args = ap.parse_args()
    fixture = dict(
        description="AdEx / adaptive LIF spike times and V, w samples from scipy solve_ivp (DOP853) with "
        "event-based reset; written by validation/adex_reference.py",
        method="DOP853",
        rtol=RTOL,
        atol=ATOL,
        duration_ms=DURATION,
        cases=[],
    )
    for case in cases():
        spikes, samples = simulate(case["model"], case["params"], case["current"], case["inputs"])
        if args.check:
            other, _ = simulate(case["model"], case["params"], case["current"], case["inputs"], method="LSODA")
            n = min(len(spikes), len(other))
            diff = np.max(np.abs(np.array(spikes[:n]) - np.array(other[:n]))) if n else 0.0
            print(f"{case['name']}: {len(spikes)} spikes (LSODA {len(other)}), max |DOP853 - LSODA| = {diff:.2e} ms")
        inputs = {port: dict(times=t, weight=w, delay=d) for port, (t, w, d) in case["inputs"].items()}
        fixture["cases"].append(
            dict(
                case,
                inputs=inputs,
                spikes=[round(t, 9) for t in spikes],
                samples=dict(
                    t=samples["t"],
                    v=[round(x, 9) for x in samples["v"]],
                    w=[round(x, 9) for x in samples["w"]],
                ),
            )
        )
        print(f"{case['name']}: {len(spikes)} spikes, {len(samples['t'])} samples, first spikes {spikes[:3]}")
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as fh:
        json.dump(fixture, fh, indent=1)
        fh.write("\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
