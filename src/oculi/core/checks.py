"""Small validation helpers. Use them instead of ``assert``: they raise oculi errors whose message
names the argument, what was expected, what was received and the fix.

    >>> import numpy as np
    >>> from oculi.core.checks import check_image
    >>> check_image(np.zeros((4, 5, 3), np.uint8)).shape
    (4, 5, 3)
    >>> try:
    ...     check_image(np.zeros((4, 5, 3), np.float32) + 255, name="frame")
    ... except ValueError as e:
    ...     print(e)
    frame: expected uint8 or float in [0, 1], got float32 with max 255.0 — divide by 255
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from numbers import Real
from pathlib import Path
from typing import Any

import numpy as np

from oculi.core.errors import DTypeError, ParameterError, ShapeError, ValueRangeError

_FLOAT_TOL = 1e-3  # allowance above 1.0 for interpolation overshoot


def check_image(
    image: Any,
    name: str = "image",
    *,
    channels: Iterable[int] | None = None,
    dtypes: Iterable[str] = ("uint8", "uint16", "float32", "float64"),
    min_size: int = 1,
    check_range: bool = True,
    finite: bool = False,
) -> np.ndarray:
    """Validate an image at an API edge and return it as an ``ndarray``.

    Args:
        image: HW (grayscale) or HWC array.
        name: the argument name used in messages.
        channels: allowed channel counts; ``1`` admits HW (and HW1) images. ``None``: 1, 3 or 4.
        dtypes: allowed dtype names.
        min_size: minimum height and width in pixels (0 admits empty images).
        check_range: for float images, reject values outside ``[0, 1]`` (the house convention).
        finite: for float images, reject NaN and infinite values (one ``np.isfinite`` pass).

    Returns:
        The same array (no copy).

    Raises:
        ShapeError: wrong number of dimensions, channels or a size below ``min_size``.
        DTypeError: a dtype not in ``dtypes``.
        ValueRangeError: a float image outside ``[0, 1]``, or with NaN/inf when ``finite``.
    """
    if not isinstance(image, np.ndarray):
        hint = " — read files with oculi.io.read_image first" if isinstance(
            image, str | bytes | os.PathLike) else ""
        raise DTypeError(f"{name}: expected a numpy array, got {_kind(image)}{hint}")
    allowed_ch = tuple(channels) if channels is not None else (1, 3, 4)
    if image.ndim == 2:
        ch = 1
    elif image.ndim == 3:
        ch = image.shape[2]
    else:
        raise ShapeError(
            f"{name}: expected an HxW or HxWxC array, got {image.ndim} dimensions {image.shape}"
        )
    if ch not in allowed_ch:
        raise ShapeError(
            f"{name}: expected {' or '.join(map(str, allowed_ch))} channel(s), got {ch} "
            f"(shape {image.shape})"
        )
    if image.dtype.name not in tuple(dtypes):
        raise DTypeError(f"{name}: expected dtype {' or '.join(dtypes)}, got {image.dtype.name}")
    h, w = image.shape[:2]
    if h < min_size or w < min_size:
        raise ShapeError(f"{name}: expected at least {min_size}x{min_size} pixels, got {h}x{w}")
    if finite and image.dtype.kind == "f" and not np.isfinite(image).all():
        bad = int(np.count_nonzero(~np.isfinite(image)))
        raise ValueRangeError(
            f"{name}: {bad} NaN or infinite value(s) in a {image.dtype.name} image — "
            "replace them (e.g. numpy.nan_to_num) before passing it"
        )
    if check_range and image.dtype.kind == "f" and image.size:
        lo, hi = float(np.nanmin(image)), float(np.nanmax(image))
        if hi > 1.0 + _FLOAT_TOL or lo < -_FLOAT_TOL:
            fix = " — divide by 255" if hi > 1.0 + _FLOAT_TOL and hi <= 255.5 else ""
            raise ValueRangeError(
                f"{name}: expected uint8 or float in [0, 1], got {image.dtype.name} "
                f"with {'max ' + str(hi) if hi > 1 + _FLOAT_TOL else 'min ' + str(lo)}{fix}"
            )
    return image


def check_same_size(
    a: np.ndarray, b: np.ndarray, names: tuple[str, str] = ("image1", "image2")
) -> None:
    """Raise :class:`ShapeError` unless ``a`` and ``b`` have the same height, width and channels."""
    if a.shape[:2] != b.shape[:2]:
        raise ShapeError(
            f"{names[0]} and {names[1]}: expected the same size, got "
            f"{a.shape[0]}x{a.shape[1]} and {b.shape[0]}x{b.shape[1]} — resize one of them"
        )
    ca = 1 if a.ndim == 2 else a.shape[2]
    cb = 1 if b.ndim == 2 else b.shape[2]
    if ca != cb:
        raise ShapeError(
            f"{names[0]} and {names[1]}: expected the same channel count, got {ca} and {cb} "
            "— convert both to gray or both to RGB"
        )


def _kind(value: Any) -> str:
    return "None" if value is None else type(value).__name__


def check_number(value: Any, name: str) -> float:
    """Raise :class:`ParameterError` unless ``value`` is a real number (a Python or numpy scalar,
    or a one-element array); return it unchanged. Every numeric check here starts with it, so
    ``None``, strings, bytes and lists are refused by name rather than by a ``TypeError``.

    >>> try:
    ...     check_number(None, "max_size")
    ... except ValueError as e:
    ...     print(e)
    max_size: expected a number, got None
    """
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "biuf":
        return value
    if not isinstance(value, Real | np.number) or isinstance(value, np.timedelta64):
        raise ParameterError(f"{name}: expected a number, got {_kind(value)}"
                             + (f" {value!r}" if isinstance(value, str | bytes) else ""))
    return value


def check_size(value: Any, name: str, *, allow_none: bool = True) -> int | None:
    """A size in pixels (or any count): a finite whole number >= 1, returned as ``int``
    (``None`` passes through when ``allow_none``).

    >>> check_size(512.0, "max_size")
    512
    >>> try:
    ...     check_size(float("nan"), "max_size")
    ... except ValueError as e:
    ...     print(e)
    max_size: expected a whole number >= 1, got nan
    """
    if value is None and allow_none:
        return None
    check_number(value, name)
    v = float(value)
    if not np.isfinite(v) or v < 1 or v != int(v):
        raise ParameterError(f"{name}: expected a whole number >= 1, got {value!r}")
    return int(v)


def check_path(value: Any, name: str = "path") -> Path:
    """A file path (``str`` or ``os.PathLike``) as a :class:`~pathlib.Path`.

    Raises:
        DTypeError: anything else (``None``, bytes, a list of paths, an array), with the fix.

    >>> try:
    ...     check_path(["a.png", "b.png"])
    ... except TypeError as e:
    ...     print(e)
    path: expected a file path (str or os.PathLike), got list — one path at a time
    """
    if isinstance(value, str | os.PathLike) and not isinstance(value, bytes):
        path = Path(value)
        if str(value) == "":
            raise DTypeError(f"{name}: expected a file path, got an empty string")
        return path
    fix = {bytes: " — for encoded image data use oculi.io.decode_image",
           list: " — one path at a time", tuple: " — one path at a time",
           np.ndarray: " — an image array is not a path"}.get(type(value), "")
    raise DTypeError(f"{name}: expected a file path (str or os.PathLike), got {_kind(value)}"
                     f"{fix}")


def check_paths(paths: Any, name: str = "paths") -> list[Path]:
    """The input files of a batch function: a list or tuple of paths (one path alone is taken
    as a list of one, not as the characters of a string), each checked by :func:`check_path`.

    >>> check_paths("a.png")
    [PosixPath('a.png')]
    """
    if isinstance(paths, str | os.PathLike) and not isinstance(paths, bytes):
        return [check_path(paths, name)]
    if not isinstance(paths, list | tuple):
        raise DTypeError(f"{name}: expected a list of file paths, got {_kind(paths)}")
    return [check_path(p, f"{name}[{i}]") for i, p in enumerate(paths)]


def check_images(images: Any, name: str = "images", **image_checks: Any) -> list[np.ndarray]:
    """A batch of images at an API edge: a list or tuple of arrays (one HxW or HxWxC array, or
    an NxHxWxC stack, is accepted too), each passed through :func:`check_image` with
    ``image_checks``.

    Returns:
        The images as a list.

    Raises:
        DTypeError: ``None``, a path or string, bytes, or an element that is not an array
            (named ``images[i]``).
        ShapeError: an element with the wrong dimensions.
    """
    if isinstance(images, np.ndarray):
        images = list(images) if images.ndim == 4 else [images]
    elif not isinstance(images, list | tuple):
        hint = " — read files with oculi.io.read_image first" if isinstance(
            images, str | bytes | os.PathLike) else ""
        raise DTypeError(f"{name}: expected a list of image arrays, got {_kind(images)}{hint}")
    return [check_image(im, f"{name}[{i}]", **image_checks) for i, im in enumerate(images)]


def check_positive(value: float, name: str, *, allow_zero: bool = False) -> float:
    """Raise :class:`ParameterError` unless ``value`` is > 0 (or >= 0 with ``allow_zero``)."""
    check_number(value, name)
    ok = value >= 0 if allow_zero else value > 0
    if not ok or value != value:  # NaN check
        bound = ">= 0" if allow_zero else "> 0"
        raise ParameterError(f"{name}: expected a number {bound}, got {value!r}")
    return value


def check_finite(value: float, name: str) -> float:
    """Raise :class:`ParameterError` unless ``value`` is a finite number (not NaN or +-inf).

    >>> check_finite(0.5, "threshold")
    0.5
    >>> try:
    ...     check_finite(float("nan"), "threshold")
    ... except ValueError as e:
    ...     print(e)
    threshold: expected a finite number, got nan
    """
    if not np.isfinite(check_number(value, name)):
        raise ParameterError(f"{name}: expected a finite number, got {value!r}")
    return value


def check_in_range(value: float, name: str, low: float, high: float) -> float:
    """Raise :class:`ParameterError` unless ``low <= value <= high`` (NaN is outside).

    >>> check_in_range(95, "quality", 1, 100)
    95
    >>> try:
    ...     check_in_range(0, "quality", 1, 100)
    ... except ValueError as e:
    ...     print(e)
    quality: expected a number in [1, 100], got 0
    """
    if not low <= check_number(value, name) <= high:
        raise ParameterError(f"{name}: expected a number in [{low}, {high}], got {value!r}")
    return value


def check_choice(value: str, choices: Iterable[str], name: str) -> str:
    """Raise :class:`ParameterError` unless ``value`` is one of ``choices``."""
    options = tuple(choices)
    if value not in options:
        raise ParameterError(f"{name}: expected one of {', '.join(options)}, got {value!r}")
    return value


def check_tensor_images(x: Any, name: str = "images", *, channels: int | None = None) -> Any:
    """Validate an NCHW float tensor batch (deep-learning edge) and return it.

    Raises:
        ShapeError: not 4-D, or the wrong channel count.
        DTypeError: not a floating-point tensor.
    """
    import torch

    if not isinstance(x, torch.Tensor):
        raise DTypeError(f"{name}: expected a torch.Tensor, got {type(x).__name__}")
    if x.ndim != 4:
        raise ShapeError(f"{name}: expected an NxCxHxW tensor, got shape {tuple(x.shape)}")
    if not x.is_floating_point():
        raise DTypeError(f"{name}: expected a float tensor in [0, 1], got {x.dtype}")
    if channels is not None and x.shape[1] != channels:
        raise ShapeError(
            f"{name}: the model expects {channels} channel(s), got {x.shape[1]} "
            f"(shape {tuple(x.shape)})" + (" — convert gray to RGB" if channels == 3 else "")
        )
    return x


def check_known_keys(data: dict[str, Any], known: Iterable[str], what: str) -> None:
    """Raise :class:`ParameterError` naming ``what`` when ``data`` has keys outside ``known``.

    >>> check_known_keys({"size": 3}, {"size"}, "options")
    >>> check_known_keys({"sise": 3}, {"size"}, "options")
    Traceback (most recent call last):
    ...
    oculi.core.errors.ParameterError: options: unknown key(s) ['sise']; valid keys: ['size']
    """
    known = set(known)
    unknown = sorted(set(data) - known)
    if unknown:
        raise ParameterError(f"{what}: unknown key(s) {unknown}; valid keys: {sorted(known)}")
