"""Exceptions raised by glia.

Every error about a model or an argument is a :class:`ModelError`; its text is the one the
``glia`` command line prints (``populations[0].params.tau_m: must be > 0, got -5``), and its
:attr:`~ModelError.path` and :attr:`~ModelError.detail` attributes hold the two halves.

* :class:`FieldError` (also a :class:`ValueError`): a field of the model, or an argument, has an
  impossible value;
* :class:`FileError` (also an :class:`OSError`): a model or data file cannot be read or parsed;
* :class:`NotFoundError` (also a :class:`LookupError`): no population, projection, state
  variable or monitor of that name.
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


__all__ = ["ModelError", "FieldError", "FileError", "NotFoundError"]
