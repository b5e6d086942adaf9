"""The oculi exception hierarchy.

Every error oculi raises on purpose derives from :class:`OculiError`, and also from the builtin a
caller would expect (``ImageReadError`` is an ``OSError``, ``ShapeError`` a ``ValueError``, ...), so
``except ValueError`` keeps working. Messages name the argument or file, what was expected, what was
received and, where there is one, the fix. The CLI prints ``str(error)`` on one line and exits 2.
"""

from __future__ import annotations


class OculiError(Exception):
    """Root of every error oculi raises on purpose."""


class ImageReadError(OculiError, OSError):
    """A file could not be read as an image (missing, empty, truncated, corrupt, unknown format)."""


class ImageWriteError(OculiError, OSError):
    """An output could not be written."""


class ShapeError(OculiError, ValueError):
    """An array or tensor has the wrong number of dimensions, channels or size."""


class DTypeError(OculiError, TypeError):
    """An array has a dtype the function does not accept."""


class ValueRangeError(OculiError, ValueError):
    """A value lies outside its documented range (e.g. a float image in [0, 255])."""


class ParameterError(OculiError, ValueError):
    """A parameter has an invalid value (negative size, unknown choice, ...)."""


class UnknownNameError(OculiError, KeyError):
    """A name is not in a registry; the message lists close matches."""

    def __str__(self) -> str:  # KeyError quotes its argument; keep the message readable
        return str(self.args[0]) if self.args else ""


class MissingDependencyError(OculiError, ImportError):
    """An optional dependency or program is missing; the message says how to install it."""


class DataError(OculiError, ValueError):
    """A dataset or data file is malformed or empty (no images, one class, bad annotation, ...)."""


class NoMatchError(OculiError, RuntimeError):
    """A geometric estimate failed: too few correspondences, images that do not overlap."""


__all__ = [
    "DTypeError",
    "DataError",
    "ImageReadError",
    "ImageWriteError",
    "MissingDependencyError",
    "NoMatchError",
    "OculiError",
    "ParameterError",
    "ShapeError",
    "UnknownNameError",
    "ValueRangeError",
]
