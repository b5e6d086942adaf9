"""Face detectors measured on real faces: the embedded astronaut and the portraits of the shared
Set5 and Kodak images, against boxes annotated by hand.

Ground truth (:data:`FACE_TRUTH`): one ``xyxy`` box per face, drawn by eye on a 50-pixel grid
over each image, from the hairline (or hat band) to the chin and cheek to cheek; the Set5
``head`` is a profile whose chin leaves the frame. :data:`NO_FACE` lists shared images with no
person in them, where every detection is a false positive. A detection hits a face at IoU >= 0.5
(each face and each detection counted once, best score first).

    >>> import numpy as np
    >>> match_faces(np.array([[0, 0, 10, 10], [50, 50, 60, 60]]), np.array([[1, 1, 10, 10]]))
    (1, 0, 1)
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from oculi.detect.types import Detections

#: hand-annotated face boxes (``xyxy`` pixels); keys: ``astronaut`` (``oculi.data``) or a path
#: under the shared data folder
FACE_TRUTH: dict[str, tuple[tuple[float, float, float, float], ...]] = {
    "astronaut": ((183, 75, 267, 180),),
    "sr_set5/baby.png": ((65, 100, 430, 450),),
    "sr_set5/head.png": ((95, 60, 250, 280),),  # profile, facing right
    "sr_set5/woman.png": ((30, 40, 180, 212),),
    "compress_kodak/kodim04.png": ((110, 225, 400, 565),),
}
#: shared images without any person (a detection there is a false positive)
NO_FACE = ("sr_set5/bird.png", "sr_set5/butterfly.png", "compress_kodak/kodim01.png",
           "compress_kodak/kodim02.png", "compress_kodak/kodim03.png",
           "compress_kodak/kodim07.png", "compress_kodak/kodim08.png")


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(rb - lt, 0, None), axis=2)
    area_a = np.prod(a[:, 2:] - a[:, :2], axis=1)
    area_b = np.prod(b[:, 2:] - b[:, :2], axis=1)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def match_faces(boxes: np.ndarray, truth: np.ndarray, iou_threshold: float = 0.5
                ) -> tuple[int, int, int]:
    """Greedy one-to-one matching of detections (in score order) to ground truth.

    Args:
        boxes: ``(n, 4)`` detected ``xyxy`` pixels, best score first.
        truth: ``(m, 4)`` ground-truth ``xyxy`` pixels.
        iou_threshold: the overlap at which a detection hits a face.

    Returns:
        ``(hits, misses, false_positives)``.
    """
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    truth = np.asarray(truth, np.float64).reshape(-1, 4)
    iou = _iou(boxes, truth)
    free = np.ones(len(truth), bool)
    hits = 0
    for row in iou:
        cand = np.where(free & (row >= iou_threshold))[0]
        if cand.size:
            free[cand[np.argmax(row[cand])]] = False
            hits += 1
    return hits, int(free.sum()), len(boxes) - hits


@dataclass
class FaceScore:
    """One detector on the face set: counts over all images and the median time per image."""

    detector: str
    hits: int
    misses: int
    false_positives: int
    ms_per_image: float
    per_image: dict[str, tuple[int, int, int]]

    def row(self) -> list[object]:
        return [self.detector, self.hits, self.misses, self.false_positives,
                round(self.ms_per_image, 1)]


def face_images(shared_data: Path | None, *, negatives: bool = True
                ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The annotated images present: name -> (HxWx3 uint8 RGB image, ``(m, 4)`` truth).

    Args:
        shared_data: the shared data folder (None or absent: the astronaut only).
        negatives: also the :data:`NO_FACE` images (empty truth).
    """
    from oculi.data import load
    from oculi.io import read_image

    names = [*FACE_TRUTH, *(NO_FACE if negatives else ())]
    out = {}
    for name in names:
        truth = np.asarray(FACE_TRUTH.get(name, ()), np.float64).reshape(-1, 4)
        if name == "astronaut":
            out[name] = (load("astronaut", mode="rgb"), truth)
        elif shared_data is not None and (Path(shared_data) / name).is_file():
            out[name] = (read_image(Path(shared_data) / name, "rgb"), truth)
    return out


def score_detectors(detectors: dict[str, Callable[[np.ndarray], Detections]],
                    images: dict[str, tuple[np.ndarray, np.ndarray]], *, repeat: int = 3,
                    iou_threshold: float = 0.5) -> list[FaceScore]:
    """Run each detector on each image (one call that is scored, then the median of ``repeat``
    timed calls; ``repeat=0``: no timing, ``ms_per_image`` NaN) and count hits, misses and
    false positives."""
    scores = []
    for label, fn in detectors.items():
        per_image, times = {}, []
        for name, (image, truth) in images.items():
            dets = fn(image)
            runs = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                fn(image)
                runs.append(time.perf_counter() - t0)
            if runs:
                times.append(float(np.median(runs)))
            order = np.argsort(-dets.scores, kind="stable")
            per_image[name] = match_faces(dets.boxes[order], truth, iou_threshold)
        totals = np.sum(list(per_image.values()), axis=0) if per_image else np.zeros(3, int)
        scores.append(FaceScore(label, *map(int, totals),
                                ms_per_image=1e3 * float(np.mean(times)) if times else np.nan,
                                per_image=per_image))
    return scores


def face_detectors(models: Path | None) -> dict[str, Callable[[np.ndarray], Detections]]:
    """The detectors compared: ``lbp-face`` (built in) always; ``yunet`` and ``haar-face``
    when their files are in ``models`` (a folder laid out as the shared models: ``face/*.onnx``,
    ``cascades/haarcascade_frontalface_default.xml``)."""
    import functools

    from oculi.detect.faces import HAAR_FRONTAL, detect_faces, detect_faces_yunet

    out: dict[str, Callable[[np.ndarray], Detections]] = {}
    root = Path(models) if models is not None else None
    onnx = sorted((root / "face").glob("*yunet*.onnx")) if root and (root / "face").is_dir() \
        else []
    if onnx:
        out["yunet"] = functools.partial(detect_faces_yunet, weights=onnx[0])
    if root and (root / "cascades" / HAAR_FRONTAL).is_file():
        out["haar-face"] = functools.partial(detect_faces, weights=root / "cascades" / HAAR_FRONTAL)
    out["lbp-face"] = detect_faces
    return out


def shared_folders(names: Iterable[str] = ("data", "models")) -> dict[str, Path | None]:
    """``../shared/<name>`` next to the source checkout ($OCULI_SHARED_DATA for data), or None
    where absent."""
    import os

    root = Path(__file__).resolve().parents[3].parent / "shared"
    out: dict[str, Path | None] = {}
    for name in names:
        env = os.environ.get("OCULI_SHARED_DATA") if name == "data" else None
        path = Path(env) if env else root / name
        out[name] = path if path.is_dir() else None
    return out
