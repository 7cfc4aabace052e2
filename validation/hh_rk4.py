"""Reference spike times of one `hh` neuron (Brian2's COBAHH cell) by classical Runge-Kutta.

    python validation/hh_rk4.py [--step-ms 0.0005]

Integrates the Traub-Miles Hodgkin-Huxley equations of ``crates/glia-sim/src/neurons/hh.rs``
(the parameters of Brian2's ``COBAHH.py``: C_m = 200 pF, g_L = 10 nS, E_L = -60 mV,
g_Na = 20 uS, E_Na = 50 mV, g_K = 6 uS, E_K = -90 mV, V_T = -63 mV) in float64 with RK4, the
gates starting at their steady state at E_L, and prints the upward crossings of -20 mV
(linearly interpolated within the step) for the protocols of ``crates/glia-sim/tests/hh.rs``:

* ``no_input``: 300 ms without input (the cell fires on its own);
* ``dc_500``: 500 pA from 10 to 60 ms, 100 ms.

Independent of glia's code (NumPy only); the Rust tests hard-code its output.
"""

from __future__ import annotations

import argparse
import math

C_M, G_L, E_L, G_NA, E_NA, G_K, E_K, V_T, V_SPIKE = (200.0, 10.0, -60.0, 20000.0, 50.0,
                                                     6000.0, -90.0, -63.0, -20.0)


def exprel(z: float) -> float:
    return 1.0 if z == 0.0 else math.expm1(z) / z


def rates(v: float) -> tuple[float, ...]:
    """(alpha_m, beta_m, alpha_h, beta_h, alpha_n, beta_n) in 1/ms at v (mV)."""
    u = v - V_T
    return (0.32 * 4 / exprel((13 - u) / 4), 0.28 * 5 / exprel((u - 40) / 5),
            0.128 * math.exp((17 - u) / 18), 4 / (1 + math.exp((40 - u) / 5)),
            0.032 * 5 / exprel((15 - u) / 5), 0.5 * math.exp((10 - u) / 40))


def deriv(y, i_ext):
    v, m, h, n = y
    am, bm, ah, bh, an, bn = rates(v)
    i_ion = (G_L * (E_L - v) + G_NA * m ** 3 * h * (E_NA - v) + G_K * n ** 4 * (E_K - v))
    return ((i_ion + i_ext) / C_M, am * (1 - m) - bm * m, ah * (1 - h) - bh * h,
            an * (1 - n) - bn * n)


def spikes(current, t_end_ms: float, step_ms: float) -> list[float]:
    """Crossing times (ms); ``current(s)`` is the current (pA) during step s."""
    am, bm, ah, bh, an, bn = rates(E_L)
    y = (E_L, am / (am + bm), ah / (ah + bh), an / (an + bn))
    out = []
    for s in range(int(round(t_end_ms / step_ms))):
        i = current(s)
        k1 = deriv(y, i)
        k2 = deriv(tuple(a + step_ms / 2 * k for a, k in zip(y, k1)), i)
        k3 = deriv(tuple(a + step_ms / 2 * k for a, k in zip(y, k2)), i)
        k4 = deriv(tuple(a + step_ms * k for a, k in zip(y, k3)), i)
        v0 = y[0]
        y = tuple(a + step_ms / 6 * (p + 2 * q + 2 * r + w)
                  for a, p, q, r, w in zip(y, k1, k2, k3, k4))
        if v0 <= V_SPIKE < y[0]:
            out.append(s * step_ms + step_ms * (V_SPIKE - v0) / (y[0] - v0))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--step-ms", type=float, default=0.0005)
    args = ap.parse_args()
    h = args.step_ms
    on, off = round(10.0 / h), round(60.0 / h)
    for name, current, t_end in [("no_input", lambda s: 0.0, 300.0),
                                 ("dc_500", lambda s: 500.0 if on <= s < off else 0.0, 100.0)]:
        print(name, [round(t, 4) for t in spikes(current, t_end, h)])


if __name__ == "__main__":
    main()
