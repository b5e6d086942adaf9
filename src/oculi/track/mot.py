"""Multi-object tracking by detection: SORT and ByteTrack behind one interface.

Both trackers take one frame's detections at a time and return the tracks alive in that frame::

    tracker.update(boxes (N, 4) xyxy, scores (N,), classes (N,) or None) -> list[Track]

* :class:`SortTracker` — Bewley et al., "Simple Online and Realtime Tracking" (ICIP 2016):
  Kalman prediction, IoU between predicted tracks and detections, Hungarian assignment, matches
  below ``iou_threshold`` rejected; a track is reported after ``min_hits`` consecutive matches
  (or during the first ``min_hits`` frames) and deleted after ``max_age`` frames unmatched.
* :class:`ByteTracker` — Zhang et al., "ByteTrack: Multi-Object Tracking by Associating Every
  Detection Box" (ECCV 2022): detections above ``score_threshold`` are associated first (with
  tracked *and* lost tracks), then the low-score ones (between ``low_score_threshold`` and
  ``score_threshold``) with the tracked tracks left over, which recovers occluded objects without
  starting tracks on clutter; tracks are born only from unmatched high-score detections, a new
  track is confirmed by a second match, and a lost track is kept ``track_buffer`` frames.

Both use :class:`~oculi.track.kalman.BoxKalmanFilter` (``cx, cy, w, h`` state, noise
proportional to the box size) and, when classes are given, match only within a class.
Identities are numbered 1, 2, ... in the order tracks are first reported.

    >>> import numpy as np
    >>> tracker = SortTracker(min_hits=1)
    >>> for x in (0.0, 5.0, 10.0):                     # one box moving right
    ...     tracks = tracker.update(np.array([[x, 0, x + 20, 40]]), np.array([0.9]))
    >>> [t.id for t in tracks], bool(np.abs(tracks[0].box - [10, 0, 30, 40]).max() < 1.5)
    ([1], True)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from oculi.core.errors import ParameterError, ShapeError
from oculi.core.registry import Registry
from oculi.track.kalman import BoxKalmanFilter
from oculi.track.mot_io import MOTRows
from oculi.track.mot_metrics import iou_matrix

__all__ = [
    "ByteTracker",
    "SortTracker",
    "Track",
    "frame_detector",
    "mot_trackers",
    "track_detections",
    "track_video",
]

#: the multi-object trackers by name: ``mot_trackers.create("bytetrack", score_threshold=0.6)``
mot_trackers: Registry[Any] = Registry("multi-object tracker")


@dataclass(frozen=True)
class Track:
    """One track in one frame.

    Attributes:
        id: identity, >= 1, stable over the frames.
        box: ``(4,)`` float64 ``xyxy`` pixels (the Kalman filter's corrected box).
        score: score of the detection matched in this frame.
        class_id: class of the detections it follows (-1 when no classes were given).
    """

    id: int
    box: np.ndarray
    score: float
    class_id: int = -1


class _Tracklet:
    """A tracker's internal state for one object."""

    __slots__ = ("age", "class_id", "confirmed", "cov", "hit_streak", "hits", "id", "last_frame",
                 "lost", "mean", "score", "start_frame", "time_since_update")

    def __init__(self, mean: np.ndarray, cov: np.ndarray, score: float, class_id: int,
                 frame: int) -> None:
        self.mean, self.cov = mean, cov
        self.score, self.class_id = score, class_id
        self.id = 0  # given when first reported
        self.hits = self.hit_streak = 0  # matches after the one that started it
        self.age = self.time_since_update = 0
        self.start_frame = self.last_frame = frame
        self.confirmed = False
        self.lost = False

    @property
    def box(self) -> np.ndarray:
        return BoxKalmanFilter.boxes(self.mean[None])[0]


class _BaseTracker:
    """Kalman bookkeeping shared by the trackers: batched predict/update, input checks, ids."""

    def __init__(self, kalman: BoxKalmanFilter | None) -> None:
        self.kalman = kalman or BoxKalmanFilter()
        self.reset()

    def reset(self) -> None:
        """Forget every track and restart the ids at 1 (a new video)."""
        self.tracks: list[_Tracklet] = []
        self.frame_id = 0
        self._next_id = 1

    def update(self, boxes: np.ndarray, scores: np.ndarray | None = None,
               classes: np.ndarray | None = None) -> list[Track]:
        """Advance one frame.

        Args:
            boxes: ``(N, 4)`` detections, ``xyxy`` float pixels (``N`` may be 0).
            scores: ``(N,)`` detection scores (default: all 1).
            classes: ``(N,)`` integer classes, or None (one class; tracks report -1).

        Returns:
            The tracks reported in this frame, sorted by id.

        Raises:
            ShapeError: inconsistent shapes.
            ParameterError: non-finite boxes or scores.
        """
        boxes, scores, classes = _check_detections(boxes, scores, classes)
        self.frame_id += 1
        return self._step(boxes, scores, classes)

    def _step(self, boxes: np.ndarray, scores: np.ndarray, classes: np.ndarray
              ) -> list[Track]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _predict(self, tracks: list[_Tracklet]) -> None:
        if not tracks:
            return
        mean = np.stack([t.mean for t in tracks])
        for k, t in enumerate(tracks):
            if t.lost:  # a lost object's size is not extrapolated
                mean[k, 6:8] = 0.0
        mean, cov = self.kalman.predict(mean, np.stack([t.cov for t in tracks]))
        for k, t in enumerate(tracks):
            t.mean, t.cov = mean[k], cov[k]
            t.age += 1
            if t.time_since_update > 0:
                t.hit_streak = 0
            t.time_since_update += 1

    def _correct(self, tracks: list[_Tracklet], boxes: np.ndarray, scores: np.ndarray) -> None:
        if not tracks:
            return
        mean, cov = self.kalman.update(np.stack([t.mean for t in tracks]),
                                       np.stack([t.cov for t in tracks]), boxes)
        for k, t in enumerate(tracks):
            t.mean, t.cov = mean[k], cov[k]
            t.score = float(scores[k])
            t.hits += 1
            t.hit_streak += 1
            t.time_since_update = 0
            t.last_frame = self.frame_id
            t.lost = False

    def _spawn(self, boxes: np.ndarray, scores: np.ndarray, classes: np.ndarray
               ) -> list[_Tracklet]:
        if len(boxes) == 0:
            return []
        mean, cov = self.kalman.initiate(boxes)
        new = [_Tracklet(mean[k], cov[k], float(scores[k]), int(classes[k]), self.frame_id)
               for k in range(len(boxes))]
        self.tracks.extend(new)
        return new

    def _report(self, tracks: Iterable[_Tracklet]) -> list[Track]:
        out = []
        for t in tracks:
            if t.id == 0:
                t.id = self._next_id
                self._next_id += 1
            out.append(Track(t.id, t.box, t.score, t.class_id))
        return sorted(out, key=lambda tr: tr.id)


def _check_detections(boxes: Any, scores: Any, classes: Any
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    b = np.asarray(boxes, dtype=np.float64)
    b = b.reshape(0, 4) if b.size == 0 else b
    if b.ndim != 2 or b.shape[1] != 4:
        raise ShapeError(f"boxes: expected (N, 4) xyxy, got shape {b.shape}")
    n = len(b)
    s = np.ones(n) if scores is None else np.asarray(scores, dtype=np.float64).reshape(-1)
    c = np.full(n, -1, np.int64) if classes is None else np.asarray(classes).reshape(-1)
    for name, arr in (("scores", s), ("classes", c)):
        if len(arr) != n:
            raise ShapeError(f"{name}: expected {n} values (one per box), got {len(arr)}")
    if not (np.isfinite(b).all() and np.isfinite(s).all()):
        raise ParameterError("boxes/scores: expected finite numbers, found NaN or inf")
    return b, s, c.astype(np.int64)


def _associate(tracks: list[_Tracklet], boxes: np.ndarray, classes: np.ndarray,
               iou_threshold: float, scores: np.ndarray | None = None
               ) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """Hungarian matching of tracks (predicted boxes) to detections.

    The similarity is the IoU (times the detection score when ``scores`` is given: ByteTrack's
    score fusion), zero across classes; pairs below ``iou_threshold`` cannot match and the
    assignment maximises the summed similarity of the others.

    Returns:
        ``(matches [(track, detection)], unmatched track indices, unmatched detection indices)``.
    """
    if not tracks or len(boxes) == 0:
        return [], list(range(len(tracks))), list(range(len(boxes)))
    sim = iou_matrix(np.stack([t.box for t in tracks]), boxes)
    if scores is not None:
        sim = sim * scores[None, :]
    track_classes = np.array([t.class_id for t in tracks])
    sim[track_classes[:, None] != classes[None, :]] = 0.0
    valid = sim >= iou_threshold
    rows, cols = linear_sum_assignment(-np.where(valid, sim, 0.0))
    ok = valid[rows, cols]
    matches = list(zip(rows[ok].tolist(), cols[ok].tolist(), strict=True))
    return (matches, sorted(set(range(len(tracks))) - set(rows[ok].tolist())),
            sorted(set(range(len(boxes))) - set(cols[ok].tolist())))


def _check_unit(name: str, value: float, *, allow_zero: bool = True) -> float:
    low_ok = value >= 0 if allow_zero else value > 0
    if not (low_ok and value <= 1):
        bound = "[0, 1]" if allow_zero else "(0, 1]"
        raise ParameterError(f"{name}: expected a number in {bound}, got {value!r}")
    return float(value)


def _check_finite(name: str, value: float) -> float:
    if not np.isfinite(value):
        raise ParameterError(f"{name}: expected a finite number, got {value!r}")
    return float(value)


def _check_count(name: str, value: int, minimum: int) -> int:
    if int(value) != value or value < minimum:
        raise ParameterError(f"{name}: expected an integer >= {minimum}, got {value!r}")
    return int(value)


@mot_trackers.register("sort", help="SORT: Kalman + IoU Hungarian (Bewley et al. 2016)")
class SortTracker(_BaseTracker):
    """SORT (Bewley et al. 2016).

    Args:
        iou_threshold: smallest IoU between a predicted track and a detection that may match.
        max_age: frames a track survives without a match.
        min_hits: consecutive matches before a track is reported (every track is reported in
            the first ``min_hits`` frames of a video, as in the paper's code).
        score_threshold: detections scoring below it are ignored.
        kalman: the motion model (default :class:`~oculi.track.kalman.BoxKalmanFilter`).

    Raises:
        ParameterError: ``iou_threshold`` outside (0, 1] or a negative count.
    """

    def __init__(self, iou_threshold: float = 0.3, max_age: int = 1, min_hits: int = 3,
                 score_threshold: float = 0.0, kalman: BoxKalmanFilter | None = None) -> None:
        self.iou_threshold = _check_unit("iou_threshold", iou_threshold, allow_zero=False)
        self.max_age = _check_count("max_age", max_age, 0)
        self.min_hits = _check_count("min_hits", min_hits, 0)
        self.score_threshold = _check_finite("score_threshold", score_threshold)
        super().__init__(kalman)

    def _step(self, boxes: np.ndarray, scores: np.ndarray, classes: np.ndarray
              ) -> list[Track]:
        keep = scores >= self.score_threshold
        boxes, scores, classes = boxes[keep], scores[keep], classes[keep]
        self._predict(self.tracks)
        matches, _, free = _associate(self.tracks, boxes, classes, self.iou_threshold)
        matched = [self.tracks[i] for i, _ in matches]
        det = [j for _, j in matches]
        self._correct(matched, boxes[det], scores[det])
        self._spawn(boxes[free], scores[free], classes[free])
        shown = [t for t in self.tracks if t.time_since_update == 0
                 and (t.hit_streak >= self.min_hits or self.frame_id <= self.min_hits)]
        out = self._report(shown)
        self.tracks = [t for t in self.tracks if t.time_since_update <= self.max_age]
        return out


@mot_trackers.register("bytetrack", aliases=("byte",),
                       help="ByteTrack: high-score then low-score association (Zhang et al. 2022)")
class ByteTracker(_BaseTracker):
    """ByteTrack (Zhang et al. 2022).

    Args:
        score_threshold: detections at or above it are "high": associated first and the only
            ones that can start a track. Scores are the detector's own (probabilities for
            trained detectors; classical ones such as ``hog-people`` give SVM margins).
        low_score_threshold: detections above it and below ``score_threshold`` are "low":
            associated second, only with tracks still tracked; lower ones are dropped.
        new_track_threshold: a high detection left unmatched starts a track only at or above
            this score (None: ``score_threshold + 0.1``, the paper's setting).
        iou_threshold: smallest similarity for the first association (IoU x score with
            ``fuse_score``, else IoU).
        low_iou_threshold: smallest IoU for the second (low-score) association.
        new_iou_threshold: smallest similarity between a new (unconfirmed) track and a high
            detection of the next frame.
        track_buffer: frames a lost track is kept for re-identification (at 30 fps; scaled by
            ``frame_rate / 30``).
        frame_rate: frames per second of the video.
        fuse_score: multiply IoU by the detection score in the first and new-track matching
            (the paper's setting for MOT17).
        kalman: the motion model (default :class:`~oculi.track.kalman.BoxKalmanFilter`).

    Raises:
        ParameterError: an IoU threshold outside (0, 1], a non-finite score threshold or
            ``low_score_threshold`` above ``score_threshold``.
    """

    def __init__(self, score_threshold: float = 0.5, low_score_threshold: float = 0.1,
                 new_track_threshold: float | None = None, iou_threshold: float = 0.2,
                 low_iou_threshold: float = 0.5, new_iou_threshold: float = 0.3,
                 track_buffer: int = 30, frame_rate: float = 30.0, fuse_score: bool = True,
                 kalman: BoxKalmanFilter | None = None) -> None:
        self.score_threshold = _check_finite("score_threshold", score_threshold)
        self.low_score_threshold = _check_finite("low_score_threshold", low_score_threshold)
        if self.low_score_threshold > self.score_threshold:
            raise ParameterError(f"low_score_threshold: expected <= score_threshold "
                                 f"({score_threshold}), got {low_score_threshold}")
        self.new_track_threshold = (self.score_threshold + 0.1 if new_track_threshold is None
                                    else _check_finite("new_track_threshold",
                                                       new_track_threshold))
        self.iou_threshold = _check_unit("iou_threshold", iou_threshold, allow_zero=False)
        self.low_iou_threshold = _check_unit("low_iou_threshold", low_iou_threshold,
                                             allow_zero=False)
        self.new_iou_threshold = _check_unit("new_iou_threshold", new_iou_threshold,
                                             allow_zero=False)
        self.track_buffer = _check_count("track_buffer", track_buffer, 0)
        if not frame_rate > 0:
            raise ParameterError(f"frame_rate: expected a number > 0, got {frame_rate!r}")
        self.max_lost = round(self.track_buffer * frame_rate / 30.0)
        self.fuse_score = bool(fuse_score)
        super().__init__(kalman)

    def _match(self, tracks: list[_Tracklet], boxes: np.ndarray, scores: np.ndarray,
               classes: np.ndarray, idx: list[int], threshold: float, fuse: bool
               ) -> tuple[list[int], list[int]]:
        """Associate ``tracks`` with detections ``idx``, correct the matched tracks.

        Returns:
            ``(unmatched track positions, unmatched detection indices)``.
        """
        det = np.asarray(idx, dtype=np.int64)
        matches, free_t, free_d = _associate(tracks, boxes[det], classes[det], threshold,
                                             scores[det] if fuse else None)
        rows = [det[j] for _, j in matches]
        self._correct([tracks[i] for i, _ in matches], boxes[rows], scores[rows])
        return free_t, [int(det[j]) for j in free_d]

    def _step(self, boxes: np.ndarray, scores: np.ndarray, classes: np.ndarray
              ) -> list[Track]:
        high = np.flatnonzero(scores >= self.score_threshold).tolist()
        low = np.flatnonzero((scores > self.low_score_threshold)
                             & (scores < self.score_threshold)).tolist()
        unconfirmed = [t for t in self.tracks if not t.confirmed]
        pool = [t for t in self.tracks if t.confirmed]  # tracked and lost
        self._predict(self.tracks)
        # 1. high-score detections vs tracked + lost tracks
        free_t, free_high = self._match(pool, boxes, scores, classes, high,
                                        self.iou_threshold, self.fuse_score)
        # 2. low-score detections vs the tracked tracks left (lost ones stay lost)
        left = [pool[i] for i in free_t if not pool[i].lost]
        free_t2, _ = self._match(left, boxes, scores, classes, low, self.low_iou_threshold,
                                 False)
        for i in free_t2:
            left[i].lost = True
        # 3. new tracks of the last frame vs the high detections left: confirm or drop
        free_u, free_high = self._match(unconfirmed, boxes, scores, classes, free_high,
                                        self.new_iou_threshold, self.fuse_score)
        dropped = {id(unconfirmed[i]) for i in free_u}
        for t in unconfirmed:
            t.confirmed = id(t) not in dropped
        # 4. births: unmatched high detections scoring new_track_threshold or more
        born = [j for j in free_high if scores[j] >= self.new_track_threshold]
        for t in self._spawn(boxes[born], scores[born], classes[born]):
            t.confirmed = self.frame_id == 1
        # 5. forget unconfirmed misses and tracks lost for too long
        self.tracks = [t for t in self.tracks if id(t) not in dropped
                       and not (t.lost and self.frame_id - t.last_frame > self.max_lost)]
        self._drop_duplicates()
        return self._report(t for t in self.tracks
                            if t.confirmed and not t.lost and t.time_since_update == 0)

    def _drop_duplicates(self) -> None:
        """A lost track overlapping a tracked one by IoU > 0.85 is one object twice: keep the
        longer-lived of the two."""
        tracked = [t for t in self.tracks if t.confirmed and not t.lost]
        lost = [t for t in self.tracks if t.lost]
        if not tracked or not lost:
            return
        iou = iou_matrix(np.stack([t.box for t in tracked]), np.stack([t.box for t in lost]))
        gone = set()
        for i, j in zip(*np.nonzero(iou > 0.85), strict=True):
            a, b = tracked[i], lost[j]
            older_a = a.last_frame - a.start_frame > b.last_frame - b.start_frame
            gone.add(id(b) if older_a else id(a))
        self.tracks = [t for t in self.tracks if id(t) not in gone]


def _as_detections(item: Any) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """``(boxes, scores, classes)`` of a Detections-like object or a tuple."""
    if hasattr(item, "boxes"):
        return item.boxes, getattr(item, "scores", None), getattr(item, "labels", None)
    if isinstance(item, tuple) and 1 <= len(item) <= 3:
        parts = list(item) + [None] * (3 - len(item))
        return parts[0], parts[1], parts[2]
    return item, None, None


def _make_tracker(tracker: Any, options: dict[str, Any]) -> _BaseTracker:
    if isinstance(tracker, str):
        return mot_trackers.create(tracker, **options)
    if options:
        raise ParameterError("tracker options: pass them to the tracker you built, or give the "
                             "tracker by name")
    return tracker


def _rows(frame: int, tracks: list[Track]) -> MOTRows:
    if not tracks:
        return MOTRows.empty()
    return MOTRows(np.full(len(tracks), frame), [t.id for t in tracks],
                   np.stack([t.box for t in tracks]), [t.score for t in tracks],
                   [t.class_id for t in tracks])


def track_detections(frames_of_detections: Iterable[Any], tracker: Any = "sort",
                     **options: Any) -> MOTRows:
    """Run a tracker over precomputed detections.

    Args:
        frames_of_detections: one item per frame, in order (frame 1 first): a
            :class:`~oculi.detect.Detections` (or anything with ``.boxes``, ``.scores``,
            ``.labels``), a tuple ``(boxes, scores)`` or ``(boxes, scores, classes)``, or an
            ``(N, 4)`` box array.
        tracker: ``"sort"``, ``"bytetrack"`` (see :data:`mot_trackers`) or a tracker instance
            (used as it is, not reset).
        **options: settings of a tracker given by name (``iou_threshold=``, ...).

    Returns:
        :class:`~oculi.track.mot_io.MOTRows`: one row per reported track and frame (frames
        1-based, ``scores`` the matched detection's score, ``classes`` the track's class);
        write it with :func:`~oculi.track.mot_io.write_mot`.
    """
    trk = _make_tracker(tracker, options)
    parts = []
    for frame, item in enumerate(frames_of_detections, 1):
        boxes, scores, classes = _as_detections(item)
        parts.append(_rows(frame, trk.update(boxes, scores, classes)))
    return MOTRows.concat(parts)


def frame_detector(detector: Callable[..., Any], score_threshold: float | None = None
                   ) -> Callable[[np.ndarray], Any]:
    """Turn a batch detector ``(images, score_threshold=None) -> list[Detections]`` (what
    :func:`oculi.detect.get_detector` returns) into ``frame -> Detections``."""
    return lambda frame: detector([frame], score_threshold=score_threshold)[0]


def track_video(reader_or_frames: Iterable[np.ndarray], detector: Callable[[np.ndarray], Any],
                tracker: Any = "sort", *, progress: Callable[[int], None] | None = None,
                **options: Any) -> MOTRows:
    """Detect and track in every frame of a video.

    Args:
        reader_or_frames: HxWx3 uint8 RGB frames in order, e.g. ``oculi.video.open_video(path)``
            or a list of arrays.
        detector: ``frame -> Detections`` (or a ``(boxes, scores[, classes])`` tuple); wrap
            :func:`oculi.detect.get_detector`'s batch callable with :func:`frame_detector`.
        tracker: a name of :data:`mot_trackers` or a tracker instance.
        progress: called with the frame number after each frame.
        **options: settings of a tracker given by name.

    Returns:
        :class:`~oculi.track.mot_io.MOTRows` of the tracks, frames numbered from 1.
    """
    trk = _make_tracker(tracker, options)
    parts = []
    for frame, image in enumerate(reader_or_frames, 1):
        boxes, scores, classes = _as_detections(detector(image))
        parts.append(_rows(frame, trk.update(boxes, scores, classes)))
        if progress is not None:
            progress(frame)
    return MOTRows.concat(parts)
