"""Draw the AdEx firing-pattern figure: membrane potential of the eight Naud et al. (2008)
presets of examples/adex_firing_patterns.toml under their step currents.

    cargo run --release --bin glia -- run examples/adex_firing_patterns.toml
    python docs/make_adex_figure.py out/adex_firing_patterns docs/img/adex_patterns.png

Needs matplotlib (not a test dependency); reads only glia's NumPy outputs. Spikes are drawn
as vertical strokes to 0 mV (V_peak) at their time stamps.
"""

from __future__ import annotations

import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

PATTERNS = [
    "tonic",
    "adapting",
    "initial_burst",
    "regular_bursting",
    "delayed_accelerating",
    "delayed_regular_bursting",
    "transient",
    "irregular",
]


def main(out_dir: str, png: str) -> None:
    state = np.load(f"{out_dir}/state.npz")
    spikes = np.load(f"{out_dir}/spikes.npz")
    fig, axes = plt.subplots(4, 2, figsize=(10, 8), sharex=True)
    for ax, name in zip(axes.T.flat, PATTERNS):
        t, v = state[f"{name}.t"], np.ravel(state[f"{name}.v"])
        ax.plot(t, v, c="k", lw=0.6)
        ts = spikes[f"{name}.times"]
        ax.vlines(ts, -45.0, 0.0, colors="k", lw=0.6)
        ax.set_title(f"{name.replace('_', ' ')} ({len(ts)} spike{'' if len(ts) == 1 else 's'})", fontsize=9)
        ax.set_ylim(-75, 5)
        ax.tick_params(labelsize=8)
    for ax in axes[:, 0]:
        ax.set_ylabel("V (mV)", fontsize=8)
    for ax in axes[-1]:
        ax.set_xlabel("time (ms)", fontsize=8)
    fig.suptitle("glia `adex`: Naud et al. (2008) presets, step current from t = 0", fontsize=10)
    fig.tight_layout()
    fig.savefig(png, dpi=100)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
