"""Calling overhead of the Python interface: a 1000-neuron network stepped 1 ms at a time
from Python against the same simulated time in one call.

    python benches/python_stepping.py [--duration-ms 2000] [--repeats 5] [--chunk-ms 1.0]
                                      [--on-nan error|warn|off]

The network is CUBA scaled to 1000 neurons (800 excitatory, 200 inhibitory, 8 % connectivity:
each neuron keeps CUBA's 80 inputs, about 80,000 synapses), built once per timing from the
Python builder; both variants record the same spikes (checked). Each repeat times the two
variants back to back (alternating which goes first) and the script prints the medians and
their ratio (goal: below 2). Both variants check for NaN as ``--on-nan`` says (default
``error``, the default of ``Network.run``: every 10 steps and after each call's last step).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import glia

LIF = {"tau_m": 20.0, "C_m": 20.0, "E_L": -49.0, "V_th": -50.0, "V_reset": -60.0, "t_ref": 5.0}
PORTS = {"exc": {"tau_syn": 5.0}, "inh": {"tau_syn": 10.0}}


def cuba1000() -> glia.Network:
    m = glia.Model(dt=0.1, seed=1)
    v0 = {"dist": "uniform", "low": -60.0, "high": -50.0}
    m.population("exc", 800, "lif", params=LIF, ports=PORTS, initial={"v": v0})
    m.population("inh", 200, "lif", params=LIF, ports=PORTS, initial={"v": v0})
    for src, w in [("exc", 1.62), ("inh", -9.0)]:
        for tgt in ["exc", "inh"]:
            m.projection(src, tgt, src, {"rule": "fixed_probability", "p": 0.08,
                                         "allow_self": src != tgt}, weight=w, delay=0.1)
    m.monitor("spikes", population="exc")
    m.monitor("spikes", population="inh")
    return m.build()


ON_NAN = "error"


def one_call(duration_ms: float, chunk_ms: float):
    net = cuba1000()
    t0 = time.perf_counter()
    net.run(duration_ms, on_nan=ON_NAN)
    return time.perf_counter() - t0, net


def stepped(duration_ms: float, chunk_ms: float):
    net = cuba1000()
    n = int(round(duration_ms / chunk_ms))
    t0 = time.perf_counter()
    for _ in range(n):
        net.run(chunk_ms, on_nan=ON_NAN)
    return time.perf_counter() - t0, net


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration-ms", type=float, default=2000.0)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--chunk-ms", type=float, default=1.0)
    ap.add_argument("--on-nan", choices=["error", "warn", "off"], default="error")
    a = ap.parse_args()
    global ON_NAN
    ON_NAN = a.on_nan
    whole, steps = [], []
    for r in range(a.repeats):
        order = [(one_call, whole), (stepped, steps)]
        if r % 2:
            order.reverse()
        nets = {}
        for f, acc in order:
            dt, net = f(a.duration_ms, a.chunk_ms)
            acc.append(dt)
            nets[f.__name__] = net
        x, y = nets["one_call"], nets["stepped"]
        for pop in ("exc", "inh"):
            assert np.array_equal(x.spikes(pop)[1], y.spikes(pop)[1]), "different spikes"
    rate = nets["one_call"].summary()["exc"]["rate_hz"]
    w, s = statistics.median(whole), statistics.median(steps)
    calls = int(round(a.duration_ms / a.chunk_ms))
    print(f"network: 1000 LIF, {nets['one_call'].synapses} synapses, exc rate {rate:.1f} Hz, "
          f"on_nan={ON_NAN}")
    print(f"one call of {a.duration_ms:.0f} ms:       {w:.3f} s (median of {a.repeats})")
    print(f"{calls} calls of {a.chunk_ms:g} ms:     {s:.3f} s (median of {a.repeats})")
    print(f"ratio stepped / one call: {s / w:.2f}  "
          f"(overhead {(s - w) / calls * 1e6:.1f} us per call)")


if __name__ == "__main__":
    main()
