"""Correspondences between two images, by any feature method or pair matcher.

:func:`find_correspondences` is the one entry point for "which points of image 1 are which points
of image 2": every :data:`~oculi.features.methods.feature_methods` name (detect both images,
Lowe's ratio test) and every :data:`pair_matchers` name, whose entries match the two images
jointly or with their own matching rule:

* ``asift`` — affine view simulation around SIFT (:mod:`oculi.features.asift`) with the
  distinct-neighbour ratio test and duplicate removal: the option for extreme viewpoint changes;
* ``aliked-lightglue``, ``disk-lightglue`` — learned keypoints and the LightGlue matcher
  (:mod:`oculi.features.learned`; needs the optional ``learned`` extra).

    >>> from oculi.data import load
    >>> from oculi.geometry import estimate_homography
    >>> im = load("camera")
    >>> c = find_correspondences(im, im[::-1].copy(), "sift")
    >>> est = estimate_homography(c.xy1, c.xy2)
    >>> [round(v, 3) for v in est.model[1] / est.model[2, 2]]   # y -> 511 - y
    [0.0, -1.0, 511.0]
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from oculi.core.checks import check_positive
from oculi.core.errors import ParameterError
from oculi.core.registry import Registry
from oculi.features.methods import create_method, feature_methods


@dataclass
class Correspondences:
    """Matched points of two images.

    Attributes:
        xy1, xy2: ``(M, 2)`` float64 ``(x, y)`` pixels of image 1 and image 2.
        method: the feature method or pair matcher that produced them.
        keypoints: keypoints found in image 1 and image 2.
        seconds: wall time of detection and matching, seconds.
        score: ``(M,)`` float64 match quality, higher is better (method-specific: one minus the
            ratio for ratio tests, LightGlue's match probability).
    """

    xy1: np.ndarray
    xy2: np.ndarray
    method: str
    keypoints: tuple[int, int]
    seconds: float = 0.0
    score: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def __len__(self) -> int:
        return int(self.xy1.shape[0])

    def as_dict(self) -> dict[str, Any]:
        """Counts and timing, for JSON."""
        return {"method": self.method, "keypoints": list(self.keypoints), "matches": len(self),
                "seconds": self.seconds}


#: matchers that take two images: name -> factory(**params) -> callable(image1, image2) ->
#: (xy1, xy2, score, (n1, n2)); each entry's ``meta`` holds its comparison-table facts
pair_matchers: Registry[Any] = Registry("pair matcher")


@pair_matchers.register(
    "asift", help="ASIFT (SIFT on 43 affine-simulated views), distinct-neighbour ratio test",
    year=2009, detector="DoG on tilted/rotated views", orientation="gradient histogram",
    distance="L2, distinct 2nd neighbour", descriptor="128-d float")
def _asift_pairs(ratio: float = 0.8, radius: float = 4.0, **params: Any) -> Any:
    from oculi.features.asift import match_simulated

    method = create_method("asift", **params)

    def run(image1: Any, image2: Any) -> tuple:
        f1, f2 = method(image1), method(image2)
        m = match_simulated(f1, f2, ratio=ratio, radius=radius)
        a, b = m.points(f1, f2)
        return a, b, 1.0 - m.ratio.astype(np.float64), (len(f1), len(f2))

    return run


def _learned(features: str) -> Any:
    def factory(**params: Any) -> Any:
        from oculi.features.learned import LightGlueMatcher

        return LightGlueMatcher(features, **params)

    return factory


pair_matchers.register(
    "aliked-lightglue", help="ALIKED keypoints + LightGlue (learned; extra 'learned')",
    year=2023, detector="ALIKED (learned, deformable)", orientation="learned",
    distance="LightGlue (attention)", descriptor="128-d float")(_learned("aliked"))
pair_matchers.register(
    "disk-lightglue", help="DISK keypoints + LightGlue (learned; extra 'learned')",
    year=2023, detector="DISK (learned, U-Net)", orientation="learned",
    distance="LightGlue (attention)", descriptor="128-d float")(_learned("disk"))


def matcher_names() -> list[str]:
    """Every name :func:`find_correspondences` takes: pair matchers, then feature methods with
    descriptors."""
    described = [n for n in feature_methods.names() if n not in pair_matchers and n != "fast"]
    return [*pair_matchers.names(), *described]


def find_correspondences(
    image1: Any, image2: Any, method: str = "sift", *, ratio: float = 0.8,
    max_keypoints: int | None = None, **params: Any,
) -> Correspondences:
    """Matched points of two images by a feature method or a pair matcher.

    Args:
        image1, image2: HW or HWC images (uint8, uint16 or float in [0, 1]).
        method: a :data:`pair_matchers` name (``asift``, ``aliked-lightglue``,
            ``disk-lightglue``) or a :data:`feature_methods` name with descriptors (``sift``,
            ``surf``, ``orb``, ...); see :func:`matcher_names`.
        ratio: Lowe's ratio (feature methods and ``asift``; LightGlue has its own filter).
        max_keypoints: cap per image for ``sift``/``orb`` and the learned detectors.
        **params: parameters of the method or matcher.

    Returns:
        :class:`Correspondences`.

    Raises:
        UnknownNameError: a name that is neither.
        MissingDependencyError: a learned matcher without the ``learned`` extra installed.
    """
    from oculi.features.match import match_descriptors

    if not 0 < ratio <= 1:
        raise ParameterError(f"ratio: expected a number in (0, 1], got {ratio!r}")
    if max_keypoints is not None:
        check_positive(max_keypoints, "max_keypoints")
    t0 = time.perf_counter()
    if method in pair_matchers:
        name = pair_matchers.entry(method).name
        if name == "asift":
            params = {"ratio": ratio, **params}
        elif max_keypoints:
            params = {"max_keypoints": max_keypoints, **params}
        a, b, score, counts = pair_matchers.create(name, **params)(image1, image2)
    else:
        name = feature_methods.entry(method).name
        if max_keypoints and name in ("sift", "orb"):
            params = {"max_keypoints": max_keypoints, **params}
        det = create_method(name, **params)
        f1, f2 = det(image1), det(image2)
        m = match_descriptors(f1, f2, ratio=ratio)
        a, b = m.points(f1, f2)
        score, counts = 1.0 - m.ratio.astype(np.float64), (len(f1), len(f2))
    return Correspondences(np.asarray(a, np.float64).reshape(-1, 2),
                           np.asarray(b, np.float64).reshape(-1, 2), name, counts,
                           time.perf_counter() - t0, np.asarray(score, np.float64))
