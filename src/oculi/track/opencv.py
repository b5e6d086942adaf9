"""OpenCV's single-object trackers behind the oculi contract (:mod:`oculi.track.base`).

Registered when this cv2 build has them (opencv-contrib-python-headless 5.0 has all of these):
``csrt``, ``kcf``, ``mil`` (``cv2.Tracker*_create``), the legacy ``mosse``, ``medianflow``,
``tld``, ``boosting`` (``cv2.legacy.Tracker*_create``) and ``nanotrack`` (``cv2.TrackerNano``,
a Siamese network whose two ONNX files the caller gives: ``backbone=`` and ``neckhead=``, or
``model_dir=`` a folder holding both). Nothing is downloaded.

The wrappers take RGB frames and xyxy float boxes; OpenCV gets BGR frames and integer
``x, y, w, h`` rectangles. When OpenCV reports a failure the result repeats the last known box
with ``lost=True``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from oculi.core.errors import DataError, MissingDependencyError, ParameterError, ShapeError
from oculi.track.base import TrackResult, check_box, check_frame, single_trackers

#: name -> (cv2 attribute path, family, one-line help)
OPENCV_TRACKERS: dict[str, tuple[str, str, str]] = {
    "csrt": ("TrackerCSRT_create", "opencv",
             "discriminative correlation filter with channel and spatial reliability (CSR-DCF)"),
    "kcf": ("TrackerKCF_create", "opencv", "kernelized correlation filter (HOG + colour names)"),
    "mil": ("TrackerMIL_create", "opencv", "multiple-instance learning, online boosting"),
    "mosse": ("legacy.TrackerMOSSE_create", "opencv-legacy",
              "minimum output sum of squared error filter (grey, very fast)"),
    "medianflow": ("legacy.TrackerMedianFlow_create", "opencv-legacy",
                   "forward-backward Lucas-Kanade points, median motion and scale"),
    "tld": ("legacy.TrackerTLD_create", "opencv-legacy",
            "tracking-learning-detection (re-detects after loss)"),
    "boosting": ("legacy.TrackerBoosting_create", "opencv-legacy",
                 "online AdaBoost on Haar-like features"),
}


def _cv2_attr(path: str) -> Callable[..., Any] | None:
    try:
        import cv2
    except ImportError:  # pragma: no cover - cv2 is a core dependency
        return None
    obj: Any = cv2
    for part in path.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def _rect(box: np.ndarray) -> tuple[int, int, int, int]:
    """xyxy float -> OpenCV's integer x, y, w, h (at least 1x1)."""
    x, y = round(float(box[0])), round(float(box[1]))
    w = max(1, round(float(box[2] - box[0])))
    h = max(1, round(float(box[3] - box[1])))
    return int(x), int(y), int(w), int(h)


class OpenCVTracker:
    """One OpenCV tracker object behind :class:`~oculi.track.base.SingleTracker`.

    Args:
        factory: a callable returning a fresh OpenCV tracker (called on every ``init``).
        name: the registry name (used in messages).
        scored: read ``getTrackingScore()`` into ``TrackResult.score`` (OpenCV 5 gives every
            tracker that method, but only the Siamese ones fill it; the others answer -1).
    """

    def __init__(self, factory: Callable[[], Any], name: str, *, scored: bool = False) -> None:
        self._factory = factory
        self.name = name
        self.scored = scored
        self._tracker: Any = None
        self._last = np.zeros(4, np.float32)
        self._shape: tuple[int, ...] = ()

    def init(self, frame: np.ndarray, box: Sequence[float]) -> None:
        """Start tracking ``box`` (xyxy pixels) on ``frame`` (HxWx3 uint8 RGB).

        Raises:
            ShapeError, DTypeError: a frame that is not HxWx3 uint8.
            ParameterError: a box outside the frame, of zero size, or one OpenCV refuses.
        """
        import cv2

        frame = check_frame(frame)
        xyxy = check_box(box, frame.shape)
        tracker = self._factory()
        ok = tracker.init(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR), _rect(xyxy))
        if ok is False:  # the legacy API answers a bool, the new one nothing
            raise ParameterError(f"box: {self.name} cannot start on {xyxy.tolist()} "
                                 "(too small or featureless?)")
        self._tracker, self._last, self._shape = tracker, xyxy, frame.shape

    def update(self, frame: np.ndarray) -> TrackResult:
        """The target's box on the next frame (HxWx3 uint8 RGB, the size of the first).

        Raises:
            ParameterError: called before :meth:`init`.
            ShapeError: the frame's size differs from the first frame's.
        """
        import cv2

        if self._tracker is None:
            raise ParameterError(f"{self.name}: update() before init(frame, box)")
        frame = check_frame(frame)
        if frame.shape != self._shape:
            raise ShapeError(f"frame: expected {self._shape[0]}x{self._shape[1]} like the first "
                             f"frame, got {frame.shape[0]}x{frame.shape[1]}")
        ok, rect = self._tracker.update(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
        x, y, w, h = (float(v) for v in rect)
        lost = not ok or w <= 0 or h <= 0 or not all(map(math.isfinite, (x, y, w, h)))
        if not lost:
            self._last = np.array([x, y, x + w, y + h], np.float32)
        return TrackResult(self._last.copy(), self._score(), bool(lost))

    def _score(self) -> float:
        if not self.scored:
            return math.nan
        return float(self._tracker.getTrackingScore())

    def __repr__(self) -> str:
        return f"OpenCVTracker({self.name!r})"


def _register_classic() -> None:
    for name, (attr, family, text) in OPENCV_TRACKERS.items():
        create = _cv2_attr(attr)
        if create is None:
            continue

        def factory(_create: Callable[[], Any] = create, _name: str = name) -> OpenCVTracker:
            return OpenCVTracker(_create, _name)

        factory.__name__ = name
        factory.__doc__ = f"OpenCV {name.upper()} ({text}); no options."
        single_trackers.register(name, factory, help=f"OpenCV: {text}", family=family,
                                 needs=(), scored=False)


#: file-name patterns of NanoTrack's two ONNX files inside ``model_dir``
NANOTRACK_FILES = {"backbone": "*backbone*.onnx", "neckhead": "*head*.onnx"}


def _nanotrack_paths(backbone: str | Path | None, neckhead: str | Path | None,
                     model_dir: str | Path | None) -> tuple[Path, Path]:
    if model_dir is not None:
        folder = Path(model_dir)
        if not folder.is_dir():
            raise DataError(f"model_dir: {folder} is not a folder")
        found = {}
        for key, pattern in NANOTRACK_FILES.items():
            hits = sorted(p for p in folder.glob(pattern)
                          if key == "backbone" or "backbone" not in p.name)
            given = backbone if key == "backbone" else neckhead
            if given is None and len(hits) != 1:
                raise DataError(f"model_dir: expected one {pattern} file in {folder}, found "
                                f"{len(hits)}; pass {key}=PATH")
            found[key] = Path(given) if given is not None else hits[0]
        backbone, neckhead = found["backbone"], found["neckhead"]
    if backbone is None or neckhead is None:
        raise MissingDependencyError(
            "nanotrack: needs its two ONNX files; pass backbone=PATH and neckhead=PATH, or "
            "model_dir=FOLDER holding nanotrack_backbone*.onnx and nanotrack_head*.onnx "
            "(HonglinChu/SiamTrackers NanoTrack/models; CLI: --model-dir FOLDER)")
    paths = Path(backbone), Path(neckhead)
    for key, path in zip(("backbone", "neckhead"), paths, strict=True):
        if not path.is_file():
            raise DataError(f"{key}: {path}: no such ONNX file")
    return paths


def nanotrack(*, backbone: str | Path | None = None, neckhead: str | Path | None = None,
              model_dir: str | Path | None = None) -> OpenCVTracker:
    """NanoTrack (``cv2.TrackerNano``): a light Siamese tracker run by OpenCV's DNN module.

    Args:
        backbone: the backbone ONNX file (``nanotrack_backbone_sim*.onnx``).
        neckhead: the neck-and-head ONNX file (``nanotrack_head_sim*.onnx``).
        model_dir: a folder holding both (the files given above take precedence).

    Returns:
        A tracker whose ``TrackResult.score`` is NanoTrack's classification score in [0, 1].

    Raises:
        MissingDependencyError: no model files given, or this cv2 has no ``TrackerNano``.
        DataError: a given file or folder does not exist, or the folder is ambiguous.
    """
    import cv2

    if not hasattr(cv2, "TrackerNano_create"):
        raise MissingDependencyError("nanotrack: this OpenCV has no cv2.TrackerNano (OpenCV >= "
                                     "4.7 with the dnn module is needed)")
    bb, nh = _nanotrack_paths(backbone, neckhead, model_dir)

    def factory() -> Any:
        params = cv2.TrackerNano_Params()
        params.backbone, params.neckhead = str(bb), str(nh)
        try:
            return cv2.TrackerNano_create(params)
        except cv2.error as exc:
            raise DataError(f"nanotrack: OpenCV cannot load {bb} / {nh} "
                            f"({' '.join(str(exc).split())[:200]})") from None

    return OpenCVTracker(factory, "nanotrack", scored=True)


def available() -> dict[str, bool]:
    """Which of OpenCV's trackers this cv2 build has (name -> present)."""
    out = {name: _cv2_attr(attr) is not None for name, (attr, _, _) in OPENCV_TRACKERS.items()}
    out["nanotrack"] = _cv2_attr("TrackerNano_create") is not None
    return out


_register_classic()
if _cv2_attr("TrackerNano_create") is not None:
    single_trackers.register("nanotrack", nanotrack, aliases=("nano",),
                             help="NanoTrack Siamese network (ONNX files: model_dir=)",
                             family="siamese", needs=("onnx",), scored=True)
