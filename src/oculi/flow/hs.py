"""Horn–Schunck optical flow, done right: coarse-to-fine, warping, robust data, median filtering.

The energy is Horn & Schunck's (1981): a data term on the linearised brightness constancy
``Ix u + Iy v + It`` plus ``alpha^2`` times the quadratic smoothness of ``u`` and ``v``, discretised
with their averaging stencil (edge neighbours 1/6, diagonal 1/12). Following Sun, Roth & Black
("Secrets of optical flow estimation and their principles", CVPR 2010) it is minimised
coarse-to-fine on an image pyramid with several warps per level (each warp solves for an
increment around the current flow, so motions of tens of pixels are found), with an optional
generalised-Charbonnier data term (lagged weights, IRLS inside the solver), a structure/texture
decomposition of the input, and a median filter on the flow after every warp. The linear system
of each warp is solved by four-colour block SOR compiled with numba (no Python loop over pixels).

Intensities are on a 0..255 scale inside, as in the paper and most tutorials, so ``alpha`` has
the usual meaning for the quadratic data term (``robust=False``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from oculi.core.checks import check_choice, check_positive
from oculi.core.errors import ParameterError
from oculi.flow._base import check_flow, gray_pair, methods

_DERIV5 = np.array([[1.0, -8.0, 0.0, 8.0, -1.0]], np.float32) / 12.0


@dataclass(frozen=True)
class HSParams:
    """Settings of :func:`horn_schunck` (see there for their meaning)."""

    alpha: float = 3.0
    robust: bool = True
    epsilon: float = 1e-3
    exponent: float = 0.5
    pyramid_scale: float = 0.7
    min_size: int = 16
    warps: int = 3
    iterations: int = 20
    tol: float = 1e-3
    omega: float = 1.9
    median_size: int = 5
    stencil: str = "hs"
    solver: str = "sor"
    channels: str = "texture"
    texture: float = 0.6
    blend: float = 0.5


def _check_coarse_to_fine(pyramid_scale: float, levels: int | None, min_size: int, warps: int,
                          median_size: int) -> None:
    """The pyramid, warp and median settings shared by :func:`horn_schunck` and
    :func:`oculi.flow.lk.lucas_kanade`; raises ParameterError."""
    if not 0.0 < pyramid_scale < 1.0:
        raise ParameterError(f"pyramid_scale: expected a number in (0, 1), got {pyramid_scale!r}")
    if median_size not in (0, 1, 3, 5):
        raise ParameterError(f"median_size: expected 0, 1, 3 or 5, got {median_size!r}")
    for value, name in ((warps, "warps"), (min_size, "min_size")):
        if int(value) != value or value < 1:
            raise ParameterError(f"{name}: expected a positive integer, got {value!r}")
    if levels is not None and (int(levels) != levels or levels < 1):
        raise ParameterError(f"levels: expected a positive integer or None, got {levels!r}")


def _texture(i1: np.ndarray, i2: np.ndarray, weight: float) -> tuple[np.ndarray, np.ndarray]:
    """Texture parts ``I - weight * ROF(I)`` of both frames, in the frames' intensity units."""
    from oculi.flow._hs_kernels import rof_structure

    def tex(im: np.ndarray) -> np.ndarray:
        f = im * np.float32(2 / 255) - 1  # ROF on [-1, 1] as in Sun et al.
        return f - np.float32(weight) * rof_structure(f, 0.125, 20)

    return tex(i1) * np.float32(127.5), tex(i2) * np.float32(127.5)


def _pyramid(image: np.ndarray, scale: float, levels: int) -> list[np.ndarray]:
    import cv2

    pyr = [image]
    sigma = 1.0 / math.sqrt(2.0 * scale)
    for _ in range(levels - 1):
        prev = pyr[-1]
        h = max(1, round(prev.shape[0] * scale))
        w = max(1, round(prev.shape[1] * scale))
        blurred = cv2.GaussianBlur(prev, (0, 0), sigma, borderType=cv2.BORDER_REPLICATE)
        pyr.append(cv2.resize(blurred, (w, h), interpolation=cv2.INTER_LINEAR))
    return pyr


def _n_levels(h: int, w: int, scale: float, min_size: int) -> int:
    side = min(h, w)
    if side <= min_size:
        return 1
    return 1 + math.floor(math.log(min_size / side) / math.log(scale))


def _derivs(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    import cv2

    gx = cv2.filter2D(image, cv2.CV_32F, _DERIV5, borderType=cv2.BORDER_REPLICATE)
    gy = cv2.filter2D(image, cv2.CV_32F, _DERIV5.T, borderType=cv2.BORDER_REPLICATE)
    return gx, gy


def _resize_flow(flow: np.ndarray, h: int, w: int) -> np.ndarray:
    import cv2

    oh, ow = flow.shape[:2]
    out = cv2.resize(flow, (w, h), interpolation=cv2.INTER_LINEAR)
    out[..., 0] *= np.float32(w / ow)
    out[..., 1] *= np.float32(h / oh)
    return out


def _linearise(i1: np.ndarray, i2: np.ndarray, g1: tuple[np.ndarray, np.ndarray],
               u: np.ndarray, v: np.ndarray, blend: float
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ix, Iy, It of frame 2 warped by (u, v) against frame 1; 0 where the warp leaves frame 2."""
    import cv2

    h, w = i1.shape
    if u.any() or v.any():
        xs = np.arange(w, dtype=np.float32)[None, :] + u
        ys = np.arange(h, dtype=np.float32)[:, None] + v
        i2w = cv2.remap(i2, xs, ys, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
        outside = (xs < 0) | (xs > w - 1) | (ys < 0) | (ys > h - 1)
    else:  # no motion yet: the warp is the identity (bicubic weights are 0/1 at integers)
        i2w, outside = i2, None
    g2x, g2y = _derivs(i2w)
    ix = cv2.addWeighted(g2x, blend, g1[0], 1.0 - blend, 0.0)
    iy = cv2.addWeighted(g2y, blend, g1[1], 1.0 - blend, 0.0)
    it = cv2.subtract(i2w, i1)
    if outside is not None and outside.any():
        for arr in (ix, iy, it):
            arr[outside] = 0.0
    return (np.ascontiguousarray(ix, np.float32), np.ascontiguousarray(iy, np.float32),
            np.ascontiguousarray(it, np.float32))


def horn_schunck(
    image1: np.ndarray,
    image2: np.ndarray,
    *,
    alpha: float = HSParams.alpha,
    robust: bool = HSParams.robust,
    epsilon: float = HSParams.epsilon,
    exponent: float = HSParams.exponent,
    pyramid_scale: float = HSParams.pyramid_scale,
    levels: int | None = None,
    min_size: int = HSParams.min_size,
    warps: int = HSParams.warps,
    iterations: int = HSParams.iterations,
    tol: float = HSParams.tol,
    omega: float = HSParams.omega,
    median_size: int = HSParams.median_size,
    stencil: str = HSParams.stencil,
    solver: str = HSParams.solver,
    channels: str = HSParams.channels,
    texture: float = HSParams.texture,
    blend: float = HSParams.blend,
    initial_flow: np.ndarray | None = None,
) -> np.ndarray:
    """Dense Horn–Schunck flow from ``image1`` to ``image2``.

    Args:
        image1: first frame, HxW or HxWx3 (RGB), uint8/uint16 or float in [0, 1].
        image2: second frame, same size and channel count.
        alpha: smoothness weight; the smoothness term is ``alpha**2`` times the squared flow
            gradient, for intensities on a 0..255 scale. Larger is smoother.
        robust: use the generalised Charbonnier penalty ``(r^2 + epsilon^2)^exponent`` on the
            data residual ``r`` (IRLS with lagged weights) instead of ``r^2``.
        epsilon: Charbonnier smoothing, intensity units (0..255).
        exponent: Charbonnier exponent; 0.5 is the convex Charbonnier, 0.45 is "Secrets".
        pyramid_scale: size ratio between pyramid levels, in (0, 1).
        levels: number of pyramid levels; ``None`` picks as many as keep the coarsest level at
            least ``min_size`` pixels on its short side. 1 gives single-scale Horn–Schunck.
        min_size: smallest short side of the coarsest level, pixels.
        warps: warping steps per pyramid level (each re-linearises around the current flow).
        iterations: cap on solver sweeps per warp.
        tol: the SOR solver stops a warp early once no pixel's flow changes by more than this
            (pixels) in a sweep (Jacobi always runs ``iterations``).
        omega: SOR over-relaxation in (0, 2); 1 is Gauss–Seidel.
        solver: ``"sor"`` (block successive over-relaxation, colour-ordered; converges several
            times faster per sweep) or ``"jacobi"`` (Horn & Schunck's original simultaneous
            update: every pixel from the previous iterate).
        median_size: median filter (3 or 5) applied to the flow after each warp; 0 or 1 disables.
        stencil: ``"hs"`` (the 8-neighbour 1/6, 1/12 averaging stencil of Horn & Schunck) or
            ``"4"`` (4-neighbour Laplacian).
        channels: what the data term compares: ``"gray"`` (intensity) or ``"texture"``
            (``I - texture * ROF(I)``, a structure/texture decomposition that damps shading
            and illumination changes).
        texture: weight of the ROF structure (total-variation smoothed image) removed for the
            texture input, in [0, 1) ("Secrets" uses 0.95; 0.6 keeps enough large-scale
            contrast for large motions).
        blend: weight of the warped second frame in the spatial derivatives (the rest from the
            first frame).
        initial_flow: optional HxWx2 starting flow (pixels), e.g. the previous frame's.

    Returns:
        HxWx2 float32 flow ``(u, v)`` in pixels: pixel ``(x, y)`` of ``image1`` moves to
        ``(x + u, y + v)`` in ``image2``.

    Raises:
        ShapeError: the frames differ in size or channels, or ``initial_flow`` does not match.
        ParameterError: a setting outside its range.

    Example:
        >>> import numpy as np
        >>> from oculi.flow import horn_schunck, warp_image
        >>> rng = np.random.default_rng(0)
        >>> import cv2
        >>> frame = cv2.GaussianBlur(rng.random((64, 64)).astype(np.float32), (0, 0), 2)
        >>> frame = (frame - frame.min()) / (frame.max() - frame.min())
        >>> shift = np.zeros((64, 64, 2), np.float32); shift[..., 0] = 1.5
        >>> moved = warp_image(frame, -shift)  # frame moved 1.5 px right
        >>> flow = horn_schunck(frame, moved)
        >>> bool(abs(np.median(flow[..., 0]) - 1.5) < 0.1)
        True
    """
    from oculi.flow._hs_blocked import jacobi_solve, sor_solve

    check_positive(alpha, "alpha")
    check_positive(epsilon, "epsilon")
    if not 0.0 < exponent <= 1.0:
        raise ParameterError(f"exponent: expected a number in (0, 1], got {exponent!r}")
    _check_coarse_to_fine(pyramid_scale, levels, min_size, warps, median_size)
    if not 0.0 < omega < 2.0:
        raise ParameterError(f"omega: expected a number in (0, 2), got {omega!r}")
    check_choice(channels, ("gray", "texture"), "channels")
    if not 0.0 <= texture < 1.0:
        raise ParameterError(f"texture: expected a number in [0, 1), got {texture!r}")
    if int(iterations) != iterations or iterations < 1:
        raise ParameterError(f"iterations: expected a positive integer, got {iterations!r}")
    check_choice(stencil, ("hs", "4"), "stencil")
    check_choice(solver, ("sor", "jacobi"), "solver")
    check_positive(tol, "tol", allow_zero=True)

    i1, i2 = gray_pair(image1, image2)
    h, w = i1.shape
    if channels == "texture":
        i1, i2 = _texture(i1, i2, texture)
    n = int(levels) if levels is not None else _n_levels(h, w, pyramid_scale, min_size)
    p1, p2 = _pyramid(i1, pyramid_scale, n), _pyramid(i2, pyramid_scale, n)
    we, wd = (np.float32(1 / 6), np.float32(1 / 12)) if stencil == "hs" else (np.float32(0.25),
                                                                               np.float32(0.0))
    a2, e2, ex = np.float32(alpha**2), np.float32(epsilon**2), np.float32(exponent)

    ch, cw = p1[-1].shape
    if initial_flow is not None:
        flow = _resize_flow(check_flow(initial_flow, "initial_flow", shape=(h, w)).copy(), ch, cw)
    else:
        flow = np.zeros((ch, cw, 2), np.float32)
    for lvl in range(n - 1, -1, -1):
        lh, lw = p1[lvl].shape
        if flow.shape[:2] != (lh, lw):
            flow = _resize_flow(flow, lh, lw)
        u = np.ascontiguousarray(flow[..., 0])
        v = np.ascontiguousarray(flow[..., 1])
        g1 = _derivs(p1[lvl])
        for _ in range(warps):
            ix, iy, it = _linearise(p1[lvl], p2[lvl], g1, u, v, blend)
            # the linearisation point (u0, v0) is the current flow: the solvers read it
            # before they change u, v
            if solver == "sor":
                sor_solve(u, v, u, v, ix, iy, it, a2, we, wd, omega, int(iterations), tol,
                          bool(robust), e2, ex)
            else:
                jacobi_solve(u, v, u, v, ix, iy, it, a2, we, wd, int(iterations),
                             bool(robust), e2, ex)
            if median_size > 1:
                import cv2

                u = cv2.medianBlur(u, median_size)
                v = cv2.medianBlur(v, median_size)
        flow = np.dstack([u, v])
    return np.ascontiguousarray(flow, np.float32)


methods.register("hs", horn_schunck, help="Horn–Schunck, coarse-to-fine with warping (oculi)",
                 aliases=("horn-schunck",))
