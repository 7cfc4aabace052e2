"""glia: a fast, reproducible spiking-network simulator (Python interface).

Load a model file or build a model in Python with the vocabulary of the model file
(``docs/model-format.md``), run it, and read spikes, state and weights as numpy arrays::

    import glia
    net = glia.load("examples/cuba.toml")
    net.run(100.0)                      # ms; runs continue where they stopped
    times, ids = net.spikes("exc")

    m = glia.Model(dt=0.1, seed=1)
    m.population("n", 100, "lif", params={"tau_m": 20.0}, initial={"v": -60.0})
    m.input("dc", target="n", amplitude=500.0)
    m.monitor("spikes", population="n")
    net = m.build()

Both paths go through the same validation, so a mistake gives the command line's message as a
:class:`glia.ModelError` (``populations[0].params.tau_m: must be > 0, got -5``). A run that
produces a NaN or infinity raises :class:`glia.NumericalError` (``net.run(on_nan=...)``).

Reservoir computing: :mod:`glia.readout` (ridge, cross-validated ridge, softmax regression,
RLS), :mod:`glia.tasks` (memory capacity, NARMA-10, Mackey–Glass, classification; metrics)
and :mod:`glia.reservoir` (experiment files, driving a network and collecting its states).

The tutorial is ``docs/python.md``.
"""

from __future__ import annotations

import copy
import os
import tempfile
from typing import Any, Mapping

import numpy as np

from . import errors
from ._glia import Network, __version__
from ._glia import build as _build
from ._glia import dumps as _dumps
from ._glia import load as _load
from ._glia import loads as _loads
from .errors import (FieldError, FileError, ModelError, NotFoundError, NumericalError,
                     NumericalWarning)

__all__ = [
    "Model",
    "Network",
    "load",
    "loads",
    "from_dict",
    "ModelError",
    "FieldError",
    "FileError",
    "NotFoundError",
    "NumericalError",
    "NumericalWarning",
    "errors",
    "mnist",
    "plot",
    "readout",
    "tasks",
    "reservoir",
    "__version__",
]

# `simulation.duration` of a model built without one: far beyond any run, so that inputs
# without `stop` never end; `Network.run` then needs an explicit duration.
_OPEN_DURATION_MS = 1e12

# Tables of a model file that hold a list of entries (`[[populations]]`, ...). Any other
# name given to `Model.add` is accepted too and checked by the model's validation.
_LISTS = ("populations", "projections", "inputs", "monitors")


def load(path: str | os.PathLike, *, params: Mapping[str, float] | None = None,
         duration: float | None = None, seed: int | None = None,
         threads: int | None = None) -> Network:
    """Load a model file (TOML) and build its network.

    ``params`` overrides ``[parameters]`` entries (as ``glia run --param NAME=VALUE``);
    ``duration`` [ms], ``seed`` and ``threads`` override ``[simulation]``.
    Raises :class:`FileError` (cannot read or parse) or :class:`FieldError` (invalid field).
    """
    return _load(os.fspath(path), dict(params) if params else None, duration, seed, threads)


def loads(text: str, *, base_dir: str | os.PathLike | None = None,
          params: Mapping[str, float] | None = None, duration: float | None = None,
          seed: int | None = None, threads: int | None = None) -> Network:
    """Build a network from model-file text (TOML). Relative file paths in the model resolve
    against ``base_dir`` (default: the working directory)."""
    return _loads(text, None if base_dir is None else os.fspath(base_dir),
                  dict(params) if params else None, duration, seed, threads)


def from_dict(model: Mapping[str, Any], *, base_dir: str | os.PathLike | None = None,
              params: Mapping[str, float] | None = None, duration: float | None = None,
              seed: int | None = None, threads: int | None = None) -> Network:
    """Build a network from a dict laid out as a model file
    (``{"simulation": {...}, "populations": [...], ...}``), as ``tomllib.load`` returns it.

    Values may be numbers, strings, bools, lists, dicts and numpy arrays; ``None`` leaves a
    field out. Explicit connectivity (``connect = {"rule": "explicit", "sources": array,
    "targets": array, "weights": ..., "delays": ...}``) may hold arrays instead of file names.
    """
    return Model.from_dict(model).build(base_dir=base_dir, params=params, duration=duration,
                                        seed=seed, threads=threads)


class Model:
    """A model description built in Python, with the vocabulary of the model file.

    Each method adds one entry of the model file's tables; keyword arguments are its fields,
    as documented in ``docs/model-format.md`` (values may be numbers, strings, lists, dicts,
    distributions such as ``{"dist": "uniform", "low": -60, "high": -50}``, expressions such
    as ``"= 4 * order"``, or numpy arrays). Fields added to the model file later work here
    without new code: pass them as keywords, or add a whole entry of any table with
    :meth:`add` and set any plain table with :meth:`set`.

    ``duration=None`` (the default) makes an open-ended model: inputs without ``stop`` never
    end and every :meth:`Network.run` says how long to run.
    """

    def __init__(self, *, dt: float = 0.1, duration: float | None = None, seed: int = 1,
                 threads: int = 1, parameters: Mapping[str, Any] | None = None):
        self._tables: dict[str, Any] = {
            "simulation": {"dt": dt, "duration": duration, "seed": seed, "threads": threads},
        }
        if parameters:
            self._tables["parameters"] = dict(parameters)

    # --- construction -------------------------------------------------------------------

    @classmethod
    def from_dict(cls, model: Mapping[str, Any]) -> "Model":
        """A model from a dict laid out as a model file (a deep copy is kept)."""
        if not isinstance(model, Mapping):
            raise FieldError(f"<model>: must be a dict of tables, got {type(model).__name__}",
                             "<model>", f"must be a dict of tables, got {type(model).__name__}")
        m = cls.__new__(cls)
        m._tables = copy.deepcopy(dict(model))
        return m

    def set(self, table: str, values: Mapping[str, Any]) -> "Model":
        """Set (merge) fields of a plain table, e.g. ``set("simulation", {"seed": 4})`` or
        ``set("parameters", {"order": 500})``."""
        self._tables.setdefault(table, {}).update(values)
        return self

    def add(self, table: str, entry: Mapping[str, Any]) -> "Model":
        """Append ``entry`` to the list table ``table`` (``[[table]]`` in the model file):
        ``populations``, ``projections``, ``inputs``, ``monitors`` or any table added later."""
        self._tables.setdefault(table, []).append(dict(entry))
        return self

    def population(self, name: str, size: int | str, model: str = "lif", *,
                   params: Mapping[str, Any] | None = None,
                   ports: Mapping[str, Mapping[str, Any]] | None = None,
                   initial: Mapping[str, Any] | None = None, **fields: Any) -> str:
        """Add a ``[[populations]]`` entry; returns its name. ``params`` are the neuron
        model's parameters (per-neuron values may be numpy arrays), ``ports`` its receptor
        ports, ``initial`` initial state values."""
        self.add("populations", {"name": name, "size": size, "model": model, "params": params,
                                 "ports": ports, "initial": initial, **fields})
        return name

    def projection(self, source: str, target: str, port: str,
                   connect: Mapping[str, Any] | str, *, weight: Any = None,
                   delay: Any = None, name: str | None = None, **fields: Any) -> str:
        """Add a ``[[projections]]`` entry; returns its name (default ``"source->target"``).
        ``connect`` is a rule table (``{"rule": "fixed_probability", "p": 0.02}``) or a rule
        name without parameters (``"all_to_all"``)."""
        if isinstance(connect, str):
            connect = {"rule": connect}
        self.add("projections", {"name": name, "source": source, "target": target,
                                 "port": port, "connect": dict(connect), "weight": weight,
                                 "delay": delay, **fields})
        if name is None:
            earlier = sum(1 for p in self._tables["projections"][:-1]
                          if p.get("name") is None and p.get("source") == source
                          and p.get("target") == target)
            name = f"{source}->{target}" + (f"#{earlier + 1}" if earlier else "")
        return name

    def input(self, kind: str, target: str, **fields: Any) -> "Model":
        """Add an ``[[inputs]]`` entry of ``kind`` (``poisson``, ``dc``, ``step_current``,
        ``noise``, ...)."""
        return self.add("inputs", {"kind": kind, "target": target, **fields})

    def monitor(self, kind: str, population: str, **fields: Any) -> "Model":
        """Add a ``[[monitors]]`` entry of ``kind`` (``spikes``, ``state``, ``rate``)."""
        return self.add("monitors", {"kind": kind, "population": population, **fields})

    # --- output -------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The model as a dict laid out as a model file (a deep copy; ``None`` fields are
        left out when it is built or written)."""
        return copy.deepcopy(self._tables)

    def to_toml(self) -> str:
        """The model as model-file text (numpy arrays become TOML arrays). An open-ended
        model (no duration) gets the placeholder duration of 1e12 ms."""
        return _dumps(self._complete(self._tables))

    def build(self, *, base_dir: str | os.PathLike | None = None,
              params: Mapping[str, float] | None = None, duration: float | None = None,
              seed: int | None = None, threads: int | None = None) -> Network:
        """Validate the model and build its network (as ``glia.load`` does with a file).

        Relative file paths resolve against ``base_dir`` (default: the working directory);
        ``params``, ``duration``, ``seed`` and ``threads`` override as in :func:`load`.
        Raises :class:`FieldError` naming the field of the first invalid value.
        """
        tables = self._complete(self._tables)
        open_ended = duration is None and self._tables.get("simulation", {}).get(
            "duration") is None
        base = os.fspath(base_dir) if base_dir is not None else os.getcwd()
        with tempfile.TemporaryDirectory(prefix="glia-") as tmp:
            tables = _explicit_arrays_to_files(tables, tmp)
            return _build(tables, base, dict(params) if params else None, duration, seed,
                          threads, open_ended)

    @staticmethod
    def _complete(tables: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(tables)
        sim = dict(out.get("simulation") or {})
        if sim.get("duration") is None:
            sim["duration"] = _OPEN_DURATION_MS
        out["simulation"] = sim
        return out

    def __repr__(self) -> str:
        counts = ", ".join(f"{len(v)} {k}" for k, v in self._tables.items() if isinstance(v, list))
        return f"<glia.Model {counts or 'empty'}>"


def _explicit_arrays_to_files(tables: dict[str, Any], tmp: str) -> dict[str, Any]:
    """Explicit connectivity given as arrays: write them as ``.npy`` files into ``tmp`` and
    put their absolute paths in the model (the model file names files; they are read while
    building, so ``tmp`` may go once the network is built)."""
    projs = tables.get("projections")
    if not isinstance(projs, list):
        return tables
    out = []
    for k, p in enumerate(projs):
        conn = p.get("connect") if isinstance(p, Mapping) else None
        if isinstance(conn, Mapping) and conn.get("rule") == "explicit":
            conn = dict(conn)
            for key in ("sources", "targets", "weights", "delays"):
                value = conn.get(key)
                if value is not None and not isinstance(value, (str, os.PathLike)):
                    path = os.path.join(tmp, f"projection{k}_{key}.npy")
                    arr = np.asarray(value)
                    if arr.dtype.kind not in "iuf":
                        raise FieldError(
                            f"projections[{k}].connect.{key}: must be an array of numbers, "
                            f"got dtype {arr.dtype}", f"projections[{k}].connect.{key}",
                            f"must be an array of numbers, got dtype {arr.dtype}")
                    np.save(path, arr)
                    conn[key] = path
            p = dict(p, connect=conn)
        out.append(p)
    return dict(tables, projections=out)


from . import mnist, plot, readout, reservoir, tasks  # noqa: E402  (submodules that use the names above)
