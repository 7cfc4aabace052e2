"""Draw the README figure: raster and population rate of examples/cuba.toml.

    cargo run --release --bin glia -- run examples/cuba.toml
    python docs/make_figures.py out/cuba docs/img/cuba_raster.png

Needs matplotlib (not a test dependency). glia's own plotting (PNG/SVG without Python) is a
separate feature; this script only reads glia's NumPy outputs.
"""

from __future__ import annotations

import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def main(out_dir: str, png: str, t_max_ms: float = 500.0, show_neurons: int = 400) -> None:
    with open(os.path.join(out_dir, "summary.json")) as f:
        summary = json.load(f)
    spikes = np.load(os.path.join(out_dir, "spikes.npz"))
    rates = np.load(os.path.join(out_dir, "rates.npz"))
    fig, (ax, ax_rate) = plt.subplots(2, 1, figsize=(8, 5), sharex=True,
                                      gridspec_kw={"height_ratios": [3, 1]})
    offset = 0
    colours = {"exc": "tab:red", "inh": "tab:blue"}
    for pop, info in summary["populations"].items():
        n = min(show_neurons if pop == "exc" else show_neurons // 4, info["size"])
        t, i = spikes[f"{pop}.times"], spikes[f"{pop}.ids"]
        keep = (i < n) & (t <= t_max_ms)
        ax.scatter(t[keep], i[keep] + offset, s=1.5, c=colours.get(pop, "k"), label=f"{pop} ({info['mean_rate_hz']:.1f} Hz)")
        offset += n
    ax.set_ylabel("neuron (first 400 exc, 100 inh)")
    ax.legend(loc="upper right", markerscale=6, fontsize=8)
    ax.set_title(f"glia: CUBA (Brette et al. 2007), {summary['simulation']['threads']} thread, "
                 f"{summary['timing']['s_per_bio_s'] * 1000:.0f} ms per simulated second")
    t, r = rates["exc.t"], rates["exc.rate"]
    keep = t <= t_max_ms
    ax_rate.plot(t[keep], r[keep], c="tab:red", lw=0.8)
    ax_rate.set_ylabel("exc rate (Hz)")
    ax_rate.set_xlabel("time (ms)")
    fig.tight_layout()
    fig.savefig(png, dpi=110)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
