"""Tests of validation/stats.py on spike trains with known statistics, and of the
connectivity that validation/brian2_nets.py generates (no simulation: fast)."""

import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stats  # noqa: E402


def poisson_trains(rng, n, rate_hz, t_ms, dt_ms=0.1):
    """Independent Poisson (Bernoulli per step) trains on the dt grid."""
    steps = int(round(t_ms / dt_ms))
    hits = rng.random((n, steps)) < rate_hz * dt_ms * 1e-3
    ids, k = np.nonzero(hits)
    order = np.argsort(k, kind="stable")
    return k[order] * dt_ms, ids[order].astype(np.uint32)


def test_poisson_rate_cv_fano():
    rng = np.random.default_rng(0)
    spikes = {"exc": poisson_trains(rng, 400, 20.0, 5000.0),
              "inh": poisson_trains(rng, 100, 40.0, 5000.0)}
    s = stats.compute_stats(spikes, {"exc": 400, "inh": 100}, 5000.0)
    assert s["populations"]["exc"]["rate_hz"] == pytest.approx(20.0, rel=0.03)
    assert s["populations"]["inh"]["rate_hz"] == pytest.approx(40.0, rel=0.03)
    assert s["all"]["rate_hz"] == pytest.approx(24.0, rel=0.03)
    for key in ("exc", "inh"):
        assert s["populations"][key]["cv_isi"] == pytest.approx(1.0, abs=0.05)
        assert s["populations"][key]["fano"] == pytest.approx(1.0, abs=0.1)
    assert s["all"]["n_cv"] == 500


def test_regular_trains_and_window():
    # Neuron k fires every 10 ms from k * 0.1 ms: CV 0; with t_start 100 ms only later spikes count.
    times, ids = [], []
    for k in range(10):
        t = np.arange(k * 0.1, 1000.0, 10.0)
        times.append(t)
        ids.append(np.full(len(t), k, dtype=np.uint32))
    spikes = {"a": (np.concatenate(times), np.concatenate(ids))}
    s = stats.compute_stats(spikes, {"a": 10}, 1000.0, t_start_ms=100.0)
    pop = s["populations"]["a"]
    assert pop["n_spikes"] == 10 * 90
    assert pop["rate_hz"] == pytest.approx(100.0)
    assert pop["cv_isi"] == pytest.approx(0.0, abs=1e-12)
    # Each 5 ms bin alternately holds all 10 spikes or none: mean 5, variance 25.
    assert pop["fano"] == pytest.approx(5.0)


def test_undefined_values_and_errors():
    empty = (np.empty(0), np.empty(0, dtype=np.uint32))
    s = stats.compute_stats({"a": empty}, {"a": 5}, 100.0)
    assert s["populations"]["a"]["cv_isi"] is None
    assert s["populations"]["a"]["fano"] is None
    assert s["populations"]["a"]["rate_hz"] == 0.0
    with pytest.raises(ValueError):
        stats.compute_stats({"a": (np.array([1.0]), np.array([5], dtype=np.uint32))}, {"a": 5}, 100.0)


def test_glia_layout_roundtrip(tmp_path):
    rng = np.random.default_rng(1)
    t, i = poisson_trains(rng, 50, 10.0, 1000.0)
    # glia stamps the spike of step s at (s+1)*dt, Brian2 at s*dt: the same steps, the same stats.
    np.savez(tmp_path / "spikes.npz", **{"p.times": t + stats.DT_MS, "p.ids": i})
    (tmp_path / "summary.json").write_text('{"populations": {"p": {"size": 50}}}')
    s = stats.glia_stats(str(tmp_path), 1000.0)
    assert s == stats.compute_stats({"p": (t, i)}, {"p": 50}, 1000.0)


def test_brian2_instances():
    nets = pytest.importorskip("brian2_nets")
    cuba = nets.cuba_instance(3)
    assert cuba.sizes == {"exc": 3200, "inh": 800}
    assert cuba.n_synapses == pytest.approx(0.02 * 4000 * 3999, rel=0.01)
    for p in cuba.projections:
        if p.source == p.target:
            assert not np.any(p.sources == p.targets)
        pairs = p.sources * 10**6 + p.targets
        assert len(np.unique(pairs)) == len(pairs)          # no multapses
    brunel = nets.brunel_instance(3, order=100)
    for p in brunel.projections:
        indegree = np.bincount(p.targets, minlength=brunel.sizes[p.target])
        assert np.all(indegree == {"exc": 1000, "inh": 250}[p.source])
        if p.source == p.target:
            assert not np.any(p.sources == p.targets)
    assert nets.BRUNEL_J_E / nets.pA == pytest.approx(54.96, abs=0.01)
