"""SURF (Bay, Tuytelaars, Van Gool 2006/2008), implemented by oculi.

The pip builds of OpenCV exclude SURF (it lives in the "nonfree" module), so oculi has its own.
SURF may still be covered by patents in some countries for commercial use.

Pipeline (Bay et al., CVIU 2008):

1. integral image of the gray image scaled to [0, 1], doubled by bilinear interpolation first
   (``upsample=True``, the default; Lowe's SIFT does the same): an extra octave of filter sides
   4.5-13.5 input pixels finds the small blobs that the 9x9 filter misses. Measured on the shared
   HPatches viewpoint pairs (3 px): repeatability +4..9 points, correct matches x1.5-2, homography
   accuracy 0.6 -> 0.7-0.8, for 1.6x the time of the plain pyramid (docs/features.md);
2. fast-Hessian: ``det(H) = Dxx Dyy - (0.9 Dxy)^2`` from box filters of side 9, 15, 21, 27 (octave
   0), 15, 27, 39, 51 (octave 1), 27, 51, 75, 99 (octave 2), 51, 99, 147, 195 (octave 3), sampled
   every ``2 * step * 2**octave`` pixels (Bay et al.'s 2, 4, 8, 16; the extra octave every
   ``step``), determinant above ``threshold`` (1.5e-4 by default);
3. 3x3x3 non-maximum suppression over the two middle layers of each octave, above ``threshold``,
   refined by fitting a 3-D quadratic (sub-pixel position and sub-scale size); positions of
   coarsely sampled octaves are re-fitted on a ``step`` px grid (``refine``);
4. orientation: Haar responses (side 4 s) in a disc of radius 6 s, Gaussian weighted, summed in a
   sliding 60-degree window (skipped by upright U-SURF, whose angle is 0);
5. descriptor: a 4x4 grid of sub-regions of the oriented window, each contributing
   ``sum dx, sum |dx|, sum dy, sum |dy|`` (64-d) or the 128-d extended split, unit-normalised;
6. the sign of the Laplacian is kept for matching (only keypoints of equal sign are compared).

``s = 1.2 L / 9`` is the scale of a keypoint found with filter side ``L``; the reported keypoint
``size`` is ``L`` (pixels), as in OpenCV's SURF.

    >>> import numpy as np
    >>> from oculi.data import load
    >>> f = detect_and_describe_surf(load("camera"))
    >>> f.descriptors.shape[1], f.kind, f.norm, len(f) > 300
    (64, 'float', 'l2', True)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from oculi.core.checks import check_positive
from oculi.core.errors import ParameterError
from oculi.features._image import gray_float
from oculi.features.types import Features, Keypoints

#: default det(H) threshold for images scaled to [0, 1] (filters normalised by 1/L^2); with Bay et
#: al.'s sampling step of 2 px for the input's first octave this gives about as many keypoints,
#: and the same time, as 3e-4 with a 1 px step, and more of the weak blobs that carry the hard
#: viewpoint pairs (docs/features.md)
DEFAULT_THRESHOLD = 1.5e-4
#: SURF scale ``s`` per unit of filter side ``L`` (9x9 box ~ Gaussian sigma 1.2)
SCALE_PER_SIZE = 1.2 / 9.0


def _double(gray: np.ndarray) -> np.ndarray:
    """Bilinear 2x upsampling, pixel-centre aligned: output pixel ``x'`` samples ``(x' - 0.5) / 2``.

    ``(H, W)`` float32 -> ``(2H, 2W)`` float32 (edges replicated), as ``cv2.resize`` INTER_LINEAR.
    """
    import cv2

    h, w = gray.shape
    return cv2.resize(np.ascontiguousarray(gray, np.float32), (2 * w, 2 * h),
                      interpolation=cv2.INTER_LINEAR)


def _integral(gray: np.ndarray) -> np.ndarray:
    """``(H + 1, W + 1)`` float64 integral image, zero first row and column (``cv2.integral``,
    several times faster than two ``np.cumsum`` and bit-identical)."""
    import cv2

    return cv2.integral(np.ascontiguousarray(gray, np.float32), sdepth=cv2.CV_64F)


def filter_sizes(octave: int, intervals: int = 4) -> list[int]:
    """Box-filter sides ``L`` of one octave: ``3 * (2**(octave+1) * (i+1) + 1)``.

    >>> filter_sizes(0), filter_sizes(1)
    ([9, 15, 21, 27], [15, 27, 39, 51])
    """
    return [3 * ((2 ** (octave + 1)) * (i + 1) + 1) for i in range(intervals)]


def fast_hessian(
    integral: np.ndarray, *, octaves: int = 4, intervals: int = 4, step: int = 1,
    threshold: float = DEFAULT_THRESHOLD, max_offset: float = 1.0, dense_octaves: int = 1,
    refine_step: int = 0,
) -> np.ndarray:
    """Scale-space maxima of the box-filter Hessian determinant.

    Args:
        integral: ``(H + 1, W + 1)`` float64 integral image (row 0 and column 0 are zeros).
        octaves: number of octaves (1..6).
        intervals: filters per octave (>= 3); maxima are searched in the inner ones.
        step: sampling step of octave 0 in pixels (doubles every octave).
        threshold: minimum determinant response.
        max_offset: largest interpolation offset (in grid samples / layers) that is accepted.
        dense_octaves: how many octaves are sampled at ``step``; later ones double it each time.
        refine_step: when > 0, maxima of octaves sampled more coarsely than this (pixels) get
            their position re-fitted on a grid of this spacing (:func:`refine_positions`).

    Returns:
        ``(N, 6)`` float32 rows ``x, y, size L, response, laplacian sign, octave``.
    """
    from oculi.features import _surf_kernels as k

    h, w = integral.shape[0] - 1, integral.shape[1] - 1
    found: list[np.ndarray] = []
    coarse: list[np.ndarray] = []  # per maximum: the three filter sides, whether to re-fit
    prev: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    prev_step = 0
    for o in range(octaves):
        sizes = filter_sizes(o, intervals)
        st = step * 2 ** max(o - dense_octaves + 1, 0)
        rows, cols = (h + st - 1) // st, (w + st - 1) // st
        if rows < 3 or cols < 3 or sizes[-1] >= min(h, w):
            break
        dets = np.empty((len(sizes), rows, cols), np.float32)
        signs = np.empty((len(sizes), rows, cols), np.int8)
        # layers shared with the previous octave at the same step or half of it are reused
        sub = st // prev_step if prev_step and st in (prev_step, 2 * prev_step) else 0
        reuse = [i for i, L in enumerate(sizes) if L in prev and sub]
        todo = [i for i in range(len(sizes)) if i not in reuse]
        for i in reuse:
            dets[i] = prev[sizes[i]][0][::sub, ::sub]
            signs[i] = prev[sizes[i]][1][::sub, ::sub]
        if todo:
            d_new = np.empty((len(todo), rows, cols), np.float32)
            s_new = np.empty((len(todo), rows, cols), np.int8)
            k.hessian_octave(integral, np.array([sizes[i] for i in todo], np.int64), st,
                             d_new, s_new)
            dets[todo] = d_new
            signs[todo] = s_new
        prev = {L: (dets[i], signs[i]) for i, L in enumerate(sizes)}
        prev_step = st
        for m in range(1, intervals - 1):
            margin = (sizes[m + 1] - 1) // 2 // st + 2
            out = np.empty((rows * cols // 4 + 16, 5), np.float32)
            n = k.find_extrema(
                dets[m - 1], dets[m], dets[m + 1], signs[m], st, sizes[m],
                sizes[m] - sizes[m - 1], margin, threshold, max_offset, out,
            )
            if n:
                found.append(np.column_stack([out[:n], np.full(n, o, np.float32)]))
                coarse.append(np.tile([sizes[m - 1], sizes[m], sizes[m + 1],
                                       int(0 < refine_step < st)], (n, 1)))
    if not found:
        return np.zeros((0, 6), np.float32)
    pts = np.concatenate(found)
    sel = np.concatenate(coarse)
    todo = np.flatnonzero(sel[:, 3])
    if len(todo):  # one serial call for every maximum of a coarse octave
        xs = pts[todo, 0].astype(np.float64)
        ys = pts[todo, 1].astype(np.float64)
        s3 = np.ascontiguousarray(sel[todo, :3], np.int64)
        k.refine_positions(integral, xs, ys, s3[:, 0].copy(), s3[:, 1].copy(), s3[:, 2].copy(),
                           refine_step, 4)
        pts[todo, 0] = xs
        pts[todo, 1] = ys
    return pts


def detect_and_describe_surf(
    image: Any,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    octaves: int = 4,
    intervals: int = 4,
    step: int = 1,
    upright: bool = False,
    extended: bool = False,
    modified: bool = True,
    max_keypoints: int | None = None,
    max_offset: float = 1.0,
    dense_octaves: int = 0,
    upsample: bool = True,
    refine: bool = True,
    describe: bool = True,
) -> Features:
    """Detect SURF keypoints and compute their descriptors.

    Args:
        image: HW or HWC image, uint8/uint16 or float in [0, 1]; colour is converted to gray.
        threshold: minimum Hessian determinant (image scaled to [0, 1]); lower gives more points.
        octaves: number of octaves (4 in Bay et al.).
        intervals: filters per octave (4 in Bay et al.).
        step: sampling step of the first octave in pixels (1 or 2; Bay et al. use 2).
        upright: U-SURF: no orientation (angle 0), faster, not rotation invariant.
        extended: 128-d descriptor instead of 64-d.
        modified: M-SURF window (24 s, overlapping sub-regions, two Gaussians; Agrawal et al.
            2008) instead of Bay's 20 s window; both are 4x4 sub-regions of dx, |dx|, dy, |dy|.
        max_keypoints: keep only the strongest ones (by response) when given.
        max_offset: reject maxima whose interpolated offset exceeds this (grid samples/layers).
        dense_octaves: octaves of the input sampled at ``step``; later ones double it. The
            default 0 samples the first octave every ``2 * step`` px as Bay et al. (step 2),
            the extra octave of ``upsample`` every ``step`` px. Measured on the shared HPatches
            pairs, 0 with threshold 1.5e-4 beats 1 with 3e-4 at the same time (3 px homography
            accuracy 0.8 in every seed / grey conversion vs 0.7-0.8; docs/features.md).
        upsample: add an octave below Bay et al.'s first one, as Lowe does for SIFT: the scale
            space is built on the image doubled by bilinear interpolation, so the extra octave
            covers filter sides 4.5-13.5 px of the input (blobs too small for the 9x9 filter),
            sampled every input pixel; the ``octaves`` octaves of the input keep their filter
            sides and steps, and orientation and descriptor sample the doubled image (finer
            rounding of small scales). Positions and sizes are reported in input pixels.
        refine: re-fit the position of maxima from octaves sampled coarser than ``step`` on a
            grid of ``step`` px (:func:`oculi.features._surf_kernels.refine_positions`): the
            quadratic through samples 2+ px apart is biased (a sigma-3 blob: 0.13 px off
            instead of 0.01 px). A few ms per image.
        describe: compute descriptors (otherwise ``descriptors`` is ``None``).

    Returns:
        :class:`Features` with ``(N, 64)`` / ``(N, 128)`` float32 unit descriptors, ``norm="l2"``,
        ``laplacian`` signs, keypoint ``size`` = filter side ``L`` in pixels, ``angle`` in degrees.

    Raises:
        ParameterError: a non-positive threshold, octave count or step.
    """
    check_positive(threshold, "threshold", allow_zero=True)
    if not 1 <= octaves <= 6:
        raise ParameterError(f"octaves: expected 1..6, got {octaves}")
    if intervals < 3:
        raise ParameterError(f"intervals: expected >= 3, got {intervals}")
    if step < 1:
        raise ParameterError(f"step: expected an integer >= 1, got {step}")
    gray = gray_float(image)
    h, w = gray.shape
    dim = 128 if extended else 64
    name = "usurf" if upright else "surf"
    meta = {"extended": extended, "upright": upright}

    def _empty() -> Features:
        d = np.zeros((0, dim), np.float32) if describe else None
        return Features(
            Keypoints.empty(), d, "float" if describe else None, "l2" if describe else None,
            name, (h, w), np.zeros(0, np.int8), meta,
        )

    if h < 3 or w < 3:
        return _empty()
    f = 2 if upsample else 1
    if upsample:
        gray = _double(gray)
    integral = _integral(gray)
    pts = fast_hessian(
        integral, octaves=octaves + f - 1, intervals=intervals, step=step * f,
        threshold=threshold, max_offset=max_offset, dense_octaves=dense_octaves + f - 1,
        refine_step=step * f if refine else 0,
    )
    if max_keypoints is not None and len(pts) > max_keypoints:
        keep = np.argsort(-pts[:, 3], kind="stable")[:max_keypoints]
        pts = pts[np.sort(keep)]
    if len(pts) == 0:
        return _empty()
    from oculi.features import _surf_kernels as k

    x = np.ascontiguousarray(pts[:, 0], np.float64)
    y = np.ascontiguousarray(pts[:, 1], np.float64)
    scale = SCALE_PER_SIZE * pts[:, 2].astype(np.float64)
    angle = np.zeros(len(pts), np.float64)
    if not upright:
        k.orientations(integral, x, y, scale, angle)
    desc = None
    if describe:
        desc = np.empty((len(pts), dim), np.float32)
        k.descriptors(integral, x, y, scale, angle, extended, modified, desc)
    deg = np.mod(np.degrees(angle), 360.0)
    # doubled image: input x = (x' - 0.5) / 2 (pixel centres; see _double); octave -1 is the extra
    xy = (pts[:, :2] - 0.5 * (f - 1)) / f
    kps = Keypoints(xy, pts[:, 2] / f, deg, pts[:, 3], pts[:, 5].astype(np.int32) - (f - 1))
    return Features(
        kps, desc, "float" if describe else None, "l2" if describe else None, name, (h, w),
        pts[:, 4].astype(np.int8), meta,
    )
