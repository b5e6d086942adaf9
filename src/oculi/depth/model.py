"""A loaded depth network (:class:`DepthModel`), the loader registry and :func:`predict_depth`.

A depth model is a user-supplied file, never a download: an ONNX graph run by onnxruntime, or a
state dict of oculi's :class:`~oculi.depth.network.DepthNet` (``.safetensors``, ``.pt``,
``.pth``). :func:`load_depth_model` picks the loader from ``kind`` (``depth_loaders.names()``)
or from the file suffix.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from oculi.core.checks import check_image
from oculi.core.convert import ensure_float01, to_rgb
from oculi.core.errors import DataError, ParameterError, ShapeError
from oculi.core.registry import Registry

#: network input (height, width) when neither the file nor the caller says (MiDaS v2.1 small)
MIDAS_SMALL_SIZE = (256, 256)
#: what a network's output channel holds
OUTPUTS = ("inverse", "depth")

#: depth-model loaders by file kind: ``onnx``, ``state-dict``
depth_loaders = Registry[Callable[..., "DepthModel"]]("depth model kind")

_SUFFIX_KIND = {".onnx": "onnx", ".safetensors": "state-dict", ".pt": "state-dict",
                ".pth": "state-dict"}


@dataclass(frozen=True)
class DepthModel:
    """A depth network ready to run, with its input contract.

    Attributes:
        path: the file it was loaded from.
        kind: the loader that read it (``onnx`` or ``state-dict``).
        size: network input (height, width) in pixels; images are resized to it and the output
            back to the image size.
        mean, std: RGB normalisation of the [0, 1] input (applied before an ONNX graph; a
            ``DepthNet`` applies its own inside).
        output: what the network predicts: ``"inverse"`` (relative inverse depth, MiDaS) or
            ``"depth"`` (relative depth); the ``space`` to align it in.
        run: ``(N, 3, h, w)`` float32 batch in [0, 1] at ``size`` -> ``(N, 1, h, w)`` or
            ``(N, h, w)`` float32 output.
        module: the torch module for ``state-dict`` models, None for ONNX.
    """

    path: Path
    kind: str
    size: tuple[int, int]
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    output: str
    run: Callable[[np.ndarray], np.ndarray]
    module: Any = None


def check_output(output: str) -> str:
    """Raise :class:`ParameterError` unless ``output`` is ``inverse`` or ``depth``."""
    if output not in OUTPUTS:
        raise ParameterError(f"output: expected one of {', '.join(OUTPUTS)}, got {output!r}")
    return output


def check_size(size: Any, name: str = "size") -> tuple[int, int]:
    """``(height, width)`` as two ints >= 8; an int means a square."""
    hw = (size, size) if isinstance(size, int) else tuple(size)
    if len(hw) != 2 or any(not isinstance(v, (int, np.integer)) or v < 8 for v in hw):
        raise ParameterError(f"{name}: expected (height, width) of at least 8 pixels, got {size}")
    return int(hw[0]), int(hw[1])


def check_mean_std(mean: Any, std: Any) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Three means and three positive standard deviations, as float tuples."""
    m, s = tuple(float(v) for v in mean), tuple(float(v) for v in std)
    if len(m) != 3 or len(s) != 3 or min(s) <= 0:
        raise ParameterError(f"mean, std: expected 3 values each (std > 0), got {m} and {s}")
    return m, s


def load_depth_model(path: str | os.PathLike[str], kind: str | None = None,
                     **options: Any) -> DepthModel:
    """Load a depth network from a file.

    Args:
        path: an ``.onnx`` graph or a ``DepthNet`` state dict (``.safetensors``, ``.pt``).
        kind: a name of ``depth_loaders`` (``onnx``, ``state-dict``); None: from the suffix.
        **options: the loader's keywords (see :func:`oculi.depth.load_onnx_model`,
            :func:`oculi.depth.load_state_dict_model`).

    Raises:
        DataError: a missing or unreadable file, or weights of another architecture.
        ParameterError: no ``kind`` and an unknown suffix.
        UnknownNameError: an unknown ``kind``.
    """
    p = Path(path)
    if not p.is_file():
        raise DataError(f"{p}: no such model file")
    if kind is None:
        kind = _SUFFIX_KIND.get(p.suffix.lower())
        if kind is None:
            raise ParameterError(f"{p}: cannot tell the model kind from the suffix "
                                 f"{p.suffix!r} — pass kind= ({', '.join(depth_loaders.names())})")
    from oculi.core.loadtime import timed_load

    with timed_load(f"{kind} depth model {p}"):  # the load time the CLI reports
        return depth_loaders.create(kind, path=p, **options)


def _prepare(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """HxW(xC) image -> (1, 3, h, w) float32 in [0, 1] at ``size`` (bicubic, as MiDaS)."""
    import cv2

    rgb = ensure_float01(to_rgb(image))
    small = cv2.resize(rgb, (size[1], size[0]), interpolation=cv2.INTER_CUBIC)
    return np.ascontiguousarray(np.clip(small, 0.0, 1.0).transpose(2, 0, 1)[None],
                                dtype=np.float32)


def predict_depth(model: DepthModel, image: np.ndarray) -> np.ndarray:
    """Run ``model`` on one image; the prediction at the image's resolution.

    Args:
        model: from :func:`load_depth_model`.
        image: HxWx3 RGB (or HxW gray, or RGBA), uint8/uint16 or float in [0, 1], no NaN.

    Returns:
        HxW float32: relative inverse depth (larger = nearer) for ``model.output == "inverse"``,
        relative depth for ``"depth"``; unknown scale and shift (see
        :func:`oculi.depth.align_scale_shift`).

    Raises:
        ShapeError: not an image of 1, 3 or 4 channels, or a network output not one map.
        ValueRangeError: NaN/inf or out-of-range float values.
    """
    import cv2

    check_image(image, "image", channels=(1, 3, 4), finite=True, min_size=2)
    out = np.asarray(model.run(_prepare(image, model.size)), dtype=np.float32)
    out = out.reshape(out.shape[-2:]) if out.size == np.prod(out.shape[-2:]) else out
    if out.ndim != 2:
        raise ShapeError(f"{model.path}: expected one output map per image, got shape "
                         f"{out.shape}")
    h, w = image.shape[:2]
    return cv2.resize(out, (w, h), interpolation=cv2.INTER_CUBIC).astype(np.float32)

