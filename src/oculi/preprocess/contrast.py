"""Contrast: CLAHE, histogram equalisation and gamma, for gray and colour images.

Colour images (HxWx3 RGB) are processed through the lightness channel of CIE L*a*b* so hue and
chroma are kept: uint8 through OpenCV's 8-bit L*a*b* (L scaled to 0..255), uint16 and float through
float L*a*b* with L quantised to 16 bits. A fourth (alpha) channel is passed through unchanged.

    >>> import numpy as np, cv2
    >>> from oculi.preprocess import clahe
    >>> gray = (np.arange(64 * 64) % 251).astype(np.uint8).reshape(64, 64)
    >>> ref = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8)).apply(gray)
    >>> bool((clahe(gray, clip_limit=2.0, tiles=(8, 8)) == ref).all())
    True
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from oculi.core.checks import check_image
from oculi.core.errors import ParameterError
from oculi.preprocess._clahe_core import clahe_gray

#: the most memory CLAHE's per-tile histograms and tables may take
_MAX_TABLE_BYTES = 1 << 30


def _check_tiles(tiles: tuple[int, int] | int) -> tuple[int, int]:
    if isinstance(tiles, int | np.integer):
        tiles = (int(tiles), int(tiles))
    try:
        ty, tx = (int(t) for t in tiles)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"tiles: expected (rows, columns) of tiles, got {tiles!r}") from exc
    if ty < 1 or tx < 1:
        raise ParameterError(f"tiles: expected positive tile counts, got {tiles!r}")
    return ty, tx


def _check_grid_fits(grid: tuple[int, int], image: np.ndarray) -> None:
    """Refuse, before anything is allocated, a tile grid whose padded image (the size is padded
    to a multiple of the grid, as OpenCV does) and per-tile tables exceed
    :data:`_MAX_TABLE_BYTES`. Grids finer than the image stay legal (OpenCV accepts them)."""
    (ty, tx), (h, w) = grid, image.shape[:2]
    bins, itemsize = (256, 1) if image.dtype == np.uint8 else (65536, 2)
    ext_h, ext_w = -(-h // ty) * ty, -(-w // tx) * tx
    need = ext_h * ext_w * itemsize + ty * tx * bins * (4 + itemsize)  # + int32 histograms, LUTs
    if need > _MAX_TABLE_BYTES:
        size = f"{need / 2**40:.1f} TiB" if need >= 2**40 else f"{need / 2**30:.1f} GiB"
        raise ParameterError(
            f"tiles: a {ty}x{tx} grid on a {h}x{w} {image.dtype} image needs {size} for its "
            f"tiles and tables (limit {_MAX_TABLE_BYTES / 2**30:.0f} GiB) — use fewer tiles "
            "(8x8 is usual)")


def _on_lightness(
    image: np.ndarray, fn: Callable[[np.ndarray], np.ndarray]
) -> np.ndarray:
    """Apply a one-channel uint8/uint16 operation to the L* channel of an RGB(A) image."""
    import cv2

    rgb = image[..., :3]
    if image.dtype == np.uint8:
        lab = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2LAB)
        lab[..., 0] = fn(np.ascontiguousarray(lab[..., 0]))
        out = cv2.cvtColor(lab, cv2.COLOR_LAB2RGB)
    else:
        scale = 65535.0 if image.dtype == np.uint16 else 1.0
        f = np.ascontiguousarray(rgb, dtype=np.float32) / np.float32(scale)
        lab = cv2.cvtColor(f, cv2.COLOR_RGB2LAB)  # L in [0, 100]
        lq = np.clip(np.rint(lab[..., 0] * (65535.0 / 100.0)), 0, 65535).astype(np.uint16)
        lab[..., 0] = fn(lq).astype(np.float32) * np.float32(100.0 / 65535.0)
        back = np.clip(cv2.cvtColor(lab, cv2.COLOR_LAB2RGB), 0.0, 1.0)
        if image.dtype == np.uint16:
            out = np.rint(back * 65535.0).astype(np.uint16)
        else:
            out = back.astype(image.dtype)
    if image.shape[2] == 4:
        out = np.concatenate([out, image[..., 3:]], axis=2)
    return out


def _apply_channelwise(
    image: np.ndarray, fn: Callable[[np.ndarray], np.ndarray]
) -> np.ndarray:
    """Gray: direct (float via 16-bit quantisation); colour: on L*."""
    if image.ndim == 3 and image.shape[2] == 1:
        return _apply_channelwise(image[..., 0], fn)[..., None]
    if image.ndim == 3:
        return _on_lightness(image, fn)
    if image.dtype.kind == "f":
        q = np.clip(np.rint(image.astype(np.float64) * 65535.0), 0, 65535).astype(np.uint16)
        return (fn(q).astype(np.float64) / 65535.0).astype(image.dtype)
    return fn(np.ascontiguousarray(image))


def clahe(
    image: np.ndarray, clip_limit: float = 2.0, tiles: tuple[int, int] | int = (8, 8)
) -> np.ndarray:
    """Contrast-limited adaptive histogram equalisation (Zuiderveld 1994), as OpenCV does it.

    The core is oculi's own implementation (``_clahe_core``: numba-compiled histogram and
    interpolation loops, with a vectorised numpy reference), bit-identical to
    ``cv2.createCLAHE(clip_limit, (tiles_x, tiles_y)).apply`` on uint8 and uint16 gray images.

    Args:
        image: HxW or HxWx1 gray, or HxWx3 / HxWx4 RGB(A); uint8, uint16, or float32/float64 in
            [0, 1] (processed at 16 bits).
        clip_limit: contrast limit relative to a flat histogram (OpenCV's ``clipLimit``; a bin
            holds at most ``clip_limit * tile_area / bins`` pixels); ``0`` disables clipping
            (plain adaptive equalisation).
        tiles: ``(rows, columns)`` of the tile grid (note: OpenCV's ``tileGridSize`` is
            ``(columns, rows)``), or one int for a square grid.

    Returns:
        An array of the input's shape and dtype. Colour images change only in L*.

    Raises:
        DTypeError: a dtype other than uint8, uint16, float32 or float64.
        ValueRangeError: a float image outside [0, 1].
        ParameterError: a negative clip limit or a bad tile grid: not positive, or one whose
            padded image and tables would take more than 1 GiB.
    """
    check_image(image, "image", channels=(1, 3, 4))
    if not clip_limit >= 0:
        raise ParameterError(f"clip_limit: expected a number >= 0, got {clip_limit!r}")
    grid = _check_tiles(tiles)
    _check_grid_fits(grid, image)
    return _apply_channelwise(image, lambda ch: clahe_gray(ch, float(clip_limit), grid))


def _equalize_gray(channel: np.ndarray) -> np.ndarray:
    bins = 256 if channel.dtype == np.uint8 else 65536
    hist = np.bincount(channel.ravel(), minlength=bins)
    nonzero = np.flatnonzero(hist)
    if nonzero.size == 0:
        return channel.copy()
    first = hist[nonzero[0]]
    total = channel.size
    if total == first:  # a constant image stays as it is (as in OpenCV)
        return channel.copy()
    scale = np.float32(bins - 1) / np.float32(total - first)
    cdf = np.cumsum(hist) - first
    lut = np.clip(np.rint(cdf.astype(np.float32) * scale), 0, bins - 1)
    lut[: nonzero[0]] = 0
    return lut.astype(channel.dtype)[channel]


def equalize_hist(image: np.ndarray) -> np.ndarray:
    """Global histogram equalisation; identical to ``cv2.equalizeHist`` on uint8 gray.

    The lowest occupied level maps to 0 and the CDF is stretched to the full range
    (255 or 65535). Colour images are equalised in L* (hue kept).

    Args:
        image: HxW / HxWx1 gray or HxWx3 / HxWx4 RGB(A); uint8, uint16 or float in [0, 1].

    Returns:
        An array of the input's shape and dtype.
    """
    check_image(image, "image", channels=(1, 3, 4))
    return _apply_channelwise(image, _equalize_gray)


def gamma(image: np.ndarray, gamma: float = 1.0, gain: float = 1.0) -> np.ndarray:
    """Gamma correction ``out = gain * in ** gamma`` on intensities normalised to [0, 1].

    Integer images go through a rounded look-up table (identical to
    ``skimage.exposure.adjust_gamma`` on uint8; on uint16 scikit-image truncates, oculi rounds);
    results above the range saturate. Applied to every
    channel (gamma is a per-channel curve; alpha is left as it is).

    Args:
        image: HxW or HxWxC, uint8, uint16 or float in [0, 1].
        gamma: exponent > 0; < 1 brightens, > 1 darkens.
        gain: multiplier >= 0.

    Returns:
        An array of the input's shape and dtype (floats clipped to [0, 1]).
    """
    check_image(image, "image", channels=(1, 3, 4))
    if not gamma > 0:
        raise ParameterError(f"gamma: expected a number > 0, got {gamma!r}")
    if not gain >= 0:
        raise ParameterError(f"gain: expected a number >= 0, got {gain!r}")
    has_alpha = image.ndim == 3 and image.shape[2] == 4
    body = image[..., :3] if has_alpha else image
    if image.dtype.kind == "u":
        top = np.iinfo(image.dtype).max
        lut = top * gain * (np.linspace(0.0, 1.0, top + 1) ** gamma)
        lut = np.minimum(np.rint(lut), top).astype(image.dtype)
        out = lut[body]
    else:
        out = np.clip(gain * np.power(body, gamma), 0.0, 1.0).astype(image.dtype)
    if has_alpha:
        out = np.concatenate([out, image[..., 3:]], axis=2)
    return out
