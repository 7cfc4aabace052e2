"""glia against Brian2 on identical CUBA and COBA networks (1 s, Brian2's numpy target).

Brian2 exports its exact connectivity and initial state, glia simulates the same network
(``compare_brian2.py``). Asserted, with the tolerances stated:

* the first spikes are *identical* (same neuron, same step) until chaos amplifies the
  differences that remain (float32 state in glia, the one-step shorter refractory clamp in
  Brian2, Euler vs exponential Euler for COBA): at least the first 100 excitatory and 50
  inhibitory CUBA spikes and the first 20 excitatory COBA spikes;
* population rates agree within 5 % (the run-to-run spread over seeds is about ±4 %), the mean
  CV of ISIs within 0.05, and the Fano factor of 5 ms population counts within 50 % (it is the
  noisiest statistic over 200 bins).

Needs ``target/release/glia`` (``cargo build --release``) or ``GLIA=path``.
"""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare_brian2  # noqa: E402


def identical_prefix(brian2_npz: str, glia_npz: str, pop: str) -> int:
    """Number of leading spikes (ordered by step, then id) that are the same in both runs.

    Brian2 stamps a spike of step s at s·dt, glia at (s + 1)·dt.
    """
    with np.load(brian2_npz) as b, np.load(glia_npz) as g:
        bs = sorted(zip(np.rint(b[f"{pop}.times"] / 0.1).astype(int).tolist(), b[f"{pop}.ids"].tolist()))
        gs = sorted(zip((np.rint(g[f"{pop}.times"] / 0.1).astype(int) - 1).tolist(), g[f"{pop}.ids"].tolist()))
    n = 0
    for x, y in zip(bs, gs):
        if x != y:
            break
        n += 1
    return n


@pytest.mark.parametrize("net, min_prefix", [("cuba", {"exc": 100, "inh": 50}), ("coba", {"exc": 20, "inh": 5})])
def test_identical_network_matches_brian2(net, min_prefix, tmp_path):
    result = compare_brian2.compare(net, 1000.0, str(tmp_path), seed=1, quick=True)
    b, g = result["brian2"], result["glia_imported"]
    for pop in ["exc", "inh"]:
        rb, rg = b["populations"][pop]["rate_hz"], g["populations"][pop]["rate_hz"]
        assert abs(rg - rb) / rb < 0.05, f"{net} {pop}: glia {rg:.3f} Hz, Brian2 {rb:.3f} Hz"
        n = identical_prefix(str(tmp_path / "network" / "brian2_spikes.npz"),
                             str(tmp_path / "glia_imported" / "spikes.npz"), pop)
        assert n >= min_prefix[pop], f"{net} {pop}: only the first {n} spikes are identical"
    assert abs(g["all"]["cv_isi"] - b["all"]["cv_isi"]) < 0.05
    assert abs(g["all"]["fano"] - b["all"]["fano"]) / b["all"]["fano"] < 0.5
    # glia's own connectivity: the same statistics within the seed-to-seed spread.
    own = result["glia_own"]
    assert abs(own["all"]["rate_hz"] - b["all"]["rate_hz"]) / b["all"]["rate_hz"] < 0.15
