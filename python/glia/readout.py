"""Readouts for reservoir computing (glia-reservoir's, with numpy in and out).

Features are the rows of a ``T × F`` array (one row per sample), targets a ``T × K`` array or
a ``T`` vector for one output; everything is float64 and must be finite. The heavy work runs
in Rust with the GIL released.

* :class:`Ridge` — ridge regression ``min ‖Y − XW − 1bᵀ‖² + α‖W‖²`` (intercept not penalised),
  closed form by Cholesky; :func:`ridge` is the function form;
* :func:`ridge_cv` — k-fold cross-validation of ``α`` over a grid (contiguous folds);
* :class:`Softmax` — multinomial logistic regression with L2, full batch (Nesterov gradient
  descent) or deterministic mini-batch SGD;
* :class:`RLS` — recursive least squares, online (``update(x, y)``) or over a whole set
  (``fit``); with ``forget=1`` it equals ridge without intercept, ``α = delta``.

Bad arguments raise :class:`glia.FieldError` naming the argument (``alpha: must be ≥ 0 and
finite, got -1``, ``X: entry (3, 0) is nan (values must be finite)``); a failed
factorisation raises :class:`glia.NumericalError`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from ._glia import RLS, Ridge, Softmax
from ._glia import ridge_cv as _ridge_cv

__all__ = ["Ridge", "Softmax", "RLS", "ridge", "ridge_cv"]


def ridge(X: npt.ArrayLike, Y: npt.ArrayLike, alpha: float = 1e-6, *,
          fit_intercept: bool = True) -> Ridge:
    """Fit and return a :class:`Ridge` readout (``Ridge(alpha, fit_intercept).fit(X, Y)``)."""
    return Ridge(alpha, fit_intercept).fit(X, Y)


def ridge_cv(X: npt.ArrayLike, Y: npt.ArrayLike, alphas: Any,
             folds: int = 5) -> tuple[float, np.ndarray]:
    """K-fold cross-validation of the ridge regularisation.

    The ``T`` samples are cut into ``folds`` contiguous blocks (time series are not
    shuffled); each block in turn validates a fit on the others. Returns ``(alpha, errors)``:
    the ``α`` of ``alphas`` with the smallest mean validation MSE (the first on ties) and the
    mean validation MSE of every ``α`` (over folds and outputs), as in an experiment's
    ``info.cv_scores``.
    """
    return _ridge_cv(X, Y, alphas, folds)
