"""One API for every detector/descriptor: a registry of methods, each a callable image -> Features.

The registry is :data:`feature_methods` (``feature_methods.names()``): SIFT, SURF (oculi's own,
see :mod:`oculi.features.surf`), upright SURF, FAST (corners only, no descriptor), BRIEF on
CenSurE/STAR, ORB, BRISK and AKAZE. All but SURF wrap OpenCV (SIFT's positions corrected by
:data:`SIFT_XY_OFFSET`). Each entry carries the facts of the comparison table as metadata
(``year``, ``detector``, ``orientation``, ``distance``, ``descriptor``; :func:`method_info`).

    >>> import numpy as np
    >>> from oculi.data import load
    >>> f = detect_and_describe(load("camera"), "orb")
    >>> f.kind, f.norm, f.descriptors.dtype, f.descriptors.shape[1]
    ('binary', 'hamming', dtype('uint8'), 32)
    >>> detect_and_describe(np.zeros((1, 1), np.uint8), "sift").keypoints.xy.shape
    (0, 2)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from oculi.core.checks import check_image
from oculi.core.deprecation import moved_names
from oculi.core.errors import ParameterError
from oculi.core.registry import Registry
from oculi.features._image import gray_uint8
from oculi.features.types import Features, Keypoints

#: smallest side (pixels) on which the OpenCV methods are run; smaller images give no keypoints
_MIN_SIDE = 8


def _check_finite(image: Any, name: str = "image") -> Any:
    """Reject a float image with NaN/inf (it would give 0 keypoints silently); one
    ``np.isfinite`` pass for float arrays, nothing for integer ones."""
    if isinstance(image, np.ndarray) and image.dtype.kind == "f":
        check_image(image, name, min_size=0, finite=True)
    return image


@dataclass
class FeatureMethod:
    """A configured detector (+ descriptor). Call it on an image to get :class:`Features`.

    Attributes:
        name: registry name.
        params: the parameters it was created with.
        info: table facts (year, detector, orientation, distance, descriptor).
    """

    name: str
    params: dict[str, Any] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)

    def __call__(self, image: Any) -> Features:  # pragma: no cover - overridden
        raise NotImplementedError

    def detect(self, image: Any) -> Keypoints:
        """Keypoints only (descriptors computed and dropped for OpenCV's joint methods)."""
        return self(image).keypoints


class _OpenCVMethod(FeatureMethod):
    """A method built from an OpenCV detector and (optionally) a descriptor extractor."""

    def __init__(
        self, name: str, params: dict[str, Any], info: dict[str, Any], detector: Any,
        extractor: Any | None, kind: str | None, norm: str | None, joint: bool,
    ) -> None:
        super().__init__(name, params, info)
        self._detector = detector
        self._extractor = extractor
        self._kind = kind
        self._norm = norm
        self._joint = joint

    def _features(self, image: Any, describe: bool) -> Features:
        gray = gray_uint8(_check_finite(image))
        h, w = gray.shape
        kps: Any = ()
        desc = None
        if min(h, w) >= _MIN_SIDE:
            if self._extractor is None or not describe:
                kps = self._detector.detect(gray, None)
            elif self._joint:
                kps, desc = self._detector.detectAndCompute(gray, None)
            else:
                kps = self._detector.detect(gray, None)
                kps, desc = self._extractor.compute(gray, kps)
        has_desc = self._extractor is not None and describe
        if has_desc and (desc is None or len(kps) == 0):
            width = self._extractor.descriptorSize()
            dtype = np.float32 if self._kind == "float" else np.uint8
            desc = np.zeros((0, width), dtype)
        return Features(
            self._keypoints(kps, gray), desc if has_desc else None,
            self._kind if has_desc else None, self._norm if has_desc else None,  # type: ignore[arg-type]
            self.name, (h, w),
        )

    def _keypoints(self, kps: Any, gray: np.ndarray) -> Keypoints:
        return Keypoints.from_cv(kps)

    def __call__(self, image: Any) -> Features:
        return self._features(image, True)

    def detect(self, image: Any) -> Keypoints:
        return self._features(image, False).keypoints


class _FastMethod(_OpenCVMethod):
    """FAST without per-keypoint Python: OpenCV's FAST keypoints all have size 7, no angle and
    octave 0, so only the positions (``cv2.KeyPoint_convert``, C++) are read back and the
    response (the FAST score, which OpenCV computes for non-maximum suppression) is recomputed
    by a compiled kernel from the image; tests check equality with OpenCV's values."""

    _SIZE = 7.0

    def __call__(self, image: Any) -> Features:  # the short path of _features (no descriptor)
        gray = gray_uint8(_check_finite(image))
        h, w = gray.shape
        kps = self._detector.detect(gray, None) if min(h, w) >= _MIN_SIDE else ()
        return Features(self._keypoints(kps, gray), None, None, None, self.name, (h, w))

    def _keypoints(self, kps: Any, gray: np.ndarray) -> Keypoints:
        if not self.params.get("nonmax", True):  # no score without suppression: OpenCV's 0
            return Keypoints.from_cv(kps)
        from oculi.features._fast_score import fast_scores

        n = len(kps)
        if n == 0:
            return Keypoints.empty()
        xy = np.ascontiguousarray(_cv2().KeyPoint_convert(kps).reshape(n, 2), np.float32)
        return Keypoints._trusted(xy, np.full(n, self._SIZE, np.float32),
                                  np.full(n, np.nan, np.float32), fast_scores(gray, xy),
                                  np.zeros(n, np.int32))


#: OpenCV's SIFT doubles the image with pixel centres aligned but halves the doubled coordinates
#: without the half-pixel term, so it reports ``x + 0.25`` (both axes; measured by detecting on an
#: image and on its 180-degree rotation, whose positions must mirror: +0.250 px; ORB +0.03, the
#: other methods 0.00). The ``sift`` method subtracts it: every consumer gets pixel-centre
#: positions. Descriptors are OpenCV's, computed at OpenCV's positions.
SIFT_XY_OFFSET = 0.25


class _SiftMethod(_OpenCVMethod):
    """OpenCV's SIFT with its keypoints moved to the pixel-centre convention."""

    def _keypoints(self, kps: Any, gray: np.ndarray) -> Keypoints:
        k = Keypoints.from_cv(kps)
        return Keypoints._trusted(k.xy - np.float32(SIFT_XY_OFFSET), k.size, k.angle,
                                  k.response, k.octave)


class _SurfMethod(FeatureMethod):
    def __call__(self, image: Any) -> Features:
        from oculi.features.surf import detect_and_describe_surf

        f = detect_and_describe_surf(_check_finite(image), **self.params)
        return Features(f.keypoints, f.descriptors, f.kind, f.norm, self.name, f.image_size,
                        f.laplacian, f.meta)

    def detect(self, image: Any) -> Keypoints:
        from oculi.features.surf import detect_and_describe_surf

        return detect_and_describe_surf(_check_finite(image), **self.params,
                                        describe=False).keypoints


#: every detector/descriptor by name; each entry's ``meta`` holds its comparison-table facts.
#: (Not named ``methods``: a package attribute named like the module ``oculi.features.methods``
#: would hide the module.)
feature_methods: Registry[Any] = Registry("feature method")


#: the registry's old name, in this module only (a package attribute would hide the module)
__getattr__ = moved_names(__name__, {"methods": "oculi.features.methods:feature_methods"})


def _cv2() -> Any:
    import cv2

    return cv2


def _info(year: int, detector: str, orientation: str, distance: str, descriptor: str) -> dict:
    """The comparison-table facts of a method, registered as its entry's metadata."""
    return {"year": year, "detector": detector, "orientation": orientation,
            "distance": distance, "descriptor": descriptor}


def _facts(name: str) -> dict[str, Any]:
    return dict(feature_methods.entry(name).meta)


def _check_known(params: dict[str, Any], allowed: set[str], name: str) -> None:
    bad = sorted(set(params) - allowed)
    if bad:
        raise ParameterError(
            f"{name}: unknown parameter(s) {', '.join(bad)}; expected {', '.join(sorted(allowed))}"
        )


@feature_methods.register(
    "sift", help="SIFT (Lowe 1999/2004) via OpenCV: DoG detector, 128-d float",
    **_info(1999, "difference of Gaussians", "gradient histogram", "L2", "128-d float"))
def _sift(max_keypoints: int = 0, contrast_threshold: float = 0.04, edge_threshold: float = 10,
          sigma: float = 1.6) -> FeatureMethod:
    cv2 = _cv2()
    det = cv2.SIFT_create(nfeatures=int(max_keypoints or 0), contrastThreshold=contrast_threshold,
                          edgeThreshold=edge_threshold, sigma=sigma)
    return _SiftMethod("sift", {"max_keypoints": max_keypoints}, _facts("sift"), det, det,
                       "float", "l2", True)


@feature_methods.register(
    "surf", help="SURF (Bay et al. 2006), oculi's own: fast Hessian, 64-d float",
    **_info(2006, "fast Hessian (box filters)", "Haar, 60° window", "L2", "64-d float"))
def _surf(**params: Any) -> FeatureMethod:
    import inspect

    from oculi.features.surf import detect_and_describe_surf

    allowed = set(inspect.signature(detect_and_describe_surf).parameters) - {"image", "describe"}
    _check_known(params, allowed, "surf")
    upright = bool(params.get("upright", False))
    return _SurfMethod("usurf" if upright else "surf", params,
                       _facts("usurf" if upright else "surf"))


@feature_methods.register(
    "usurf", help="U-SURF: upright SURF (no orientation), oculi's own",
    **_info(2006, "fast Hessian (box filters)", "none (upright)", "L2", "64-d float"))
def _usurf(**params: Any) -> FeatureMethod:
    return _surf(**{**params, "upright": True})


@feature_methods.register(
    "fast", help="FAST corners (Rosten & Drummond 2006) via OpenCV; no descriptor",
    **_info(2006, "FAST-9 segment test", "none", "–", "none"))
def _fast(threshold: int = 20, nonmax: bool = True) -> FeatureMethod:
    cv2 = _cv2()
    det = cv2.FastFeatureDetector_create(threshold=int(threshold), nonmaxSuppression=nonmax)
    return _FastMethod("fast", {"threshold": threshold, "nonmax": nonmax}, _facts("fast"), det,
                       None, None, None, False)


@feature_methods.register(
    "brief", help="BRIEF (Calonder et al. 2010) on CenSurE/STAR keypoints, OpenCV",
    **_info(2010, "CenSurE (STAR)", "none", "Hamming", "256-bit binary"))
def _brief(bytes: int = 32, max_size: int = 45, response_threshold: int = 30) -> FeatureMethod:
    cv2 = _cv2()
    det = cv2.xfeatures2d.StarDetector_create(maxSize=max_size,
                                              responseThreshold=response_threshold)
    ext = cv2.xfeatures2d.BriefDescriptorExtractor_create(bytes=int(bytes))
    return _OpenCVMethod("brief", {"bytes": bytes}, _facts("brief"), det, ext, "binary",
                         "hamming", False)


@feature_methods.register(
    "orb", help="ORB (Rublee et al. 2011) via OpenCV: oFAST + rBRIEF",
    **_info(2011, "oFAST (FAST + Harris, pyramid)", "intensity centroid", "Hamming",
            "256-bit rBRIEF"))
def _orb(max_keypoints: int = 2000, scale_factor: float = 1.2, levels: int = 8,
         fast_threshold: int = 20) -> FeatureMethod:
    cv2 = _cv2()
    det = cv2.ORB_create(nfeatures=int(max_keypoints), scaleFactor=scale_factor, nlevels=levels,
                         fastThreshold=fast_threshold)
    return _OpenCVMethod("orb", {"max_keypoints": max_keypoints}, _facts("orb"), det, det,
                         "binary", "hamming", True)


@feature_methods.register(
    "brisk", help="BRISK (Leutenegger et al. 2011) via OpenCV contrib",
    **_info(2011, "AGAST, scale space", "long-pair gradients", "Hamming", "512-bit binary"))
def _brisk(threshold: int = 30, octaves: int = 3) -> FeatureMethod:
    cv2 = _cv2()
    det = cv2.xfeatures2d.BRISK_create(thresh=int(threshold), octaves=int(octaves))
    return _OpenCVMethod("brisk", {"threshold": threshold}, _facts("brisk"), det, det, "binary",
                         "hamming", True)


@feature_methods.register(
    "akaze", help="AKAZE (Alcantarilla et al. 2013) via OpenCV contrib",
    **_info(2013, "nonlinear (FED) Hessian", "gradient sectors", "Hamming", "486-bit M-LDB"))
def _akaze(threshold: float = 0.001) -> FeatureMethod:
    cv2 = _cv2()
    det = cv2.xfeatures2d.AKAZE_create(threshold=threshold)
    return _OpenCVMethod("akaze", {"threshold": threshold}, _facts("akaze"), det, det, "binary",
                         "hamming", True)


def create_method(name: str, **params: Any) -> FeatureMethod:
    """A configured :class:`FeatureMethod` by registry name (``feature_methods.names()``).

    Raises:
        UnknownNameError: an unknown name; the message lists the known ones.
        ParameterError / TypeError: a parameter the method does not take.
    """
    return feature_methods.create(name, **params)


def detect_and_describe(image: Any, method: str = "sift", **params: Any) -> Features:
    """Detect keypoints and compute descriptors with one registered method.

    Args:
        image: HW or HWC array, uint8/uint16 or float in [0, 1]; colour is converted to gray
            (BT.601). Empty or tiny images (< 8 px a side for OpenCV methods) give no keypoints.
            A float image with NaN or inf values is a ``ValueRangeError``.
        method: a :data:`feature_methods` name (``feature_methods.names()``).
        **params: method parameters (e.g. ``max_keypoints`` for sift/orb, ``threshold``).

    Returns:
        :class:`Features`; ``descriptors`` is ``None`` for ``fast``.
    """
    return create_method(method, **params)(image)


def detect_keypoints(image: Any, method: str = "sift", **params: Any) -> Keypoints:
    """Keypoints only; see :func:`detect_and_describe` for the arguments."""
    return create_method(method, **params).detect(image)


def method_info(name: str) -> dict[str, Any]:
    """Table facts of a method: ``year``, ``detector``, ``orientation``, ``distance``,
    ``descriptor``."""
    return _facts(name)
