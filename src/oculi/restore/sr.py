"""Super-resolution: one registry of upscalers, :func:`upscale` to run any of them (tiled for
large images).

Upscalers (``upscalers.names()``):

- ``bicubic`` — MATLAB-compatible bicubic (:func:`oculi.restore.imresize`), the SR baseline;
- ``lanczos`` — OpenCV's Lanczos-4 interpolation;
- ``espcn``, ``fsrcnn``, ``fsrcnn-small``, ``lapsrn`` — OpenCV ``dnn_superres`` networks, loaded
  from a ``.pb`` file the caller gives (``model_path``; nothing is downloaded). A model is trained
  for one factor: the factor is read from the file name (``ESPCN_x3.pb`` -> 3) and a different
  ``scale`` is refused; a file name without ``_xN`` takes ``scale`` as given. These networks run
  on 8-bit BGR data inside OpenCV (ESPCN and FSRCNN upscale the luma with the network and the
  chroma with bicubic).
- ``srcnn``, ``fsrcnn``, ``espcn``, ``edsr``, ``srmd`` — networks written in oculi and trained
  with ``oculi train restore``, loaded from the run folder given as ``run``
  (:mod:`oculi.restore.trained`); with ``run`` the method may be left out. ``srmd`` is
  non-blind: it takes the degradation of the input — ``blur`` (Gaussian width) or ``kernel``,
  and ``noise`` (estimated with :func:`oculi.restore.estimate_noise` when None).

    >>> import numpy as np
    >>> from oculi.restore import upscale
    >>> upscale(np.zeros((10, 12, 3), np.uint8), 3).shape
    (30, 36, 3)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from os import PathLike
from pathlib import Path

import numpy as np

from oculi.core.checks import check_path
from oculi.core.errors import ParameterError
from oculi.core.registry import Registry
from oculi.restore._common import join, split, to_uint8
from oculi.restore.resize import imresize
from oculi.restore.tiles import tiled

#: factories ``(scale, model_path) -> fn``; ``fn`` maps float32 [0, 1] HxW / HxWx3 to the
#: upscaled float32 image. Metadata ``scales``: the factors the method supports (None: any).
upscalers: Registry[Callable[..., Callable[[np.ndarray], np.ndarray]]] = Registry("upscaler")

#: whole-image inference up to this many input pixels; above it, tiles of ``_AUTO_TILE``
_AUTO_TILE_PIXELS = 1 << 20
_AUTO_TILE = 512

_MODEL_NAME = re.compile(r"(?P<algo>espcn|fsrcnn-small|fsrcnn|lapsrn|edsr)[_-]?x(?P<scale>\d+)",
                         re.IGNORECASE)


def model_file_info(path: str | PathLike[str]) -> tuple[str | None, int | None]:
    """``(method, scale)`` read from a ``dnn_superres`` file name such as ``FSRCNN-small_x3.pb``
    (``(None, None)`` when the name does not follow that pattern)."""
    match = _MODEL_NAME.search(Path(path).stem.replace("_small", "-small"))
    if not match:
        return None, None
    return match["algo"].lower(), int(match["scale"])


@upscalers.register("bicubic", help="MATLAB-compatible bicubic (imresize), the SR baseline",
                    scales=None)
def _bicubic(scale: int, model_path: str | PathLike[str] | None = None
             ) -> Callable[[np.ndarray], np.ndarray]:
    return lambda image: imresize(image, float(scale))


@upscalers.register("lanczos", help="OpenCV Lanczos-4 interpolation", scales=None)
def _lanczos(scale: int, model_path: str | PathLike[str] | None = None
             ) -> Callable[[np.ndarray], np.ndarray]:
    import cv2

    def run(image: np.ndarray) -> np.ndarray:
        h, w = image.shape[:2]
        return cv2.resize(image, (w * scale, h * scale), interpolation=cv2.INTER_LANCZOS4)

    return run


def _dnn_superres(algo: str, scales: tuple[int, ...]):
    """A factory for one OpenCV ``dnn_superres`` algorithm."""

    def factory(scale: int, model_path: str | PathLike[str] | None = None
                ) -> Callable[[np.ndarray], np.ndarray]:
        import cv2

        if model_path is None:
            raise ParameterError(f"model_path: the {algo} upscaler needs its .pb file (e.g. "
                                 f"{algo.upper()}_x{scale}.pb); nothing is downloaded")
        path = check_path(model_path, "model_path")
        name_algo, name_scale = model_file_info(path)
        if name_algo is not None and name_algo.split("-")[0] != algo.split("-")[0]:
            raise ParameterError(f"{path}: the file name says {name_algo}, method {algo} asked "
                                 f"— use --method {name_algo}")
        if name_scale is not None and name_scale != scale:
            raise ParameterError(f"{path}: this model upscales by {name_scale}, scale {scale} "
                                 f"asked — use the x{scale} model file")
        if scale not in scales:
            raise ParameterError(f"scale: {algo} models exist for x{', x'.join(map(str, scales))}"
                                 f", got {scale}")
        from oculi.core.loadtime import timed_load

        net = cv2.dnn_superres.DnnSuperResImpl_create()
        try:
            with timed_load(str(path)):  # the load time the CLI reports
                net.readModel(str(path))
        except cv2.error as exc:
            raise ParameterError(f"{path}: not a readable dnn_superres model ({exc.msg.strip()})"
                                 ) from exc
        net.setModel(algo.split("-")[0], scale)

        def run(image: np.ndarray) -> np.ndarray:
            rgb = np.repeat(image[..., None], 3, axis=2) if image.ndim == 2 else image
            out = net.upsample(np.ascontiguousarray(to_uint8(rgb)[..., ::-1]))[..., ::-1]
            out = out.astype(np.float32) / np.float32(255.0)
            return out.mean(axis=2) if image.ndim == 2 else out

        return run

    return factory


for _algo, _scales, _help in (
    ("espcn", (2, 3, 4), "OpenCV dnn_superres ESPCN (Shi et al. 2016), .pb by path"),
    ("fsrcnn", (2, 3, 4), "OpenCV dnn_superres FSRCNN (Dong et al. 2016), .pb by path"),
    ("fsrcnn-small", (2, 3, 4), "OpenCV dnn_superres FSRCNN-small, .pb by path"),
    ("lapsrn", (2, 4, 8), "OpenCV dnn_superres LapSRN (Lai et al. 2017), .pb by path"),
):
    upscalers.register(_algo, _dnn_superres(_algo, _scales), help=_help, scales=_scales,
                       needs_model=True)


def _check_scale(scale: object) -> int:
    if isinstance(scale, bool) or not isinstance(scale, int | np.integer) or scale < 1:
        raise ParameterError(f"scale: expected an int >= 1 (2, 3, 4), got {scale!r}")
    return int(scale)


def upscale(image: np.ndarray, scale: int, method: str | None = None,
            model_path: str | PathLike[str] | None = None, *,
            run: str | PathLike[str] | None = None, tile: int | None = None,
            overlap: int = 16, blur: float | None = None, kernel: np.ndarray | None = None,
            noise: float | None = None) -> np.ndarray:
    """Upscale ``image`` by an integer factor.

    Args:
        image: HxW, HxWx3 or HxWx4 (alpha resized with bicubic and reattached); uint8, uint16 or
            float in [0, 1]; at least 4x4 pixels.
        scale: the integer factor (2, 3, 4; the bicubic and Lanczos baselines take any).
        method: an :data:`upscalers` name (None: ``bicubic``, or the network of ``run``).
        model_path: the ``.pb`` file of a ``dnn_superres`` method.
        run: a run folder (or checkpoint) of ``oculi train restore --problem sr``.
        tile: run on overlapping tiles of this many input pixels per side (any method);
            ``None``: the whole image up to 1 megapixel, tiles of 512 above; ``0``: never tile.
        overlap: input pixels shared by neighbouring tiles (cross-faded).
        blur: ``srmd`` runs: the Gaussian blur width of the degradation in HR pixels (0: the
            plain bicubic degradation).
        kernel: ``srmd`` runs: the blur kernel instead, an odd-sided square float array.
        noise: ``srmd`` runs: the noise standard deviation in 8-bit grey levels (None:
            estimated from the image with :func:`oculi.restore.estimate_noise`).

    Returns:
        (H*scale)x(W*scale)(xC), the input's dtype.

    Raises:
        ParameterError: a bad scale, a model file (or run) for another scale or method, a
            missing file; ``srmd`` without ``run`` or without ``blur``/``kernel``; a
            degradation given to another method.
        UnknownNameError: an unknown method. ShapeError: an image under 4x4 pixels.
    """
    scale = _check_scale(scale)
    work, parts = split(image)
    degraded = blur is not None or kernel is not None or noise is not None
    if run is not None:
        from oculi.restore.trained import trained_function

        if degraded and noise is None:
            from oculi.restore.noise import estimate_noise

            noise = estimate_noise(work)
        fn = trained_function(run, scale, method, "sr", blur=blur, kernel=kernel, noise=noise)
    elif method == "srmd" or degraded:
        raise ParameterError("run: srmd is a network trained in oculi (oculi train restore "
                             "--model srmd); give its run folder" if method == "srmd" else
                             f"blur: only an srmd run takes a degradation, not method "
                             f"{method or 'bicubic'}")
    else:
        fn = upscalers.create(method or "bicubic", scale=scale, model_path=model_path)
    if tile is None:
        tile = _AUTO_TILE if work.shape[0] * work.shape[1] > _AUTO_TILE_PIXELS else 0
    out = tiled(fn, work, scale, tile=tile, overlap=overlap) if tile else fn(work)
    alpha = None
    if parts.alpha is not None:
        alpha = imresize(parts.alpha, float(scale))
    return join(out, parts, alpha)
