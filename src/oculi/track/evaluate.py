"""One-pass evaluation (OTB's OPE): run a tracker through a sequence from the first ground-truth
box, then score its boxes against the ground truth.

Scores (Wu, Lim, Yang, OTB 2013/2015; Müller et al., TrackingNet 2018; Fan et al., LaSOT 2019):

- success curve: the fraction of frames whose IoU with the ground truth is **above** each of 21
  thresholds 0, 0.05, ..., 1; **AUC** is the mean of that curve;
- precision curve: the fraction of frames whose centre error is **at most** 0, 1, ..., 50 px;
  **P@20** is its value at 20 px;
- normalised precision: the centre error divided by the ground-truth width and height (per
  axis), the fraction at most 0, 0.01, ..., 0.5; the score is the mean of that curve (its AUC);
- FPS: frames per second of the tracker's own calls (``init`` and ``update``; frame decoding
  not included).

Frame 0 counts, its box being the initial one (IoU 1), as in OTB. Frames whose ground truth is
absent (NaN or zero size) are left out of every score.

    >>> import numpy as np
    >>> gt = np.array([[0, 0, 10, 10]] * 2, np.float32)
    >>> pred = np.array([[0, 0, 10, 10], [5, 0, 15, 10]], np.float32)
    >>> box_iou(pred, gt).round(4).tolist()
    [1.0, 0.3333]
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from oculi.core.errors import DataError, OculiError, ShapeError
from oculi.core.results import EvaluationReport
from oculi.track.base import SingleTracker, check_box, create_tracker
from oculi.track.datasets import Sequence

#: IoU thresholds of the success plot (OTB: 21 values, 0 to 1)
SUCCESS_THRESHOLDS = np.linspace(0.0, 1.0, 21)
#: centre-error thresholds of the precision plot, pixels (OTB: 0 to 50)
PRECISION_THRESHOLDS = np.arange(0, 51, dtype=np.float64)
#: normalised centre-error thresholds (LaSOT / TrackingNet: 0 to 0.5)
NORM_PRECISION_THRESHOLDS = np.arange(0, 51, dtype=np.float64) / 100.0


def _pair(pred: Any, gt: Any) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(pred, dtype=np.float64).reshape(-1, 4) if np.size(pred) else np.zeros((0, 4))
    g = np.asarray(gt, dtype=np.float64).reshape(-1, 4) if np.size(gt) else np.zeros((0, 4))
    if p.shape != g.shape:
        raise ShapeError(f"pred_boxes and gt_boxes: expected the same (N, 4) shape, got "
                         f"{np.shape(pred)} and {np.shape(gt)}")
    return p, g


def valid_boxes(boxes: Any) -> np.ndarray:
    """(N,) bool: rows that are finite with positive width and height."""
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    with np.errstate(invalid="ignore"):
        return np.isfinite(b).all(1) & (b[:, 2] > b[:, 0]) & (b[:, 3] > b[:, 1])


def box_iou(pred: Any, gt: Any) -> np.ndarray:
    """Per-frame intersection over union of two (N, 4) xyxy box arrays.

    Returns:
        (N,) float64 in [0, 1]; NaN where the ground truth is absent (NaN or zero size). An
        invalid predicted box scores 0.
    """
    p, g = _pair(pred, gt)
    iw = np.clip(np.minimum(p[:, 2], g[:, 2]) - np.maximum(p[:, 0], g[:, 0]), 0, None)
    ih = np.clip(np.minimum(p[:, 3], g[:, 3]) - np.maximum(p[:, 1], g[:, 1]), 0, None)
    inter = iw * ih
    area_p = np.clip(p[:, 2] - p[:, 0], 0, None) * np.clip(p[:, 3] - p[:, 1], 0, None)
    area_g = (g[:, 2] - g[:, 0]) * (g[:, 3] - g[:, 1])
    with np.errstate(invalid="ignore", divide="ignore"):
        iou = inter / (area_p + area_g - inter)
    iou = np.where(valid_boxes(p), iou, 0.0)
    return np.where(valid_boxes(g), np.nan_to_num(iou, nan=0.0), np.nan)


def centre_error(pred: Any, gt: Any, *, normalised: bool = False) -> np.ndarray:
    """Per-frame distance between box centres.

    Args:
        pred, gt: (N, 4) xyxy boxes.
        normalised: divide the x and y offsets by the ground truth's width and height first
            (LaSOT's normalised precision).

    Returns:
        (N,) float64, pixels (or ground-truth sizes); NaN where the ground truth is absent,
        infinite where the predicted box is invalid.
    """
    p, g = _pair(pred, gt)
    d = (p[:, :2] + p[:, 2:]) / 2 - (g[:, :2] + g[:, 2:]) / 2
    if normalised:
        with np.errstate(invalid="ignore", divide="ignore"):
            d = d / (g[:, 2:] - g[:, :2])
    err = np.hypot(d[:, 0], d[:, 1])
    err = np.where(valid_boxes(p), err, np.inf)
    return np.where(valid_boxes(g), err, np.nan)


def success_curve(ious: Any, thresholds: np.ndarray = SUCCESS_THRESHOLDS) -> np.ndarray:
    """Fraction of frames with IoU above each threshold (NaN frames left out)."""
    v = np.asarray(ious, dtype=np.float64)
    v = v[~np.isnan(v)]
    if v.size == 0:
        return np.full(len(thresholds), np.nan)
    return (v[None, :] > np.asarray(thresholds)[:, None]).mean(1)


def precision_curve(errors: Any, thresholds: np.ndarray = PRECISION_THRESHOLDS) -> np.ndarray:
    """Fraction of frames with a centre error at most each threshold (NaN frames left out)."""
    v = np.asarray(errors, dtype=np.float64)
    v = v[~np.isnan(v)]
    if v.size == 0:
        return np.full(len(thresholds), np.nan)
    return (v[None, :] <= np.asarray(thresholds)[:, None]).mean(1)


def evaluate_sequence(pred_boxes: Any, gt_boxes: Any, *, times: Any = None,
                      name: str = "") -> EvaluationReport:
    """Score one sequence's predicted boxes against its ground truth (OTB one-pass evaluation).

    Args:
        pred_boxes: (N, 4) xyxy pixels, one per frame, the first being the initial box.
        gt_boxes: (N, 4) xyxy pixels; NaN or zero-size rows (target absent) are left out.
        times: optional (N,) seconds the tracker spent on each frame (NaN: not timed).
        name: the sequence's name, kept in the details.

    Returns:
        An :class:`~oculi.core.results.EvaluationReport` (task ``"track"``) with metrics
        ``val_auc``, ``val_precision_20`` (px), ``val_norm_precision``, ``val_mean_iou`` and
        details ``success_curve`` / ``precision_curve`` / ``norm_precision_curve`` (lists over
        the module's thresholds), ``frames``, ``scored_frames``, ``fps`` and the per-frame
        ``iou`` and ``centre_error`` arrays.

    Raises:
        ShapeError: the two arrays differ in shape or are not (N, 4).
        DataError: no frame has a ground-truth box.
    """
    iou = box_iou(pred_boxes, gt_boxes)
    err = centre_error(pred_boxes, gt_boxes)
    nerr = centre_error(pred_boxes, gt_boxes, normalised=True)
    scored = int((~np.isnan(iou)).sum())
    if scored == 0:
        raise DataError(f"{name or 'gt_boxes'}: no frame has a ground-truth box")
    succ = success_curve(iou)
    prec = precision_curve(err)
    nprec = precision_curve(nerr, NORM_PRECISION_THRESHOLDS)
    fps = math.nan
    if times is not None:
        t = np.asarray(times, dtype=np.float64)
        timed = t[np.isfinite(t)]
        fps = float(len(timed) / timed.sum()) if timed.size and timed.sum() > 0 else math.nan
    metrics = {"val_auc": float(succ.mean()), "val_precision_20": float(prec[20]),
               "val_norm_precision": float(nprec.mean()), "val_mean_iou": float(np.nanmean(iou))}
    details = {"sequence": name, "frames": len(iou), "scored_frames": scored, "fps": fps,
               "success_curve": succ.tolist(), "precision_curve": prec.tolist(),
               "norm_precision_curve": nprec.tolist(), "iou": iou, "centre_error": err}
    return EvaluationReport("track", metrics, details)


@dataclass
class SequenceResult:
    """What :func:`run_sequence` returns: the tracker's answer on every frame.

    Attributes:
        sequence: the sequence's name.
        tracker: the tracker's name.
        boxes: (N, 4) float32 xyxy pixels (frame 0: the initial box).
        scores: (N,) float64 tracker confidence (NaN when the tracker has none).
        lost: (N,) bool, the tracker's failure flag.
        times: (N,) float64 seconds of the tracker's call per frame (NaN for skipped frames).
        skipped: frame index -> why the frame could not be read (its box repeats the last one).
    """

    sequence: str
    tracker: str
    boxes: np.ndarray
    scores: np.ndarray
    lost: np.ndarray
    times: np.ndarray
    skipped: dict[int, str] = field(default_factory=dict)

    @property
    def fps(self) -> float:
        """Frames per second of the tracker's own calls (skipped frames left out)."""
        t = self.times[np.isfinite(self.times)]
        return float(len(t) / t.sum()) if t.size and t.sum() > 0 else math.nan

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: boxes as lists, ``fps``, skipped frames."""
        return {"sequence": self.sequence, "tracker": self.tracker,
                "boxes": self.boxes.round(2).tolist(),
                "scores": [None if math.isnan(s) else round(float(s), 4) for s in self.scores],
                "lost": self.lost.tolist(), "fps": self.fps,
                "skipped": {str(k): v for k, v in self.skipped.items()}}


def track_frames(tracker: SingleTracker, read: Callable[[int], np.ndarray], n_frames: int,
                 box: Any, *, name: str = "", tracker_name: str = "",
                 on_frame: Callable[[int, np.ndarray | None, np.ndarray, bool], None] | None
                 = None, progress: bool | None = None) -> SequenceResult:
    """Run ``tracker`` over frames ``0..n_frames-1`` given by ``read(i)``, starting from ``box``.

    A frame whose ``read`` raises an :class:`~oculi.core.errors.OculiError` (undecodable,
    missing) is skipped: its box and lost flag repeat the previous frame's and the reason is
    kept in :attr:`SequenceResult.skipped`.

    Args:
        tracker: an uninitialised tracker.
        read: ``read(i)`` -> frame ``i`` as HxWx3 uint8 RGB.
        n_frames: the number of frames.
        box: the target on frame 0, xyxy pixels (validated and clipped with
            :func:`~oculi.track.base.check_box`).
        name: the sequence's name (messages, the result).
        tracker_name: the tracker's name (the result, the progress bar).
        on_frame: called as ``on_frame(i, frame, box, lost)`` after each frame (``frame`` is
            None for a skipped one); e.g. to draw and write a video.
        progress: show a progress bar (None: when stderr is a terminal).

    Returns:
        A :class:`SequenceResult`.

    Raises:
        ImageReadError, DataError: frame 0 cannot be read.
        ParameterError: ``box`` is outside frame 0 or of zero size.
    """
    from oculi.core.progress import progress_bar

    boxes = np.zeros((n_frames, 4), np.float32)
    scores = np.full(n_frames, np.nan)
    lost = np.zeros(n_frames, bool)
    times = np.full(n_frames, np.nan)
    skipped: dict[int, str] = {}
    first = read(0)
    boxes[0] = check_box(box, first.shape, name=f"{name}: initial box" if name else "box")
    t0 = time.perf_counter()
    tracker.init(first, boxes[0])
    times[0] = time.perf_counter() - t0
    if on_frame is not None:
        on_frame(0, first, boxes[0], False)
    label = f"{tracker_name} {name}".strip() or "tracking"
    with progress_bar(label, enabled=progress) as bar:
        task = bar.add_task(label, total=n_frames)
        bar.advance(task)
        for i in range(1, n_frames):
            bar.advance(task)
            try:
                frame: np.ndarray | None = read(i)
            except OculiError as exc:
                skipped[i] = " ".join(str(exc).split())
                boxes[i], lost[i], frame = boxes[i - 1], lost[i - 1], None
            else:
                t0 = time.perf_counter()
                res = tracker.update(frame)
                times[i] = time.perf_counter() - t0
                boxes[i], scores[i], lost[i] = res.box, res.score, res.lost
            if on_frame is not None:
                on_frame(i, frame, boxes[i], bool(lost[i]))
    return SequenceResult(name, tracker_name, boxes, scores, lost, times, skipped)


def run_sequence(tracker: SingleTracker | str, sequence: Sequence, *,
                 progress: bool | None = None, **options: Any) -> SequenceResult:
    """Track the target of ``sequence`` from its first ground-truth box (one pass, no restarts).

    A frame that cannot be read is skipped: its box repeats the last one, and the reason is
    recorded in :attr:`SequenceResult.skipped`.

    Args:
        tracker: a tracker object, or a registry name (created with ``options``).
        sequence: frames and ground truth (:mod:`oculi.track.datasets`, :mod:`.synthetic`).
        progress: show a progress bar (None: when stderr is a terminal).
        **options: the tracker's settings when ``tracker`` is a name.

    Returns:
        A :class:`SequenceResult` with one row per frame.

    Raises:
        DataError: the first frame has no ground-truth box.
        ImageReadError: the first frame cannot be read.
    """
    name = tracker if isinstance(tracker, str) else type(tracker).__name__
    trk = create_tracker(tracker, **options) if isinstance(tracker, str) else tracker
    if not valid_boxes(sequence.boxes[:1])[0]:
        raise DataError(f"{sequence.name}: the first frame has no ground-truth box to start from")
    return track_frames(trk, sequence.read, len(sequence), sequence.boxes[0],
                        name=sequence.name, tracker_name=name, progress=progress)


@dataclass
class TrackerComparison:
    """What :func:`evaluate_trackers` returns: every tracker on every sequence.

    Attributes:
        trackers: tracker names, in the order given.
        sequences: sequence names.
        reports: tracker -> sequence -> :func:`evaluate_sequence` report.
        results: tracker -> sequence -> :class:`SequenceResult` (boxes, times, skipped frames).
    """

    trackers: list[str]
    sequences: list[str]
    reports: dict[str, dict[str, EvaluationReport]]
    results: dict[str, dict[str, SequenceResult]]

    def overall(self, tracker: str) -> dict[str, Any]:
        """One tracker over all sequences: curves averaged over sequences (OTB's overall plot),
        ``auc``, ``precision_20``, ``norm_precision``, ``mean_iou`` from them, ``fps`` = all
        timed frames / their total time, and the number of skipped frames."""
        reps = list(self.reports[tracker].values())
        succ = np.mean([r["success_curve"] for r in reps], axis=0)
        prec = np.mean([r["precision_curve"] for r in reps], axis=0)
        nprec = np.mean([r["norm_precision_curve"] for r in reps], axis=0)
        t = np.concatenate([r.times for r in self.results[tracker].values()])
        t = t[np.isfinite(t)]
        return {"auc": float(succ.mean()), "precision_20": float(prec[20]),
                "norm_precision": float(nprec.mean()),
                "mean_iou": float(np.mean([r["val_mean_iou"] for r in reps])),
                "fps": float(len(t) / t.sum()) if t.sum() > 0 else math.nan,
                "skipped_frames": sum(len(r.skipped) for r in self.results[tracker].values()),
                "success_curve": succ.tolist(), "precision_curve": prec.tolist()}

    def rows(self) -> list[list[Any]]:
        """Table rows ``[tracker, AUC, P@20, norm. precision, FPS]`` over all sequences."""
        out = []
        for name in self.trackers:
            o = self.overall(name)
            out.append([name, o["auc"], o["precision_20"], o["norm_precision"], o["fps"]])
        return out

    def format_table(self) -> str:
        """The OTB table as aligned text (one line per tracker, best AUC first)."""
        head = f"{'method':<12} {'AUC':>6} {'P@20':>6} {'normP':>6} {'FPS':>8}"
        lines = [head]
        for r in sorted(self.rows(), key=lambda r: -r[1]):
            lines.append(f"{r[0]:<12} {r[1]:6.3f} {r[2]:6.3f} {r[3]:6.3f} {r[4]:8.1f}")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: per tracker the overall scores and each sequence's metrics."""
        return {
            "sequences": self.sequences,
            "thresholds": {"success": SUCCESS_THRESHOLDS.tolist(),
                           "precision_px": PRECISION_THRESHOLDS.tolist()},
            "trackers": {
                name: {**self.overall(name),
                       "per_sequence": {s: {**r.metrics, "fps": r["fps"],
                                            "skipped": self.results[name][s].skipped}
                                        for s, r in self.reports[name].items()}}
                for name in self.trackers
            },
        }


def evaluate_trackers(names: list[str], sequences: list[Sequence], *,
                      options: dict[str, dict[str, Any]] | None = None,
                      progress: bool | None = None) -> TrackerComparison:
    """Run and score each named tracker on each sequence (OTB one-pass evaluation).

    Args:
        names: registry names (``single_trackers.names()``).
        sequences: the sequences (:func:`~oculi.track.datasets.load_sequence`, synthetic ones).
        options: tracker name -> its settings (e.g. ``{"nanotrack": {"model_dir": ...}}``).
        progress: show progress bars (None: when stderr is a terminal).

    Returns:
        A :class:`TrackerComparison`.

    Raises:
        UnknownNameError, ParameterError, MissingDependencyError: a tracker cannot be created
            (checked for every name before any work).
        DataError: no names or no sequences.
    """
    if not names or not sequences:
        raise DataError("evaluate_trackers: expected at least one tracker and one sequence")
    options = options or {}
    for name in names:  # fail before hours of work
        create_tracker(name, **options.get(name, {}))
    reports: dict[str, dict[str, EvaluationReport]] = {}
    results: dict[str, dict[str, SequenceResult]] = {}
    for name in names:
        reports[name], results[name] = {}, {}
        for seq in sequences:
            res = run_sequence(name, seq, progress=progress, **options.get(name, {}))
            results[name][seq.name] = res
            reports[name][seq.name] = evaluate_sequence(res.boxes, seq.boxes, times=res.times,
                                                        name=seq.name)
    return TrackerComparison(list(names), [s.name for s in sequences], reports, results)


def success_plot(comparison: TrackerComparison, path: str | Path | None = None) -> Any:
    """OTB's success and precision plots for every tracker of a comparison.

    Args:
        comparison: what :func:`evaluate_trackers` returned.
        path: if given, the figure is also written there as PNG.

    Returns:
        A ``matplotlib.figure.Figure`` (no pyplot state is touched).
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 4.2))
    ax_s, ax_p = fig.subplots(1, 2)
    order = sorted(comparison.trackers, key=lambda n: -comparison.overall(n)["auc"])
    for name in order:
        o = comparison.overall(name)
        ax_s.plot(SUCCESS_THRESHOLDS, o["success_curve"], label=f"{name} [{o['auc']:.3f}]")
        ax_p.plot(PRECISION_THRESHOLDS, o["precision_curve"],
                  label=f"{name} [{o['precision_20']:.3f}]")
    seqs = ", ".join(comparison.sequences[:3]) + ("..." if len(comparison.sequences) > 3 else "")
    for ax, title, xlabel in ((ax_s, "Success plot (AUC)", "overlap threshold (IoU)"),
                              (ax_p, "Precision plot (P@20)", "location error threshold (px)")):
        ax.set_title(f"{title} — {seqs}", fontsize=10)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("fraction of frames")
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="lower left" if ax is ax_s else "lower right")
    fig.tight_layout()
    if path is not None:
        from oculi.core.atomic import atomic_path

        with atomic_path(path) as tmp:
            fig.savefig(tmp, format="png", dpi=100)
    return fig


__all__ = [
    "NORM_PRECISION_THRESHOLDS",
    "PRECISION_THRESHOLDS",
    "SUCCESS_THRESHOLDS",
    "SequenceResult",
    "TrackerComparison",
    "box_iou",
    "centre_error",
    "evaluate_sequence",
    "evaluate_trackers",
    "precision_curve",
    "run_sequence",
    "success_curve",
    "success_plot",
    "track_frames",
]
