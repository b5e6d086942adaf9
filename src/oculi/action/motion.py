"""The classical action baseline: motion-energy and motion-history images with Hu moments.

Bobick & Davis (2001): mark where something moved in each frame (``D_t``: thresholded frame
differences, or binary silhouettes directly), then let the marks fade:
``MHI_t(x) = tau if D_t(x) else max(MHI_{t-1}(x) - 1, 0)``. The motion-energy image is where the
history is non-zero (``MEI = MHI > 0``). The seven Hu moments of MEI and MHI, log-scaled, describe
a clip with 14 numbers; a nearest-neighbour (k=1 on standardised features, numpy) or an SVM
(scikit-learn, optional) labels them.

    >>> import numpy as np
    >>> masks = np.zeros((4, 1, 4), bool)
    >>> for t in range(4):
    ...     masks[t, 0, t] = True          # a dot moving right, one pixel per frame
    >>> motion_history(masks, tau=4)[0].tolist()
    [0.25, 0.5, 0.75, 1.0]
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from oculi.action.clips import ClipItem, load_clip
from oculi.core.checks import check_choice, check_in_range
from oculi.core.errors import DataError, MissingDependencyError, ParameterError, ShapeError

SOURCES = ("auto", "silhouette", "difference")
CLASSIFIERS = ("knn", "svm")
#: Hu moments smaller than this in magnitude count as 0 (see :func:`hu_moments`)
HU_FLOOR = 1e-20


def _is_binary(frames: np.ndarray) -> bool:
    return frames.dtype == bool or (frames.dtype == np.uint8 and int(frames.max(initial=0)) <= 1)


def _gray01(frames: np.ndarray) -> np.ndarray:
    """(T, H, W[, 3]) uint8 / float [0, 1] / bool -> (T, H, W) float32 in [0, 1]."""
    f = frames.astype(np.float32)
    if frames.dtype == np.uint8 and not _is_binary(frames):
        f /= 255.0
    if f.ndim == 4:
        f = f[..., :3] @ np.array([0.299, 0.587, 0.114], np.float32)
    return f


def _shrink(gray: np.ndarray, max_side: int | None) -> np.ndarray:
    h, w = gray.shape[1:]
    if max_side is None or max(h, w) <= max_side:
        return gray
    s = max_side / max(h, w)
    size = (max(1, round(w * s)), max(1, round(h * s)))
    return np.stack([cv2.resize(g, size, interpolation=cv2.INTER_AREA) for g in gray])


def motion_masks(frames: np.ndarray, *, source: str = "auto", threshold: float = 0.03,
                 blur: int = 5, open_size: int = 3, max_side: int | None = 160) -> np.ndarray:
    """Per-frame motion masks ``D_t`` of a clip.

    Args:
        frames: ``(T, H, W)`` or ``(T, H, W, 3)``: uint8 RGB/gray, float in [0, 1], or binary
            silhouettes (bool, or uint8 in {0, 1}).
        source: ``silhouette`` (the masks are the silhouettes, T of them), ``difference``
            (``|I_t - I_{t-1}| >= threshold`` on blurred gray frames, T - 1 masks, opened by a
            ``open_size`` square to drop speckle) or ``auto`` (silhouette for binary input).
        threshold: frame-difference threshold in gray levels of [0, 1].
        blur: Gaussian kernel size (odd pixels, 0 or 1: none) before differencing.
        open_size: side of the morphological opening of each mask (0 or 1: none).
        max_side: frames are shrunk (area interpolation) so their longer side is at most this
            many pixels; ``None`` keeps the size.

    Returns:
        ``(T', h, w)`` bool masks.

    Raises:
        ShapeError: not a (T, H, W[, 3]) array, or too few frames for ``source``.
        ParameterError: a bad option.
    """
    frames = np.asarray(frames)
    if frames.ndim not in (3, 4) or (frames.ndim == 4 and frames.shape[-1] not in (1, 3, 4)):
        raise ShapeError(f"frames: expected (T, H, W) or (T, H, W, 3), got {frames.shape}")
    check_choice(source, SOURCES, "source")
    check_in_range(threshold, "threshold", 0.0, 1.0)
    if frames.ndim == 4 and frames.shape[-1] == 1:
        frames = frames[..., 0]
    if source == "auto":
        source = "silhouette" if frames.ndim == 3 and _is_binary(frames) else "difference"
    gray = _shrink(_gray01(frames), max_side)
    if source == "silhouette":
        if len(gray) < 1:
            raise ShapeError("frames: no frames")
        return gray >= 0.5
    if len(gray) < 2:
        raise ShapeError(f"frames: frame differencing needs two frames or more, got {len(gray)}")
    if blur > 1:
        k = blur | 1
        gray = np.stack([cv2.GaussianBlur(g, (k, k), 0) for g in gray])
    masks = (np.abs(np.diff(gray, axis=0)) >= threshold).astype(np.uint8)
    if open_size > 1:
        kernel = np.ones((open_size, open_size), np.uint8)
        masks = np.stack([cv2.morphologyEx(m, cv2.MORPH_OPEN, kernel) for m in masks])
    return masks.astype(bool)


def motion_history(masks: np.ndarray, tau: int | None = None) -> np.ndarray:
    """Motion-history image after the last mask.

    Args:
        masks: ``(T, H, W)`` bool motion masks, oldest first.
        tau: frames a mark lasts (``None``: T, the whole clip).

    Returns:
        ``(H, W)`` float32 in [0, 1]: ``MHI / tau``; 1 where the last mask is set, ``1 - a/tau``
        where motion was last seen ``a`` frames before the end, 0 where none in ``tau`` frames.
    """
    masks = np.asarray(masks, dtype=bool)
    if masks.ndim != 3 or len(masks) == 0:
        raise ShapeError(f"masks: expected (T, H, W) with T >= 1, got {masks.shape}")
    t = len(masks)
    tau = t if tau is None else int(tau)
    if tau < 1:
        raise ParameterError(f"tau: expected a positive number of frames, got {tau}")
    steps = np.arange(1, t + 1, dtype=np.int64)[:, None, None]
    last = (masks * steps).max(axis=0)                    # 1-based frame of the latest motion
    age = np.where(last > 0, t - last, tau)               # frames since then
    return (np.clip(tau - age, 0, tau) / tau).astype(np.float32)


def motion_energy(masks: np.ndarray, tau: int | None = None) -> np.ndarray:
    """Motion-energy image: ``(H, W)`` bool, set where any of the last ``tau`` masks is set."""
    return motion_history(masks, tau) > 0


def hu_moments(image: np.ndarray) -> np.ndarray:
    """The seven Hu moments of an image, log-scaled: ``-sign(h) * log10(|h|)``.

    A moment below ``HU_FLOOR`` in magnitude is rounding noise (a symmetric shape's odd moments
    come out as 1e-30 or exactly 0 depending on its orientation) and maps to 0.

    Args:
        image: ``(H, W)`` bool or float (intensity-weighted moments).

    Returns:
        ``(7,)`` float64.
    """
    h = cv2.HuMoments(cv2.moments(np.asarray(image, dtype=np.float32))).ravel()
    out = np.zeros(7)
    nz = np.abs(h) >= HU_FLOOR
    out[nz] = -np.sign(h[nz]) * np.log10(np.abs(h[nz]))
    return out


def _nearest(train: np.ndarray, labels: np.ndarray, query: np.ndarray, k: int) -> np.ndarray:
    """Majority vote of the k nearest training rows (ties: the class of the nearer one)."""
    d = ((query[:, None, :] - train[None, :, :]) ** 2).sum(-1)
    order = np.argsort(d, axis=1, kind="stable")[:, :k]
    out = np.empty(len(query), dtype=np.int64)
    for i, row in enumerate(labels[order]):
        counts = np.bincount(row)
        best = np.flatnonzero(counts == counts.max())
        out[i] = next(c for c in row if c in best)
    return out


class MotionHistoryClassifier:
    """Motion-history baseline: Hu moments of MEI and MHI, then k-NN or an SVM.

    Args:
        source, threshold, blur, open_size, max_side: how motion masks are made
            (:func:`motion_masks`).
        tau: motion-history duration in frames (``None``: the whole clip).
        classifier: ``knn`` (numpy, standardised features) or ``svm`` (scikit-learn's RBF SVC
            on standardised features; needs scikit-learn).
        k: neighbours for ``knn``.
        c: the SVM's regularisation constant.

    Attributes (after :meth:`fit`):
        classes_: the sorted distinct labels; :meth:`predict` returns values from it.
    """

    def __init__(self, *, source: str = "auto", tau: int | None = None, threshold: float = 0.03,
                 blur: int = 5, open_size: int = 3, max_side: int | None = 160,
                 classifier: str = "knn", k: int = 1, c: float = 10.0) -> None:
        check_choice(source, SOURCES, "source")
        check_choice(classifier, CLASSIFIERS, "classifier")
        if k < 1:
            raise ParameterError(f"k: expected a positive integer, got {k}")
        self.mask_options = {"source": source, "threshold": threshold, "blur": blur,
                             "open_size": open_size, "max_side": max_side}
        self.tau, self.classifier, self.k, self.c = tau, classifier, k, c
        self.classes_: np.ndarray | None = None

    def features(self, clip: np.ndarray | ClipItem | str) -> np.ndarray:
        """``(14,)`` float64: log Hu moments of the MEI (first 7) and the MHI (last 7)."""
        frames = clip if isinstance(clip, np.ndarray) else load_clip(clip)
        masks = motion_masks(frames, **self.mask_options)
        mhi = motion_history(masks, self.tau)
        return np.concatenate([hu_moments(mhi > 0), hu_moments(mhi)])

    def features_of(self, clips: Sequence[np.ndarray | ClipItem | str]) -> np.ndarray:
        """``(N, 14)`` features of many clips."""
        return np.stack([self.features(c) for c in clips])

    def fit(self, clips: Sequence[np.ndarray | ClipItem | str],
            labels: Sequence[object] | np.ndarray) -> MotionHistoryClassifier:
        """Learn from clips (arrays, :class:`ClipItem` or paths) and their labels."""
        return self.fit_features(self.features_of(clips), labels)

    def predict(self, clips: Sequence[np.ndarray | ClipItem | str]) -> np.ndarray:
        """Labels of clips, ``(N,)`` values of :attr:`classes_`."""
        return self.predict_features(self.features_of(clips))

    def fit_features(self, features: np.ndarray,
                     labels: Sequence[object] | np.ndarray) -> MotionHistoryClassifier:
        """Learn from precomputed ``(N, 14)`` features (see :meth:`features_of`)."""
        x = np.asarray(features, dtype=np.float64)
        y = np.asarray(labels)
        if x.ndim != 2 or len(x) != len(y) or len(x) == 0:
            raise DataError(f"features: expected (N, D) with N = len(labels) = {len(y)} > 0, "
                            f"got {x.shape}")
        self.classes_, self._y = np.unique(y, return_inverse=True)
        self._mean = x.mean(axis=0)
        std = x.std(axis=0)
        self._std = np.where(std > 1e-12, std, 1.0)
        self._x = (x - self._mean) / self._std
        if self.classifier == "svm":
            try:
                from sklearn.svm import SVC
            except ImportError:
                raise MissingDependencyError("classifier='svm' needs scikit-learn — "
                                             "pip install scikit-learn, or use 'knn'") from None
            self._svm = SVC(C=self.c, kernel="rbf", gamma="scale").fit(self._x, self._y)
        return self

    def predict_features(self, features: np.ndarray) -> np.ndarray:
        """Labels of precomputed ``(N, 14)`` features."""
        if self.classes_ is None:
            raise DataError("MotionHistoryClassifier: call fit() before predict()")
        q = (np.asarray(features, dtype=np.float64) - self._mean) / self._std
        if self.classifier == "svm":
            idx = self._svm.predict(q)
        else:
            idx = _nearest(self._x, self._y, q, self.k)
        return self.classes_[idx]
