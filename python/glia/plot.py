"""Figures with matplotlib, when it is installed (``pip install matplotlib``).

Without matplotlib, ``Network.write(out_dir)`` followed by ``glia plot out_dir`` draws the
same figures as PNG or SVG (no Python needed).
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("glia.plot needs matplotlib (pip install matplotlib); "
                          "or write the outputs with net.write(dir) and run `glia plot dir`") from e
    return plt


def raster(net: Any, populations: list[str] | None = None, ax: Any = None,
           markersize: float = 1.0) -> Any:
    """Spike raster of the populations with a spike monitor (neurons stacked in model order);
    returns the matplotlib axes."""
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4))
    offset = 0
    for pop in populations or net.populations:
        try:
            t, i = net.spikes(pop)
        except LookupError:
            continue
        ax.plot(t, i + offset, ".", markersize=markersize, label=pop)
        offset += net.size(pop)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("neuron")
    if offset:
        ax.legend(loc="upper right", markerscale=8)
    return ax


def state(net: Any, monitor: str, variable: str, ax: Any = None) -> Any:
    """Traces of ``variable`` recorded by state monitor ``monitor``; returns the axes."""
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3))
    rec = net.recorded(monitor)
    data = np.asarray(rec[variable])
    for k, i in enumerate(rec["ids"]):
        ax.plot(rec["t"], data[:, k], label=f"{i}")
    ax.set_xlabel("time (ms)")
    ax.set_ylabel(variable)
    return ax


def rate(net: Any, population: str, ax: Any = None) -> Any:
    """Population rate from the rate monitor of ``population``; returns the axes."""
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3))
    t, r = net.rates(population)
    ax.step(t, r, where="post")
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("rate (Hz)")
    return ax


__all__ = ["raster", "state", "rate"]
