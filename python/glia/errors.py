"""Exceptions raised by glia.

Every error about a model or an argument is a :class:`ModelError`; its text is the one the
``glia`` command line prints (``populations[0].params.tau_m: must be > 0, got -5``), and its
:attr:`~ModelError.path` and :attr:`~ModelError.detail` attributes hold the two halves.

* :class:`FieldError` (also a :class:`ValueError`): a field of the model, or an argument, has an
  impossible value;
* :class:`FileError` (also an :class:`OSError`): a model or data file cannot be read or parsed;
* :class:`NotFoundError` (also a :class:`LookupError`): no population, projection, state
  variable or monitor of that name;
* :class:`NumericalError` (also an :class:`ArithmeticError`): a run produced a NaN or infinity
  (``Network.run(on_nan="error")``, the command line's ``--on-nan=error``), or a readout's
  linear algebra failed (a matrix that is not positive definite).

``Network.run(on_nan="warn")`` issues a :class:`NumericalWarning` (a :class:`RuntimeWarning`)
instead of raising.
"""

from __future__ import annotations


class ModelError(Exception):
    """Base class of glia's errors about models and arguments.

    ``str(err)`` is the message the command line prints; ``err.path`` names the field
    (``populations[0].params.tau_m``) or the file, ``err.detail`` says what is wrong.
    """

    def __init__(self, text: str, path: str | None = None, detail: str | None = None):
        super().__init__(text)
        self.path = path
        self.detail = detail if detail is not None else text

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class FieldError(ModelError, ValueError):
    """A field of the model (or an argument) has an impossible value."""


class FileError(ModelError, OSError):
    """A model or data file cannot be read or parsed."""


class NotFoundError(ModelError, LookupError):
    """No population, projection, state variable or monitor has that name."""


class NumericalError(ModelError, ArithmeticError):
    """A state variable became NaN or infinite during a run, or a numerical method failed.

    For a non-finite state (``Network.run``) the message is the command line's
    (``non-finite state: population "exc", neuron 3, variable v = NaN at step 10 (t = 1 ms)``)
    and the fault's fields are attributes: ``population``, ``neuron`` (index in the
    population), ``variable``, ``value``, ``step`` (steps simulated when it was found: the
    state was finite after step ``last_ok`` and is not after ``step``) and ``t_ms``
    (``step * dt``). ``path`` is ``"POPULATION.VARIABLE"``. For a failed numerical method these
    attributes are ``None``.
    """

    def __init__(self, text: str, path: str | None = None, detail: str | None = None, *,
                 population: str | None = None, neuron: int | None = None,
                 variable: str | None = None, value: float | None = None,
                 step: int | None = None, last_ok: int | None = None,
                 t_ms: float | None = None):
        super().__init__(text, path, detail)
        self.population = population
        self.neuron = neuron
        self.variable = variable
        self.value = value
        self.step = step
        self.last_ok = last_ok
        self.t_ms = t_ms


class NumericalWarning(RuntimeWarning):
    """A run with ``on_nan="warn"`` found a NaN or infinity (reported once; the run goes on)."""


__all__ = ["ModelError", "FieldError", "FileError", "NotFoundError", "NumericalError",
           "NumericalWarning"]
