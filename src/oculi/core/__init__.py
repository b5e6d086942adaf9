"""Core: errors, the registry, input checks and array conversions shared by every topic."""

from oculi.core.checks import (
    check_choice,
    check_image,
    check_positive,
    check_same_size,
    check_tensor_images,
)
from oculi.core.convert import (
    ensure_float01,
    ensure_uint8,
    to_gray,
    to_rgb,
)
from oculi.core.errors import (
    DataError,
    ImageReadError,
    ImageWriteError,
    MissingDependencyError,
    OculiError,
    ShapeError,
    UnknownNameError,
    ValueRangeError,
)
from oculi.core.registry import Registry

__all__ = [
    "DataError",
    "ImageReadError",
    "ImageWriteError",
    "MissingDependencyError",
    "OculiError",
    "Registry",
    "ShapeError",
    "UnknownNameError",
    "ValueRangeError",
    "check_choice",
    "check_image",
    "check_positive",
    "check_same_size",
    "check_tensor_images",
    "ensure_float01",
    "ensure_uint8",
    "to_gray",
    "to_rgb",
]
