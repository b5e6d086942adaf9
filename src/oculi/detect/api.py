"""One entry point for every detector: a registry name (classical, needs no training) or a
trained run folder / checkpoint.

    >>> from oculi.data import load
    >>> [d.names for d in detect([load("astronaut")], "haar-face")]
    [['face']]
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from oculi.core.errors import OculiError, ParameterError
from oculi.detect.types import Detections


def get_detector(model: str | os.PathLike[str]) -> Callable[..., list[Detections]]:
    """A callable ``(images, score=None) -> list[Detections]`` for a name or a run; ``score``
    None is the detector's own default (see :func:`detect`).

    Args:
        model: ``hog-people``, ``haar-face``, or a run folder / ``.safetensors`` of a trained
            detector. An untrained architecture name is rejected (train it first).

    Raises:
        ParameterError: an architecture name without a trained run.
        UnknownNameError: neither a run nor a registry name.
    """
    from oculi.detect.models import detectors

    p = Path(model)
    if p.exists():
        from oculi.detect.task import load_detector

        net = load_detector(p)
        return lambda images, score=None: net.detect(images, score=score)
    entry = detectors.entry(str(model))
    if entry.name == "hog-people":
        from oculi.detect.classical import detect_people

        return lambda images, score=None: [
            detect_people(im, score=0.5 if score is None else score) for im in images]
    if entry.name == "haar-face":
        from oculi.detect.classical import detect_faces

        return lambda images, score=None: [detect_faces(im, score=score) for im in images]
    raise ParameterError(f"model: {entry.name!r} needs training first — run `oculi train detect "
                         f"DATA --arch {entry.name} --out RUN` and pass --model RUN")


def detect(images: Sequence[np.ndarray], model: str | os.PathLike[str], *,
           score: float | None = None) -> list[Detections]:
    """Detect objects in HWC RGB images with a named or trained detector.

    Args:
        images: HxWx3 RGB (or HxW gray) uint8 or float in [0, 1].
        model: see :func:`get_detector`.
        score: minimum score (None: the detector's default: 0.5 for trained
            torchvision models, 0.25 for YOLO, 0.5 for HOG, all cascade faces).
    """
    return get_detector(model)(list(images), score=score)


def detect_files(paths: Sequence[str | os.PathLike[str]], model: str | os.PathLike[str], *,
                 score: float | None = None) -> tuple[list[tuple[Path, np.ndarray, Detections]],
                                                      list[tuple[Path, str]]]:
    """Detect in image files, going on past unreadable ones.

    Returns:
        ``(results, failures)``: ``(path, image, Detections)`` per readable file and
        ``(path, message)`` per failure.
    """
    from oculi.io import read_image

    fn = get_detector(model)
    results: list[tuple[Path, np.ndarray, Any]] = []
    failures: list[tuple[Path, str]] = []
    for path in map(Path, paths):
        try:
            image = read_image(path, "rgb")
            dets = fn([image], score=score)
            results.append((path, image, dets[0]))
        except OculiError as exc:
            failures.append((path, str(exc)))
    return results, failures
