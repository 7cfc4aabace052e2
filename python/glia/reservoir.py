"""Reservoir experiments and reservoir drivers.

* :func:`run_experiment` runs a reservoir experiment — a model file with ``[reservoir]``,
  ``[task]`` and ``[readout]`` tables (``docs/reservoir.md``, ``examples/esn_*.toml``) — as
  ``glia run`` does, and returns the content of its ``metrics.json`` as a dict;
* :class:`Reservoir` drives a :class:`glia.Network` with an input series through input
  weights and collects the state of chosen populations as a ``T × F`` numpy array, for a
  readout of your own (:mod:`glia.readout`); :meth:`Reservoir.from_experiment` gives the
  reservoir of an experiment file as the experiment starts it.

Errors are those of the command line: :class:`glia.FieldError` naming the field
(``task.train: 100 training samples are not more than task.washout = 200 ...``),
:class:`glia.FileError`, :class:`glia.NumericalError`.
"""

from __future__ import annotations

import json
import os
from typing import Any, Mapping

from ._glia import Reservoir
from ._glia import dumps as _dumps
from ._glia import run_experiment as _run_experiment
from .errors import FieldError

__all__ = ["run_experiment", "from_experiment", "Reservoir"]


def _source(source: Any) -> dict[str, Any]:
    if isinstance(source, Mapping):
        return {"text": _dumps(dict(source))}
    if isinstance(source, (str, os.PathLike)):
        return {"path": os.fspath(source)}
    raise FieldError(f"source: expected a path or a dict laid out as a model file, got "
                     f"{type(source).__name__}", "source",
                     f"expected a path or a dict, got {type(source).__name__}")


def run_experiment(source: str | os.PathLike | Mapping[str, Any], *,
                   base_dir: str | os.PathLike | None = None,
                   params: Mapping[str, float] | None = None, seed: int | None = None,
                   threads: int | None = None, out_dir: str | os.PathLike | None = None,
                   return_network: bool = False) -> Any:
    """Run a reservoir experiment and return its metrics (the dict ``glia run`` writes to
    ``metrics.json``: ``task``, ``metrics``, ``readout``, ``features``, ``timing_s``, ``info``).

    ``source`` is a file or a dict laid out as the file (``tomllib.load`` of it; relative file
    names then resolve against ``base_dir``). ``params`` overrides ``[parameters]``, ``seed``
    and ``threads`` override ``[simulation]`` (as ``glia run --param/--seed/--threads``).
    ``out_dir``: also write what ``glia run --out OUT_DIR`` writes (``metrics.json`` and the
    monitors' outputs). ``return_network=True`` returns ``(metrics, network)``, the network
    after the run (its monitors hold what they recorded). The GIL is released while running.
    """
    kw = _source(source)
    if "text" in kw and base_dir is not None:
        kw["base_dir"] = os.fspath(base_dir)
    text, net = _run_experiment(**kw, params=dict(params) if params else None, seed=seed,
                                threads=threads,
                                out_dir=None if out_dir is None else os.fspath(out_dir))
    metrics = json.loads(text)
    return (metrics, net) if return_network else metrics


def from_experiment(source: str | os.PathLike | Mapping[str, Any], *,
                    base_dir: str | os.PathLike | None = None,
                    params: Mapping[str, float] | None = None, seed: int | None = None,
                    threads: int | None = None) -> Reservoir:
    """The :class:`Reservoir` of an experiment (file or dict), as the experiment starts it;
    same as :meth:`Reservoir.from_experiment`, which takes ``path=`` or ``text=``."""
    kw = _source(source)
    if "text" in kw and base_dir is not None:
        kw["base_dir"] = os.fspath(base_dir)
    return Reservoir.from_experiment(**kw, params=dict(params) if params else None, seed=seed,
                                     threads=threads)

