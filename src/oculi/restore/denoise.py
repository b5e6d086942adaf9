"""Denoising of additive white Gaussian noise: one registry of denoisers and :func:`denoise`.

``sigma`` is the noise's standard deviation in 8-bit grey levels (0..255) for every dtype (a
float image with noise std 0.1 has sigma 25.5); ``sigma=None`` estimates it with
:func:`oculi.restore.estimate_noise` (wavelet MAD).

Denoisers (``denoisers.names()``):

- ``nlm`` — OpenCV's non-local means (Buades et al. 2005): ``fastNlMeansDenoising`` on gray,
  ``fastNlMeansDenoisingColored`` (filtering in L*a*b*) on colour, on 8-bit data. Its filter
  strength ``h`` (in grey levels) follows the rule ``h = 0.9 sigma`` for gray and
  ``h = hColor = 0.6 sigma`` for colour up to ``sigma = 30``, ``0.8 sigma`` and ``0.5 sigma``
  above, with a 7x7 template and a 21x21 search window. The coefficients are the best of a
  0.5..1.0 sweep (and 9x9 templates, never better) on four 192x192 Kodak crops at sigma
  15, 25 and 50; ``bench/restore.py`` reports the PSNR they give on all twelve.
- ``bm3d`` — BM3D (Dabov et al. 2007) through the optional ``bm3d`` package
  (``pip install oculi[bm3d]``; its licence allows non-commercial use only): ``bm3d.bm3d`` on
  gray, ``bm3d.bm3d_rgb`` (opponent colour space) on colour, in float.
- ``dncnn`` — DnCNN written in oculi and trained with ``oculi train restore --problem denoise``
  (blind: ``sigma`` is not used), loaded from the run folder given as ``run``; images above one
  megapixel run in tiles of 512 (:func:`oculi.restore.tiled`).

    >>> import numpy as np
    >>> from oculi.restore import denoise
    >>> flat = np.full((32, 32), 100, np.uint8)
    >>> int(denoise(flat, sigma=10).max())
    100
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from os import PathLike

import numpy as np

from oculi.core.checks import check_finite, check_positive
from oculi.core.errors import MissingDependencyError, ParameterError
from oculi.core.registry import Registry
from oculi.restore._common import join, split, to_uint8
from oculi.restore.noise import estimate_noise
from oculi.restore.tiles import tiled

#: functions ``(image, sigma) -> image`` on float32 [0, 1] HxW / HxWx3, sigma in 0..255 units
denoisers: Registry[Callable[[np.ndarray, float], np.ndarray]] = Registry("denoiser")


def nlm_parameters(sigma: float, color: bool) -> dict[str, float | int]:
    """OpenCV non-local means settings for noise ``sigma`` (grey levels): the documented rule."""
    big = sigma > 30
    k = (0.5 if big else 0.6) if color else (0.8 if big else 0.9)
    return {"h": k * sigma, "template": 7, "search": 21}


@denoisers.register("nlm", aliases=("non-local-means",),
                    help="OpenCV non-local means, h from sigma by a fixed rule")
def nlm(image: np.ndarray, sigma: float) -> np.ndarray:
    """Non-local means on float32 [0, 1] gray or RGB (computed at 8 bits)."""
    import cv2

    p = nlm_parameters(sigma, image.ndim == 3)
    data = to_uint8(image)
    if image.ndim == 2:
        out = cv2.fastNlMeansDenoising(data, None, p["h"], p["template"], p["search"])
    else:
        bgr = np.ascontiguousarray(data[..., ::-1])
        out = cv2.fastNlMeansDenoisingColored(bgr, None, p["h"], p["h"], p["template"],
                                              p["search"])[..., ::-1]
    return out.astype(np.float32) / np.float32(255.0)


@denoisers.register("bm3d", help="BM3D via the optional bm3d package (non-commercial licence)",
                    extra="bm3d")
def bm3d(image: np.ndarray, sigma: float) -> np.ndarray:
    """BM3D on float32 [0, 1] gray or RGB; needs the ``bm3d`` package."""
    try:
        import bm3d as _bm3d
    except ImportError as exc:
        raise MissingDependencyError("method 'bm3d' needs the optional bm3d package: "
                                     "pip install 'oculi[bm3d]' (non-commercial licence)"
                                     ) from exc
    psd = max(float(sigma), 1e-3) / 255.0
    data = image.astype(np.float64)
    out = _bm3d.bm3d(data, psd) if image.ndim == 2 else _bm3d.bm3d_rgb(data, psd)
    return np.asarray(out, np.float32)


@denoisers.register("dncnn", help="DnCNN trained with oculi train restore (run=FOLDER)",
                    needs_run=True)
def dncnn(image: np.ndarray, sigma: float, run: str | PathLike[str] | None = None,
          tile: int | None = None) -> np.ndarray:
    """A trained DnCNN run (blind: ``sigma`` unused) on float32 [0, 1] gray or RGB."""
    from oculi.restore.trained import trained_function

    if run is None:
        raise ParameterError("run: method 'dncnn' needs a run folder of oculi train restore "
                             "--problem denoise")
    fn = trained_function(run, 1, "dncnn", "denoise")
    if tile is None:
        tile = 512 if image.shape[0] * image.shape[1] > 1 << 20 else 0
    return tiled(fn, image, 1, tile=tile, overlap=16) if tile else fn(image)


def denoise(image: np.ndarray, sigma: float | None = None, method: str | None = None, *,
            run: str | PathLike[str] | None = None, tile: int | None = None) -> np.ndarray:
    """Remove additive white Gaussian noise.

    Args:
        image: HxW, HxWx3 or HxWx4 (alpha passed through); uint8, uint16 or float in [0, 1];
            at least 4x4 pixels.
        sigma: noise standard deviation in 8-bit grey levels (0..255); ``None``: estimated
            (:func:`estimate_noise`, wavelet MAD).
        method: a :data:`denoisers` name (``nlm``, ``bm3d``, ``dncnn``); None: ``nlm``, or
            ``dncnn`` with ``run``.
        run: a run folder (or checkpoint) of ``oculi train restore --problem denoise``.
        tile: ``dncnn``: tile side in pixels (None: whole images up to 1 megapixel; 0: never).

    Returns:
        The denoised image, same shape and dtype.

    Raises:
        ParameterError: a negative or non-finite sigma. UnknownNameError: an unknown method.
        MissingDependencyError: ``bm3d`` without its package.
        DataError: ``run`` is not a restore run folder.
    """
    method = method or ("dncnn" if run is not None else "nlm")
    fn = denoisers.get(method)
    blind = bool(denoisers.entry(method).meta.get("needs_run"))
    if blind:
        fn = partial(fn, run=run, tile=tile)
    elif run is not None or tile is not None:
        raise ParameterError(f"run, tile: method {method!r} takes neither (dncnn does)")
    if sigma is None:
        sigma = 0.0 if blind else estimate_noise(image)
    else:
        sigma = check_positive(check_finite(sigma, "sigma"), "sigma", allow_zero=True)
    work, parts = split(image)
    if sigma == 0 and not blind:
        return join(work, parts)
    return join(fn(work, float(sigma)), parts)
