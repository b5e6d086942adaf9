"""A synthetic camera for "see in the dark" training: sRGB photos turned into noisy short-exposure
Bayer raws (the inverse ISP of Brooks et al., CVPR 2019, "Unprocessing Images for Learned Raw
Denoising") and the forward ISP that turns packed raws back into sRGB. NumPy only.

The camera model (:class:`Isp`), forward direction (raw -> sRGB):

1. white balance and digital gain: camera red x ``red_gain``, blue x ``blue_gain``, all three
   x ``rgb_gain``;
2. colour correction: camera RGB -> linear sRGB with ``ccm`` (3x3, rows summing to 1 so grey
   stays grey), then clipped to [0, 1];
3. gamma ``x ** (1 / 2.2)``;
4. the global tone curve ``3 x**2 - 2 x**3`` (smoothstep).

:func:`unprocess` inverts each step (inverse smoothstep ``0.5 - sin(asin(1 - 2 y) / 3)``,
``x ** 2.2``, the inverse CCM, division by the gains) and :func:`mosaic` keeps one colour per
pixel in the RGGB pattern (red at even rows and columns, blue at odd ones). Because every
matrix in :data:`RGB_TO_CAMERA` has non-negative entries and rows summing to 1, and every gain is
at least 1, an unprocessed sRGB image stays in [0, 1] without clipping: ``process(unprocess(x))``
gives ``x`` back to float precision.

The colour matrices are **defined here, not measured from any camera**: three sRGB -> camera
matrices (:data:`RGB_TO_CAMERA`) shaped like the matrices of real sensors, whose colour filters
overlap more than the sRGB primaries (each camera channel sees some of its neighbours), so each
desaturates. The camera -> sRGB CCM is the inverse of one of them (:data:`FIXED_ISP`, the first)
or of a random convex mix of the three (:func:`sample_isp` with ``random=True``). White-balance
ranges follow Brooks et al. (red 1.9..2.4, blue 1.5..1.9, digital gain ``1 / N(0.8, 0.1)``).

Exposure and noise: a short exposure is the long one divided by ``ratio`` (x100 / x250 / x300 as
in Chen et al.'s SID data); its noise is Poisson-Gaussian: ``raw / shot`` photons counted with
Poisson noise, scaled back by ``shot``, plus Gaussian read noise of variance ``read`` (so
``Var = shot * x + read``, all in [0, 1] raw units). :func:`noise_params` samples
``log(shot)`` uniformly and ``log(read) = 2.18 log(shot) + 1.20 + N(0, 0.26)``, Brooks et al.'s
log-linear relation; the shot range is the caller's (the ``sid`` task's default,
1e-4..2e-3, puts a x100 short exposure at roughly 1 to 30 photons per pixel at mean brightness).

Shapes: sRGB and camera RGB are HxWx3 float32 in [0, 1]; a Bayer raw is HxW float32 (H, W even);
packed planes are (H/2)x(W/2)x4 in the order R, G (red rows), G (blue rows), B.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from oculi.core.checks import check_number
from oculi.core.errors import DTypeError, ParameterError, ShapeError

#: sRGB -> camera RGB matrices defined here (see the module doc); rows sum to 1
RGB_TO_CAMERA = (
    np.array([[0.70, 0.25, 0.05], [0.12, 0.76, 0.12], [0.04, 0.30, 0.66]]),
    np.array([[0.62, 0.30, 0.08], [0.15, 0.70, 0.15], [0.06, 0.34, 0.60]]),
    np.array([[0.76, 0.20, 0.04], [0.10, 0.80, 0.10], [0.03, 0.24, 0.73]]),
)
#: the gamma of the forward ISP
GAMMA = 2.2
#: the log-linear relation of read to shot noise (Brooks et al.): slope, intercept, spread
READ_SLOPE, READ_INTERCEPT, READ_SPREAD = 2.18, 1.20, 0.26


@dataclass(frozen=True)
class Isp:
    """One camera's processing parameters.

    Attributes:
        ccm: 3x3 camera RGB -> linear sRGB matrix (rows sum to 1).
        red_gain: white-balance gain of the red channel (>= 1).
        blue_gain: white-balance gain of the blue channel (>= 1).
        rgb_gain: digital gain applied to all channels (>= 1).
    """

    ccm: np.ndarray
    red_gain: float
    blue_gain: float
    rgb_gain: float

    def gains(self) -> np.ndarray:
        """The per-channel gains (R, G, B) the forward ISP multiplies camera RGB by."""
        return np.array([self.red_gain, 1.0, self.blue_gain]) * self.rgb_gain


#: the fixed camera: the first matrix, daylight-like gains (red 2.1, blue 1.7, digital 1.25)
FIXED_ISP = Isp(np.linalg.inv(RGB_TO_CAMERA[0]), 2.1, 1.7, 1.25)


def sample_isp(rng: np.random.Generator, random: bool = True) -> Isp:
    """A camera: :data:`FIXED_ISP` (``random=False``), or a random convex mix of
    :data:`RGB_TO_CAMERA` with gains drawn from Brooks et al.'s ranges."""
    if not random:
        return FIXED_ISP
    weights = rng.uniform(0.0, 1.0, len(RGB_TO_CAMERA))
    weights /= weights.sum()
    rgb2cam = sum(w * m for w, m in zip(weights, RGB_TO_CAMERA, strict=True))
    digital = 1.0 / float(np.clip(rng.normal(0.8, 0.1), 0.5, 1.0))
    return Isp(np.linalg.inv(rgb2cam), float(rng.uniform(1.9, 2.4)),
               float(rng.uniform(1.5, 1.9)), digital)


def _check_rgb(image: np.ndarray, name: str) -> np.ndarray:
    if not isinstance(image, np.ndarray) or image.ndim != 3 or image.shape[2] != 3:
        shape = getattr(image, "shape", type(image).__name__)
        raise ShapeError(f"{name}: expected an HxWx3 RGB array, got shape {shape}")
    if image.dtype.kind != "f":
        raise DTypeError(f"{name}: expected float in [0, 1], got {image.dtype} — divide by 255")
    return image


def _check_even(shape: tuple[int, ...], name: str) -> None:
    if shape[0] % 2 or shape[1] % 2 or shape[0] < 2 or shape[1] < 2:
        raise ShapeError(f"{name}: a Bayer raw needs an even height and width, got "
                         f"{shape[1]}x{shape[0]} — crop one row or column")


def check_ratio(ratio: float, name: str = "ratio") -> float:
    """``ratio`` as a float; a :class:`ParameterError` unless it is finite and > 0."""
    try:
        value = float(ratio)
    except (TypeError, ValueError):
        raise ParameterError(f"{name}: expected a number > 0, got {ratio!r}") from None
    if not np.isfinite(value) or value <= 0:
        raise ParameterError(f"{name}: expected an exposure ratio > 0 (e.g. 100), got {ratio!r}")
    return value


def srgb_to_linear(srgb: np.ndarray) -> np.ndarray:
    """Inverse tone curve then inverse gamma: sRGB [0, 1] -> linear [0, 1] (float32)."""
    y = np.clip(srgb, 0.0, 1.0).astype(np.float64)
    x = 0.5 - np.sin(np.arcsin(1.0 - 2.0 * y) / 3.0)
    return (np.maximum(x, 0.0) ** GAMMA).astype(np.float32)


def linear_to_srgb(linear: np.ndarray) -> np.ndarray:
    """Gamma then tone curve: linear (clipped to [0, 1]) -> sRGB [0, 1] (float32)."""
    x = np.clip(linear, 0.0, 1.0).astype(np.float64) ** (1.0 / GAMMA)
    return (3.0 * x ** 2 - 2.0 * x ** 3).astype(np.float32)


def unprocess(srgb: np.ndarray, isp: Isp = FIXED_ISP) -> np.ndarray:
    """sRGB HxWx3 float in [0, 1] -> camera RGB HxWx3 float32 in [0, 1] (linear, before the
    white balance and gains: what the sensor's three colour filters see)."""
    _check_rgb(srgb, "srgb")
    linear = srgb_to_linear(srgb).astype(np.float64)
    camera = linear @ np.linalg.inv(isp.ccm).T
    return (camera / isp.gains()).astype(np.float32)


def process(camera: np.ndarray, isp: Isp = FIXED_ISP) -> np.ndarray:
    """Camera RGB HxWx3 (linear) -> sRGB HxWx3 float32 in [0, 1]: gains, CCM, gamma, tone."""
    _check_rgb(camera, "camera")
    linear = (camera.astype(np.float64) * isp.gains()) @ isp.ccm.T
    return linear_to_srgb(linear)


def mosaic(camera: np.ndarray) -> np.ndarray:
    """Camera RGB HxWx3 (H, W even) -> the RGGB Bayer raw HxW float32."""
    _check_rgb(camera, "camera")
    _check_even(camera.shape, "camera")
    raw = camera[..., 1].astype(np.float32)
    raw[0::2, 0::2] = camera[0::2, 0::2, 0]
    raw[1::2, 1::2] = camera[1::2, 1::2, 2]
    return raw


def pack(raw: np.ndarray) -> np.ndarray:
    """An RGGB Bayer raw HxW (H, W even) -> (H/2)x(W/2)x4 planes R, G, G, B (float32)."""
    if not isinstance(raw, np.ndarray) or raw.ndim != 2:
        shape = getattr(raw, "shape", type(raw).__name__)
        raise ShapeError(f"raw: expected an HxW Bayer array (one value per pixel), got shape "
                         f"{shape}")
    _check_even(raw.shape, "raw")
    return np.stack([raw[0::2, 0::2], raw[0::2, 1::2], raw[1::2, 0::2], raw[1::2, 1::2]],
                    axis=2).astype(np.float32)


def unpack(planes: np.ndarray) -> np.ndarray:
    """Inverse of :func:`pack`: hxwx4 planes -> the (2h)x(2w) Bayer raw (float32)."""
    if not isinstance(planes, np.ndarray) or planes.ndim != 3 or planes.shape[2] != 4:
        shape = getattr(planes, "shape", type(planes).__name__)
        raise ShapeError(f"planes: expected hxwx4 packed Bayer planes, got shape {shape}")
    h, w = planes.shape[:2]
    raw = np.empty((2 * h, 2 * w), np.float32)
    raw[0::2, 0::2], raw[0::2, 1::2] = planes[..., 0], planes[..., 1]
    raw[1::2, 0::2], raw[1::2, 1::2] = planes[..., 2], planes[..., 3]
    return raw


def process_packed(planes: np.ndarray, isp: Isp = FIXED_ISP) -> np.ndarray:
    """The demosaic-free forward ISP: hxwx4 packed planes -> hxwx3 sRGB float32 at half the raw's
    resolution (the two greens averaged)."""
    if not isinstance(planes, np.ndarray) or planes.ndim != 3 or planes.shape[2] != 4:
        shape = getattr(planes, "shape", type(planes).__name__)
        raise ShapeError(f"planes: expected hxwx4 packed Bayer planes, got shape {shape}")
    camera = np.stack([planes[..., 0], 0.5 * (planes[..., 1] + planes[..., 2]), planes[..., 3]],
                      axis=2)
    return process(camera.astype(np.float32), isp)


def noise_params(rng: np.random.Generator, shot_range: tuple[float, float]
                 ) -> tuple[float, float]:
    """``(shot, read)`` noise variances: ``log(shot)`` uniform over ``shot_range``, ``log(read)``
    on Brooks et al.'s line (module doc)."""
    if np.ndim(shot_range) != 1 or len(shot_range) != 2:
        raise ParameterError(f"shot_range: expected [low, high], got {shot_range!r}")
    lo, hi = (float(check_number(v, "shot_range")) for v in shot_range)
    if not 0.0 < lo <= hi:
        raise ParameterError(f"shot_range: expected 0 < low <= high, got {shot_range!r}")
    log_shot = rng.uniform(np.log(lo), np.log(hi))
    log_read = READ_SLOPE * log_shot + READ_INTERCEPT + rng.normal(0.0, READ_SPREAD)
    return float(np.exp(log_shot)), float(np.exp(log_read))


def poisson_gaussian(raw: np.ndarray, shot: float, read: float, rng: np.random.Generator,
                     clip: bool = True) -> np.ndarray:
    """Shot and read noise on a linear raw in [0, 1] (any shape): ``shot * Poisson(raw / shot)
    + N(0, read)``, float32, clipped to [0, 1] (the sensor's black and white levels) unless
    ``clip`` is False."""
    if shot <= 0 or read < 0:
        raise ParameterError(f"noise: expected shot > 0 and read >= 0, got {shot}, {read}")
    photons = rng.poisson(np.maximum(raw, 0.0).astype(np.float64) / shot)
    noisy = shot * photons + rng.normal(0.0, np.sqrt(read), raw.shape)
    return (np.clip(noisy, 0.0, 1.0) if clip else noisy).astype(np.float32)


def short_exposure(srgb: np.ndarray, ratio: float, rng: np.random.Generator,
                   shot_range: tuple[float, float], isp: Isp = FIXED_ISP) -> np.ndarray:
    """A synthetic noisy short exposure of an sRGB photo: HxWx3 float in [0, 1] (H, W even) ->
    the HxW Bayer raw float32 of an exposure ``ratio`` times shorter, with noise drawn by
    :func:`noise_params` (the image's long exposure is its unprocessed mosaic)."""
    ratio = check_ratio(ratio)
    long = mosaic(unprocess(srgb, isp))
    shot, read = noise_params(rng, shot_range)
    return poisson_gaussian(long / np.float32(ratio), shot, read, rng)


def normalize_raw(raw: np.ndarray, black_level: float = 0.0,
                  white_level: float | None = None) -> np.ndarray:
    """A camera's Bayer counts -> float32 in [0, 1]: ``(raw - black) / (white - black)``,
    clipped. ``white_level`` None: 1.0 for float input, the dtype's maximum for integers.

    Raises:
        ShapeError: not HxW, or an odd side.
        ParameterError: ``white_level <= black_level``.
    """
    if not isinstance(raw, np.ndarray) or raw.ndim != 2:
        shape = getattr(raw, "shape", type(raw).__name__)
        raise ShapeError(f"raw: expected an HxW Bayer array (RGGB, one value per pixel), got "
                         f"shape {shape}")
    _check_even(raw.shape, "raw")
    if raw.dtype.kind not in "uif":
        raise DTypeError(f"raw: expected integer or float counts, got {raw.dtype}")
    if white_level is None:
        white_level = float(np.iinfo(raw.dtype).max) if raw.dtype.kind in "ui" else 1.0
    if not white_level > black_level:
        raise ParameterError(f"white_level: expected above black_level {black_level}, got "
                             f"{white_level}")
    out = (raw.astype(np.float64) - black_level) / (white_level - black_level)
    return np.clip(out, 0.0, 1.0).astype(np.float32)
