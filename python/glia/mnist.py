"""MNIST in IDX format (the files of http://yann.lecun.com/exdb/mnist/, gzip-compressed or not).

``load("train")`` reads ``train-images-idx3-ubyte[.gz]`` and ``train-labels-idx1-ubyte[.gz]``
from ``path``, or by default from the directory in ``$GLIA_MNIST`` or the first of
``../shared/data/mnist`` and ``shared/data/mnist`` (relative to the repository or the working
directory) that exists. Images come as ``uint8`` arrays of shape ``(n, 28, 28)``; use
:func:`to_rates` to turn them into Poisson rates for a ``poisson`` population.
"""

from __future__ import annotations

import gzip
import os

import numpy as np

from .errors import FieldError, FileError

_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
# IDX type codes (third byte of the magic number).
_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def default_dir() -> str | None:
    """The MNIST directory used when ``load`` gets no path (``None`` if none exists)."""
    here = os.path.dirname(os.path.abspath(__file__))
    candidates = [os.environ.get("GLIA_MNIST")]
    for base in (os.getcwd(), here, os.path.dirname(here), os.path.dirname(os.path.dirname(here))):
        candidates += [os.path.join(base, "..", "shared", "data", "mnist"),
                       os.path.join(base, "shared", "data", "mnist")]
    for c in candidates:
        if c and os.path.isdir(c):
            return os.path.normpath(c)
    return None


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read one IDX file (``.gz`` or plain) into an array of its dtype and shape."""
    path = os.fspath(path)
    try:
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as e:
        raise FileError(f"{path}: cannot read IDX file: {e}", path,
                        f"cannot read IDX file: {e}") from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _DTYPES:
        raise FileError(f"{path}: not an IDX file (bad magic number)", path,
                        "not an IDX file (bad magic number)")
    dtype, ndim = np.dtype(_DTYPES[data[2]]), data[3]
    header = 4 + 4 * ndim
    shape = tuple(int(x) for x in np.frombuffer(data[4:header], dtype=">u4"))
    n = int(np.prod(shape)) if shape else 1
    if len(shape) != ndim or len(data) - header != n * dtype.itemsize:
        raise FileError(f"{path}: IDX size does not match its header (shape {shape})", path,
                        f"IDX size does not match its header (shape {shape})")
    return np.frombuffer(data, dtype=dtype, offset=header, count=n).reshape(shape).astype(
        dtype.newbyteorder("="))


def _find(directory: str, stem: str) -> str:
    for name in (stem + ".gz", stem):
        p = os.path.join(directory, name)
        if os.path.exists(p):
            return p
    raise FileError(f"{directory}: no {stem}.gz or {stem}", directory,
                    f"no {stem}.gz or {stem}")


def load(split: str = "train", path: str | os.PathLike | None = None,
         limit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(images, labels)`` of the ``"train"`` (60,000) or ``"test"`` (10,000) split:
    ``uint8`` arrays of shape ``(n, 28, 28)`` and ``(n,)``; ``limit`` keeps the first ``limit``."""
    if split not in _FILES:
        raise FieldError(f"split: must be \"train\" or \"test\", got {split!r}", "split",
                         f"must be \"train\" or \"test\", got {split!r}")
    directory = os.fspath(path) if path is not None else default_dir()
    if directory is None:
        raise FileError("mnist: no data directory found (give path= or set GLIA_MNIST)",
                        "mnist", "no data directory found (give path= or set GLIA_MNIST)")
    images = read_idx(_find(directory, _FILES[split][0]))
    labels = read_idx(_find(directory, _FILES[split][1]))
    if len(images) != len(labels):
        raise FileError(f"{directory}: {len(images)} images but {len(labels)} labels",
                        directory, f"{len(images)} images but {len(labels)} labels")
    if limit is not None:
        images, labels = images[:limit], labels[:limit]
    return images, labels


def to_rates(image: np.ndarray, max_rate_hz: float = 100.0) -> np.ndarray:
    """Pixel intensities (0-255) as Poisson rates in [0, ``max_rate_hz``], flattened: the
    argument of ``Network.set_rates`` for a ``poisson`` population of 784 neurons."""
    return np.asarray(image, dtype=np.float64).reshape(-1) * (max_rate_hz / 255.0)


__all__ = ["load", "read_idx", "to_rates", "default_dir"]
