"""Accuracy of glia's Izhikevich integration schemes against the reference fixture.

glia stamps spikes at the end of their step, so its tests can only bound spike times to the
step. This script runs the same algorithms as ``crates/glia-sim/src/neurons/izhikevich.rs``
(in float32, with the same order of operations) on the protocols of
``validation/fixtures/izhikevich_presets.json`` and reports the crossing times *within* the
step, to measure the schemes themselves:

    python3 validation/izhikevich_scheme.py

Columns: reference spike count; glia's default scheme at dt = 0.1 ms (Heun, 4 substeps,
reset at the interpolated crossing): count and largest spike-time error over the whole run;
the same without the crossing correction (reset at the end of the substep); the paper's
scheme at dt = 1 ms (``paper_euler``): count.
"""

import json
from pathlib import Path

import numpy as np

F = np.float32
FIXTURE = Path(__file__).parent / "fixtures" / "izhikevich_presets.json"


def current(p, t_step, dt):
    i = 0.0
    for t, a in zip(p["times"], p["amplitudes"]):
        if t_step >= round(t / dt):
            i = a
    return i


def heun(v, u, a, ab, drive, h):
    k1v = v * (F(0.04) * v + F(5)) + drive - u
    k1u = ab * v - a * u
    vp, up = v + h * k1v, u + h * k1u
    k2v = vp * (F(0.04) * vp + F(5)) + drive - up
    k2u = ab * vp - a * up
    hh = F(0.5) * h
    return v + hh * (k1v + k2v), u + hh * (k1u + k2u)


def default_scheme(p, dt=0.1, substeps=4, correct=True):
    """Spike (crossing) times of glia's default scheme."""
    a, c, d, ab = F(p["a"]), F(p["c"]), F(p["d"]), F(p["a"] * p["b"])
    v, u = F(p["v0"]), F(p["b"] * p["v0"])
    h = F(dt / substeps)
    spikes = []
    for s in range(int(round(p["duration"] / dt))):
        drive = F(0) + (F(140) + F(current(p, s, dt)))
        for k in range(substeps):
            vn, un = heun(v, u, a, ab, drive, h)
            if vn < 30:
                v, u = vn, un
                continue
            th = min(max((F(30) - v) / (vn - v), F(0)), F(1)) if correct else F(1)
            spikes.append(s * dt + (k + float(th)) * float(h))
            v, u = c, u + th * (un - u) + d
            if correct and th < 1:
                v, u = heun(v, u, a, ab, drive, (F(1) - th) * h)
    return np.array(spikes)


def paper_scheme(p, dt=1.0):
    """Spike stamps of the paper's scheme (``paper_euler``)."""
    a, c, d, ab = F(p["a"]), F(p["c"]), F(p["d"]), F(p["a"] * p["b"])
    v, u = F(p["v0"]), F(p["b"] * p["v0"])
    hh, dtf = F(0.5 * dt), F(dt)
    spikes = []
    for s in range(int(round(p["duration"] / dt))):
        drive = F(0) + (F(140) + F(current(p, s, dt)))
        v1 = v + hh * (v * (F(0.04) * v + F(5)) + drive - u)
        v2 = v1 + hh * (v1 * (F(0.04) * v1 + F(5)) + drive - u)
        u = u + dtf * (ab * v2 - a * u)
        v = v2
        if v >= 30:
            spikes.append((s + 1) * dt)
            v, u = c, u + d
    return np.array(spikes)


def max_err(g, r):
    if len(g) != len(r):
        return "count differs"
    return f"{np.max(np.abs(g - r)):.4f}" if len(r) else "-"


def main():
    doc = json.loads(FIXTURE.read_text())
    print(
        f"{'protocol':15} {'ref':>4} | {'glia':>4} {'max|err| ms':>13} | "
        f"{'no-corr':>7} {'max|err| ms':>13} | {'paper dt=1':>10}"
    )
    for p in doc["protocols"]:
        r = np.array(p["spikes"])
        g = default_scheme(p)
        n = default_scheme(p, correct=False)
        e = paper_scheme(p)
        print(
            f"{p['name']:15} {len(r):4d} | {len(g):4d} {max_err(g, r):>13} | "
            f"{len(n):7d} {max_err(n, r):>13} | {len(e):10d}"
        )


if __name__ == "__main__":
    main()
