"""High-accuracy reference trajectories of the Izhikevich (2003) neuron for glia's presets.

Writes ``validation/fixtures/izhikevich_presets.json``, which the Rust test
``crates/glia-sim/tests/izhikevich.rs`` reads (CI does not install scipy, so the fixture is
committed; rerun this script after changing a protocol):

    python3 validation/izhikevich_reference.py

Model (Izhikevich 2003, IEEE TNN 14:1569)::

    v' = 0.04 v^2 + 5 v + 140 - u + I(t),   u' = a (b v - u),
    v >= 30 mV  ->  spike, v <- c, u <- u + d

Each protocol is a piecewise-constant current ``I(t)`` (0 before ``times[0]``, ``amplitudes[k]``
from ``times[k]`` on, the form of glia's ``step_current`` input) starting from ``v = v0``,
``u = b v0``. The equations are integrated with scipy's ``solve_ivp`` (DOP853, rtol = atol =
1e-10) segment by segment between the current steps, with a terminal event at ``v = 30``
(upward); after each event the state is reset and integration restarts at the event time, so
spike times are located to ~1e-9 ms. ``v`` is also sampled every ``sample_ms`` (1 ms), at the
times glia's state monitor records (``k * 1 ms``, after the reset of a spike at that time).

Protocols (step currents in the model's units, mV/ms):

- RS, IB, CH, FS, LTS: ``I = 10`` from 10 ms (Izhikevich 2003, Fig. 2: a step of dc current
  ``I = 10``), from ``v0 = -65`` (the paper's initial state), 200 ms (LTS: 195 ms, so that no
  spike falls within 1 ms of the end of the run).
- TC_tonic: ``I = 2`` from 10 ms: tonic firing from rest (2003, Fig. 2, TC, depolarised).
- TC_rebound: ``I = -10`` from 10 to 110 ms, then 0: the hyperpolarisation de-inactivates
  (``u`` falls to ``b v ~ -19``) and release gives a rebound burst (2003, Fig. 2, TC).
- RZ: ``I = 1`` from 10 ms, from rest (``v0 = -62.5``, the stable focus of ``b = 0.26`` at
  ``I = 0``): tonic firing of a resonator.
- RZ_resonant / RZ_offresonant: two 5 ms pulses of ``I = 0.5`` from rest, 45 ms apart (near
  the period of the subthreshold oscillation, ~41 ms: one spike on the second pulse) and 25 ms
  apart (out of phase: no spike), the resonator's signature (Izhikevich 2004, Fig. 1(M)).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from scipy.integrate import solve_ivp

V_PEAK = 30.0
RTOL = ATOL = 1e-10
SAMPLE_MS = 1.0

# (a, b, c, d) from Izhikevich (2003), Fig. 2.
PRESETS = {
    "RS": (0.02, 0.2, -65.0, 8.0),
    "IB": (0.02, 0.2, -55.0, 4.0),
    "CH": (0.02, 0.2, -50.0, 2.0),
    "FS": (0.1, 0.2, -65.0, 2.0),
    "LTS": (0.02, 0.25, -65.0, 2.0),
    "TC": (0.02, 0.25, -65.0, 0.05),
    "RZ": (0.1, 0.26, -65.0, 2.0),
}

STEP10 = ([10.0], [10.0])
PROTOCOLS = [
    # name, preset, v0, (times, amplitudes), duration
    ("RS", "RS", -65.0, STEP10, 200.0),
    ("IB", "IB", -65.0, STEP10, 200.0),
    ("CH", "CH", -65.0, STEP10, 200.0),
    ("FS", "FS", -65.0, STEP10, 200.0),
    ("LTS", "LTS", -65.0, STEP10, 195.0),
    ("TC_tonic", "TC", -65.0, ([10.0], [2.0]), 200.0),
    ("TC_rebound", "TC", -65.0, ([10.0, 110.0], [-10.0, 0.0]), 200.0),
    ("RZ", "RZ", -62.5, ([10.0], [1.0]), 200.0),
    ("RZ_resonant", "RZ", -62.5, ([10.0, 15.0, 55.0, 60.0], [0.5, 0.0, 0.5, 0.0]), 150.0),
    ("RZ_offresonant", "RZ", -62.5, ([10.0, 15.0, 35.0, 40.0], [0.5, 0.0, 0.5, 0.0]), 150.0),
]


def simulate(a, b, c, d, v0, times, amplitudes, duration):
    """Spike times and v sampled every SAMPLE_MS (after resets), to solve_ivp's accuracy."""
    edges = [0.0, *times, duration]
    levels = [0.0, *amplitudes]
    samples = np.arange(1, int(round(duration / SAMPLE_MS)) + 1) * SAMPLE_MS
    v_samples = np.full(samples.size, np.nan)
    y = np.array([v0, b * v0])
    spikes = []

    def event(_t, y):
        return y[0] - V_PEAK

    event.terminal = True
    event.direction = 1

    for k, current in enumerate(levels):
        t0, t1 = edges[k], edges[k + 1]
        if t1 <= t0:
            continue

        def rhs(_t, y, current=current):
            v, u = y
            return [0.04 * v * v + 5.0 * v + 140.0 - u + current, a * (b * v - u)]

        t = t0
        while t < t1:
            # Samples in (t, t1); the one at t1 (if any) is taken after the loop.
            mask = (samples > t) & (samples < t1)
            r = solve_ivp(
                rhs,
                (t, t1),
                y,
                method="DOP853",
                rtol=RTOL,
                atol=ATOL,
                events=event,
                t_eval=np.append(samples[mask], t1),
            )
            for ts, vs in zip(r.t, r.y[0]):
                if ts < t1:
                    v_samples[np.searchsorted(samples, ts)] = vs
            if r.t_events[0].size:
                te = float(r.t_events[0][0])
                ue = float(r.y_events[0][0][1])
                spikes.append(te)
                y = np.array([c, ue + d])
                t = te
            else:
                y = r.y[:, -1]
                t = t1
        i = np.searchsorted(samples, t1)
        if i < samples.size and samples[i] == t1:
            v_samples[i] = y[0]
    assert not np.isnan(v_samples).any()
    return spikes, v_samples


def main():
    out = []
    for name, preset, v0, (times, amps), duration in PROTOCOLS:
        a, b, c, d = PRESETS[preset]
        spikes, v = simulate(a, b, c, d, v0, times, amps, duration)
        # A spike within 1 ms of the end of the run would make the spike count fragile.
        assert not spikes or spikes[-1] < duration - 1.0, (name, spikes[-1])
        isis = np.diff(spikes)
        print(
            f"{name:15s} {len(spikes):3d} spikes, first {np.round(spikes[:3], 3).tolist()}, "
            f"ISIs {np.round(isis[:3], 3).tolist()}"
        )
        out.append(
            {
                "name": name,
                "preset": preset,
                "a": a,
                "b": b,
                "c": c,
                "d": d,
                "v0": v0,
                "times": times,
                "amplitudes": amps,
                "duration": duration,
                "spikes": [round(s, 9) for s in spikes],
                "sample_ms": SAMPLE_MS,
                "v": [round(float(x), 7) for x in v],
            }
        )
    doc = {
        "source": "validation/izhikevich_reference.py",
        "method": f"scipy solve_ivp DOP853, rtol = atol = {RTOL}, terminal event at v = {V_PEAK}",
        "protocols": out,
    }
    path = Path(__file__).parent / "fixtures" / "izhikevich_presets.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
