"""Type stubs of the native module ``glia._glia`` (crates/glia-py)."""

from __future__ import annotations

import os
import pathlib
from typing import Any, Callable, Literal, Mapping, Optional, Sequence, Union

import numpy as np
import numpy.typing as npt

__version__: str

_Path = Union[str, os.PathLike[str]]

def load(path: _Path, params: Optional[Mapping[str, float]] = None,
         duration: Optional[float] = None, seed: Optional[int] = None,
         threads: Optional[int] = None) -> Network: ...
def loads(text: str, base_dir: Optional[_Path] = None, params: Optional[Mapping[str, float]] = None,
          duration: Optional[float] = None, seed: Optional[int] = None,
          threads: Optional[int] = None) -> Network: ...
def build(model: Mapping[str, Any], base_dir: Optional[_Path] = None,
          params: Optional[Mapping[str, float]] = None, duration: Optional[float] = None,
          seed: Optional[int] = None, threads: Optional[int] = None,
          open_ended: bool = False) -> Network: ...
def dumps(model: Mapping[str, Any]) -> str: ...

class Network:
    """A built network: run it, read and change its state, weights and recordings."""

    @property
    def t(self) -> float:
        """Simulated time so far [ms]."""
    @property
    def step(self) -> int:
        """Steps simulated so far."""
    @property
    def dt(self) -> float:
        """Time step [ms]."""
    @property
    def seed(self) -> int: ...
    @property
    def threads(self) -> int: ...
    @property
    def duration(self) -> Optional[float]:
        """``simulation.duration`` [ms]; ``None`` for an open-ended model."""
    @property
    def parameters(self) -> dict[str, float]: ...
    @property
    def populations(self) -> list[str]: ...
    @property
    def projections(self) -> list[str]: ...
    @property
    def state_monitors(self) -> list[str]: ...
    @property
    def synapses(self) -> int: ...
    def run(self, duration_ms: Optional[float] = None,
            progress: Optional[Callable[[int, int], Optional[bool]]] = None,
            on_nan: Literal["error", "warn", "off"] = "error") -> dict[str, Any]:
        """Simulate ``duration_ms`` more ms (default: to the end of ``simulation.duration``),
        continuing from the current state; the GIL is released and Ctrl-C stops the run.

        The state is checked for NaN/infinity every 20 steps and after the last one:
        ``on_nan="error"`` raises ``glia.NumericalError`` (population, neuron, variable,
        step), ``"warn"`` issues one ``glia.NumericalWarning`` per network and runs on, ``"off"``
        does not check. Returns ``{"steps", "wall_s", "events", "complete", "t_ms", "fault"}``."""
    def size(self, pop: str) -> int: ...
    def model(self, pop: str) -> str: ...
    def variables(self, pop: str) -> list[str]: ...
    def ports(self, pop: str) -> list[str]: ...
    def state(self, pop: str, var: str) -> npt.NDArray[np.float64]: ...
    def set_state(self, pop: str, var: str, values: npt.ArrayLike) -> None: ...
    def weights(self, proj: str) -> npt.NDArray[np.float32]: ...
    def set_weights(self, proj: str, values: npt.ArrayLike) -> None: ...
    def connectivity(self, proj: str) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.uint32],
                                               npt.NDArray[np.float64]]: ...
    def set_rates(self, pop: str, rates: npt.ArrayLike) -> None: ...
    def spikes(self, pop: str) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.uint32]]: ...
    def rates(self, pop: str) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...
    def recorded(self, name: str) -> dict[str, npt.NDArray[Any]]: ...
    def clear_recordings(self) -> None: ...
    def summary(self) -> dict[str, dict[str, Any]]: ...
    def write(self, out_dir: _Path) -> list[pathlib.Path]: ...

# --- reservoir computing (crates/glia-py/src/reservoir.rs; see glia.readout, glia.tasks,
# glia.reservoir) ---

_Array = npt.ArrayLike
_F64 = npt.NDArray[np.float64]

class Ridge:
    """Ridge regression readout: ``min ‖Y − XW − 1bᵀ‖² + α‖W‖²`` (intercept not penalised)."""

    alpha: float
    fit_intercept: bool
    def __init__(self, alpha: float = 1e-6, fit_intercept: bool = True) -> None: ...
    def fit(self, x: _Array, y: _Array) -> Ridge:
        """Fit to ``X`` (``T × F``) and ``Y`` (``T × K`` or ``T``); returns ``self``."""
    def predict(self, x: _Array) -> _F64:
        """``XW + b``: ``T × K``, or ``T`` when fitted to a 1-D ``Y``."""
    @property
    def coef_(self) -> _F64:
        """``W``: ``F × K``, or ``F`` when fitted to a 1-D ``Y``."""
    @property
    def intercept_(self) -> Union[_F64, float]:
        """``b``: one per output (a float when fitted to a 1-D ``Y``)."""

def ridge_cv(x: _Array, y: _Array, alphas: _Array, folds: int = 5) -> tuple[float, _F64]:
    """``(best_alpha, mean validation MSE per alpha)`` of k-fold cross-validation."""

class Softmax:
    """Multinomial logistic regression with L2 penalty ``l2/2 ‖W‖²``."""

    l2: float
    solver: str
    def __init__(self, l2: float = 1e-4, solver: Literal["full", "minibatch"] = "full",
                 tol: float = 1e-6, max_iter: int = 2000, batch: int = 32, epochs: int = 100,
                 lr: float = 0.5, seed: int = 0) -> None: ...
    def fit(self, x: _Array, y: _Array, classes: Optional[int] = None) -> Softmax:
        """Fit to ``X`` (``T × F``) and integer labels ``y``; returns ``self``."""
    def decision_function(self, x: _Array) -> _F64:
        """Class scores ``XW + b``, ``T × C``."""
    def predict(self, x: _Array) -> npt.NDArray[np.int64]:
        """Predicted classes (arg-max of the scores)."""
    def predict_proba(self, x: _Array) -> _F64:
        """Class probabilities, ``T × C``."""
    def loss(self, x: _Array, y: _Array) -> float:
        """Mean cross-entropy plus ``l2/2 ‖W‖²``."""
    @property
    def coef_(self) -> _F64: ...
    @property
    def intercept_(self) -> _F64: ...
    @property
    def n_iter_(self) -> int: ...
    @property
    def n_classes_(self) -> int: ...

class RLS:
    """Recursive least squares (no intercept; append a constant feature for one)."""

    def __init__(self, features: int, outputs: int = 1, delta: float = 1.0,
                 forget: float = 1.0) -> None: ...
    def update(self, x: _Array, y: Union[_Array, float]) -> _F64:
        """One update; returns the error before it, ``y − Wᵀx``."""
    def fit(self, x: _Array, y: _Array) -> RLS:
        """Update with every row of ``X`` and ``Y`` in order; returns ``self``."""
    def predict(self, x: _Array) -> _F64:
        """``Wᵀx`` for each row of ``X`` (``T × K``) or one vector (``K``)."""
    @property
    def coef_(self) -> _F64: ...
    @property
    def P(self) -> _F64: ...
    @property
    def forget(self) -> float: ...

def uniform(n: int, low: float = -1.0, high: float = 1.0, seed: int = 1,
            stream: int = 0) -> _F64: ...
def narma10_target(u: _Array) -> _F64: ...
def mackey_glass(n: int, tau: float = 17.0, beta: float = 0.2, gamma: float = 0.1,
                 p: float = 10.0, x0: float = 1.2, h: float = 0.1, sample: float = 1.0,
                 transient: int = 0) -> _F64: ...
def patterns(count: int, classes: int = 2, length: int = 10, noise: float = 0.0,
             seed: int = 1) -> tuple[_F64, npt.NDArray[np.int64]]: ...
def nrmse(y: _Array, yhat: _Array) -> float: ...
def r2(y: _Array, yhat: _Array) -> float: ...
def valid_steps(y: _Array, yhat: _Array, threshold: float = 0.4) -> int: ...
def run_experiment(path: Optional[_Path] = None, text: Optional[str] = None,
                   base_dir: Optional[_Path] = None, params: Optional[Mapping[str, float]] = None,
                   duration: Optional[float] = None, seed: Optional[int] = None,
                   threads: Optional[int] = None,
                   out_dir: Optional[_Path] = None) -> tuple[str, Network]: ...

class Reservoir:
    """A network driven as a reservoir: input series in, collected states out."""

    def __init__(self, network: Network, input: Union[str, Sequence[str]],
                 features: Union[str, Sequence[str], None] = None,
                 variable: Optional[str] = None, port: Optional[str] = None, dim: int = 1,
                 input_scaling: float = 1.0, input_connectivity: float = 1.0,
                 input_weights: Literal["uniform", "bernoulli"] = "uniform",
                 weights: Optional[_Array] = None, seed: Optional[int] = None) -> None: ...
    @staticmethod
    def from_experiment(path: Optional[_Path] = None, text: Optional[str] = None,
                        base_dir: Optional[_Path] = None,
                        params: Optional[Mapping[str, float]] = None, seed: Optional[int] = None,
                        threads: Optional[int] = None) -> Reservoir: ...
    def run(self, u: _Array, washout: int = 0) -> _F64:
        """Feed ``u`` (``T`` or ``T × dim``); returns the states after the first ``washout``
        steps, ``(T − washout) × F``."""
    def step(self, u: Union[_Array, float]) -> _F64:
        """Feed one sample; returns the state after the step, ``F``."""
    @property
    def network(self) -> Network: ...
    @property
    def n_features(self) -> int: ...
    @property
    def dim(self) -> int: ...
    @property
    def input_weights(self) -> _F64:
        """``N × dim`` input weights."""
