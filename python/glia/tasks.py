"""Reservoir-computing tasks and metrics (glia-reservoir's generators, numpy arrays out).

Generators (deterministic: counter-based random streams keyed by ``seed``):

* :func:`memory_capacity` — i.i.d. input ``u`` uniform in ``[-1, 1)`` and the delayed copies
  ``targets[t, k-1] = u[t-k]`` (0 for ``t < k``), ``k = 1..max_delay``;
* :func:`narma10` — input uniform in ``[0, 0.5)`` and the NARMA-10 target
  (:func:`narma10_target` for an input of your own);
* :func:`mackey_glass` — the Mackey–Glass series (RK4, τ = 17);
* :func:`patterns` — the classification task: noisy presentations of class templates;
* :func:`uniform` — the underlying i.i.d. stream.

With the same ``seed`` (the experiment's ``task.seed``, default ``simulation.seed``) these are
the series the experiments of ``docs/reservoir.md`` use.

Metrics: :func:`nrmse`, :func:`r2`, :func:`mc_score` (memory capacity), :func:`accuracy`,
:func:`valid_steps`.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ._glia import mackey_glass, narma10_target, nrmse, patterns, r2, uniform, valid_steps
from .errors import FieldError

__all__ = ["uniform", "memory_capacity", "narma10", "narma10_target", "mackey_glass",
           "patterns", "nrmse", "r2", "mc_score", "accuracy", "valid_steps"]


def memory_capacity(n: int, max_delay: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """The memory-capacity task: ``(u, targets)``, ``u`` of length ``n`` uniform in
    ``[-1, 1)`` (stream 0 of ``seed``) and ``targets`` (``n × max_delay``) with
    ``targets[t, k-1] = u[t-k]`` (0 for ``t < k``). Fit one readout per column and sum the
    squared correlations on test data (:func:`mc_score`); discard at least ``max_delay``
    samples at the start (washout)."""
    if max_delay < 1:
        raise FieldError(f"max_delay: must be ≥ 1, got {max_delay}", "max_delay",
                         f"must be ≥ 1, got {max_delay}")
    u = uniform(n, -1.0, 1.0, seed, 0)
    y = np.zeros((n, max_delay))
    for k in range(1, min(max_delay, n - 1) + 1):
        y[k:, k - 1] = u[:n - k]
    return u, y


def narma10(n: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """The NARMA-10 task: ``(u, y)``, ``u`` of length ``n`` uniform in ``[0, 0.5)`` (stream 0
    of ``seed``) and ``y = narma10_target(u)``: ``y[t]`` is ``y(t+1)`` of
    ``y(t+1) = 0.3 y(t) + 0.05 y(t) Σ_{i=0}^{9} y(t−i) + 1.5 u(t−9) u(t) + 0.1``."""
    u = uniform(n, 0.0, 0.5, seed, 0)
    return u, narma10_target(u)


def mc_score(targets: npt.ArrayLike, predictions: npt.ArrayLike) -> tuple[float, np.ndarray]:
    """Memory capacity: ``(sum, per_delay)``, the squared correlation :func:`r2` between each
    column of ``targets`` and ``predictions`` (``T × max_delay``) and their sum."""
    y = np.asarray(targets, dtype=np.float64)
    p = np.asarray(predictions, dtype=np.float64)
    if y.ndim != 2 or p.shape != y.shape:
        raise FieldError(f"predictions: shape {p.shape}, expected the targets' {y.shape} "
                         "(samples × delays)", "predictions",
                         f"shape {p.shape}, expected the targets' {y.shape}")
    per = np.array([r2(y[:, k], p[:, k]) for k in range(y.shape[1])])
    return float(per.sum()), per


def accuracy(labels: npt.ArrayLike, predicted: npt.ArrayLike) -> float:
    """Fraction of ``predicted`` equal to ``labels``."""
    a, b = np.asarray(labels), np.asarray(predicted)
    if a.shape != b.shape or a.ndim != 1 or a.size == 0:
        raise FieldError(f"predicted: shape {b.shape}, expected the labels' {a.shape} "
                         "(non-empty, 1-D)", "predicted",
                         f"shape {b.shape}, expected the labels' {a.shape}")
    return float(np.mean(a == b))
