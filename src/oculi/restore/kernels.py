"""Blur kernels and the SRMD degradation model (Zhang, Zuo & Zhang, CVPR 2018): a low-resolution
image is ``y = down_s(x * k) + n`` — the clean image ``x`` blurred by a kernel ``k``, shrunk by
the scale ``s`` and given additive white Gaussian noise ``n`` of standard deviation ``sigma``.

- :func:`gaussian_kernel` — an isotropic or anisotropic Gaussian on a ``size`` x ``size`` grid of
  high-resolution pixels (widths in HR pixels; width 0 is the identity, a delta);
- :func:`sample_kernel` — a random kernel for training (seeded by the caller's generator);
- :func:`kernel_basis` — the PCA basis SRMD feeds the network instead of the ``size**2`` kernel
  weights: ``components`` principal directions of a fixed sample of :data:`BASIS_SAMPLES`
  kernels (:func:`basis_sample`: seed 0, widths uniform in :data:`BASIS_WIDTHS`, half of them
  anisotropic), so the same ``(size, components)`` always gives the same basis;
- :func:`blur_downsample` — the degradation itself (noise is added by the caller);
- :func:`degradation_vector` — what an SRMD network is conditioned on: the flattened kernel and
  the noise level (``sigma / 255``), ``size**2 + 1`` float32 values.

Nothing here imports torch.

    >>> import numpy as np
    >>> k = gaussian_kernel(15, 1.6)
    >>> k.shape, round(float(k.sum()), 6), bool(k[7, 7] == k.max())
    ((15, 15), 1.0, True)
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from oculi.core.errors import ParameterError, ShapeError

#: kernels in the sample the PCA basis is computed from
BASIS_SAMPLES = 4096
#: the range of Gaussian widths (HR pixels) of that sample
BASIS_WIDTHS = (0.2, 4.0)
#: the downsamplers of :func:`blur_downsample`
DOWNSAMPLERS = ("bicubic", "direct")


def _gaussians(size: int, w1: np.ndarray, w2: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """N normalised Gaussians (N, size, size) float64 from N widths, second widths, angles."""
    r = np.arange(size, dtype=np.float64) - size // 2
    xx, yy = np.meshgrid(r, r)
    c, s = np.cos(angle)[:, None, None], np.sin(angle)[:, None, None]
    u, v = c * xx + s * yy, -s * xx + c * yy
    a = np.maximum(w1, 1e-3)[:, None, None] ** 2
    b = np.maximum(w2, 1e-3)[:, None, None] ** 2
    k = np.exp(-0.5 * (u * u / a + v * v / b))
    return k / k.sum(axis=(1, 2), keepdims=True)


def gaussian_kernel(size: int, width: float, width2: float | None = None,
                    angle: float = 0.0) -> np.ndarray:
    """A normalised Gaussian blur kernel.

    Args:
        size: the kernel side in HR pixels (odd).
        width: the standard deviation along the first axis, in HR pixels (0: no blur).
        width2: the standard deviation along the second axis (None: ``width``, isotropic).
        angle: the rotation of the first axis from the x axis, in radians.

    Returns:
        ``size`` x ``size`` float64 weights summing to 1, centred on ``size // 2``.
    """
    if size < 1 or size % 2 == 0:
        raise ParameterError(f"kernel_size: expected an odd number of pixels, got {size!r}")
    width2 = width if width2 is None else width2
    if not (np.isfinite(width) and np.isfinite(width2)) or min(width, width2) < 0:
        raise ParameterError(f"blur: expected widths >= 0 (HR pixels), got {width}, {width2}")
    return _gaussians(size, np.array([width]), np.array([width2]), np.array([angle]))[0]


def sample_kernel(rng: np.random.Generator, size: int, widths: tuple[float, float],
                  anisotropic: float) -> np.ndarray:
    """A random Gaussian kernel: width uniform in ``widths``; with probability ``anisotropic``
    a second width drawn alike and an angle uniform in [0, pi).

    Returns:
        ``size`` x ``size`` float64, sums to 1.
    """
    lo, hi = widths
    w1 = float(rng.uniform(lo, hi))
    if rng.random() < anisotropic:
        return gaussian_kernel(size, w1, float(rng.uniform(lo, hi)),
                               float(rng.uniform(0.0, math.pi)))
    return gaussian_kernel(size, w1)


def basis_sample(size: int) -> np.ndarray:
    """The fixed kernel sample the PCA basis comes from: (BASIS_SAMPLES, size*size) float64,
    seed 0, widths uniform in :data:`BASIS_WIDTHS`, half of them anisotropic (random angle)."""
    rng = np.random.default_rng(0)
    n = BASIS_SAMPLES
    w1 = rng.uniform(*BASIS_WIDTHS, n)
    aniso = rng.random(n) < 0.5
    w2 = np.where(aniso, rng.uniform(*BASIS_WIDTHS, n), w1)
    angle = np.where(aniso, rng.uniform(0.0, math.pi, n), 0.0)
    return _gaussians(size, w1, w2, angle).reshape(n, -1)


@lru_cache(maxsize=8)
def _basis(size: int, components: int) -> tuple[np.ndarray, np.ndarray]:
    sample = basis_sample(size)
    mean = sample.mean(axis=0)
    centred = sample - mean
    _, vectors = np.linalg.eigh(centred.T @ centred)    # ascending eigenvalues
    basis = vectors[:, ::-1][:, :components].T
    # a fixed sign per direction: its largest-magnitude weight positive
    signs = np.sign(basis[np.arange(components), np.abs(basis).argmax(axis=1)])
    return (basis * signs[:, None]).astype(np.float32), mean.astype(np.float32)


def kernel_basis(size: int = 15, components: int = 15) -> tuple[np.ndarray, np.ndarray]:
    """The PCA basis of SRMD's kernel code (deterministic; see the module doc).

    Args:
        size: the kernel side in HR pixels (odd).
        components: ``t``, the number of principal directions kept (<= ``size**2``).

    Returns:
        ``(basis, mean)``: ``basis`` (components, size*size) float32 with orthonormal rows,
        ``mean`` (size*size,) float32; a kernel's code is ``basis @ (k.ravel() - mean)`` and
        ``mean + basis.T @ code`` reconstructs it.
    """
    if size < 1 or size % 2 == 0:
        raise ParameterError(f"kernel_size: expected an odd number of pixels, got {size!r}")
    if not 1 <= components <= size * size:
        raise ParameterError(f"components: expected 1..{size * size} for {size}x{size} kernels,"
                             f" got {components!r}")
    basis, mean = _basis(int(size), int(components))
    return basis.copy(), mean.copy()


def as_kernel(kernel: np.ndarray, size: int) -> np.ndarray:
    """A user's kernel checked and normalised to ``size`` x ``size`` float64 (a smaller odd
    kernel is zero-padded around its centre).

    Raises:
        ShapeError: not a square 2-D array of odd side <= ``size``. ParameterError: negative,
            non-finite or all-zero weights.
    """
    k = np.asarray(kernel, dtype=np.float64)
    if k.ndim != 2 or k.shape[0] != k.shape[1] or k.shape[0] % 2 == 0 or k.shape[0] > size:
        raise ShapeError(f"kernel: expected a square array of odd side <= {size}, got shape "
                         f"{k.shape}")
    if not np.isfinite(k).all() or (k < 0).any() or k.sum() <= 0:
        raise ParameterError("kernel: expected finite weights >= 0 with a positive sum")
    pad = (size - k.shape[0]) // 2
    return np.pad(k / k.sum(), pad)


def blur_downsample(image: np.ndarray, kernel: np.ndarray, scale: int,
                    downsample: str = "bicubic") -> np.ndarray:
    """``down_s(image * kernel)``: the noise-free SRMD degradation.

    Args:
        image: HxW or HxWxC float32 in [0, 1] (HR).
        kernel: the blur kernel (float, sums to 1), borders reflected.
        scale: the integer factor ``s``.
        downsample: ``bicubic`` (MATLAB's antialiased :func:`oculi.restore.imresize`, the SRMD
            paper's) or ``direct`` (every ``s``-th pixel from the first).

    Returns:
        ``ceil(H/s)`` x ``ceil(W/s)`` (xC) float32.
    """
    import cv2

    from oculi.restore.resize import imresize

    if downsample not in DOWNSAMPLERS:
        raise ParameterError(f"downsample: expected one of {DOWNSAMPLERS}, got {downsample!r}")
    # filter2D correlates: the flipped kernel makes it the convolution ``image * kernel`` (the
    # same for the symmetric Gaussians of training; a user's asymmetric kernel is convolved)
    flipped = np.ascontiguousarray(np.asarray(kernel, np.float32)[::-1, ::-1])
    blurred = cv2.filter2D(np.ascontiguousarray(image, np.float32), -1, flipped,
                           borderType=cv2.BORDER_REFLECT)
    if image.ndim == 3 and blurred.ndim == 2:
        blurred = blurred[..., None]
    if scale == 1:
        return blurred
    if downsample == "direct":
        return np.ascontiguousarray(blurred[::scale, ::scale])
    return imresize(np.clip(blurred, 0.0, 1.0), 1.0 / scale)


def degradation_vector(kernel: np.ndarray, sigma: float) -> np.ndarray:
    """The condition of an SRMD network: ``kernel.ravel()`` then ``sigma / 255``.

    Args:
        kernel: size x size float weights (sum 1).
        sigma: the noise standard deviation in 8-bit grey levels.

    Returns:
        (size*size + 1,) float32.
    """
    if not np.isfinite(sigma) or not 0.0 <= sigma <= 255.0:
        raise ParameterError(f"noise: expected 0..255 grey levels, got {sigma!r}")
    return np.append(np.asarray(kernel, np.float32).ravel(), np.float32(sigma / 255.0))


def srmd_condition(size: int, *, blur: float | None = None, kernel: np.ndarray | None = None,
                   noise: float = 0.0) -> np.ndarray:
    """The condition vector of an SRMD network at inference: the degradation is given, not
    estimated (SRMD is non-blind).

    Args:
        size: the network's kernel side.
        blur: the width of an isotropic Gaussian kernel in HR pixels (0: no blur — the plain
            bicubic degradation).
        kernel: a kernel array instead (odd side <= ``size``; normalised, zero-padded).
        noise: the noise standard deviation in 8-bit grey levels.

    Returns:
        (size*size + 1,) float32 (:func:`degradation_vector`).

    Raises:
        ParameterError: neither or both of ``blur`` and ``kernel``; a negative width; a noise
            level outside 0..255. ShapeError: a kernel of the wrong shape.
    """
    if (blur is None) == (kernel is None):
        raise ParameterError("blur: SRMD is non-blind — give the blur width (HR pixels; 0: "
                             "none) or a kernel array, exactly one of them")
    if kernel is None:
        if isinstance(blur, bool) or not isinstance(blur, int | float | np.number):
            raise ParameterError(f"blur: expected a width in HR pixels, got {blur!r}")
        k = gaussian_kernel(size, float(blur))
    else:
        k = as_kernel(kernel, size)
    if isinstance(noise, bool) or not isinstance(noise, int | float | np.number):
        raise ParameterError(f"noise: expected grey levels 0..255, got {noise!r}")
    return degradation_vector(k, float(noise))


def synthesize_lr(image: np.ndarray, scale: int, kernel: np.ndarray, sigma: float,
                  rng: np.random.Generator, downsample: str = "bicubic") -> np.ndarray:
    """A low-resolution test image: :func:`blur_downsample` of an 8-bit HR image, plus Gaussian
    noise of ``sigma`` grey levels, rounded and clipped to 8 bits (how a saved LR photo looks).

    Args:
        image: HxW or HxWxC uint8 (HR; height and width multiples of ``scale`` keep the grids
            aligned).
        scale, kernel, downsample: as :func:`blur_downsample`.
        sigma: noise standard deviation, grey levels.
        rng: the noise generator.

    Returns:
        ceil(H/s) x ceil(W/s) (xC) uint8.
    """
    low = blur_downsample(image.astype(np.float32) / np.float32(255.0), kernel, scale,
                          downsample) * 255.0
    if sigma > 0:
        low = low + rng.normal(0.0, sigma, low.shape)
    return np.clip(np.rint(low), 0, 255).astype(np.uint8)
