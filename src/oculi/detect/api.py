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

import numpy as np

from oculi.core.deprecation import renamed_parameters
from oculi.core.errors import OculiError, ParameterError
from oculi.core.results import FileResults
from oculi.detect.types import Detections


def get_detector(model: str | os.PathLike[str]) -> Callable[..., list[Detections]]:
    """A callable ``(images, score_threshold=None) -> list[Detections]`` for a name or a run;
    ``score_threshold``
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
        return lambda images, score_threshold=None: net.detect(
            images, score_threshold=score_threshold)
    entry = detectors.entry(str(model))
    if not entry.meta["trainable"]:
        default = entry.meta["default_score_threshold"]
        return lambda images, score_threshold=None: [
            detectors.create(entry.name)(im, score_threshold=default if score_threshold is None
                                         else score_threshold) for im in images]
    raise ParameterError(f"model: {entry.name!r} needs training first — run `oculi train detect "
                         f"DATA --arch {entry.name} --out RUN` and pass --model RUN")


@renamed_parameters(score="score_threshold")
def detect(images: Sequence[np.ndarray], model: str | os.PathLike[str], *,
           score_threshold: float | None = None) -> list[Detections]:
    """Detect objects in HWC RGB images with a named or trained detector.

    Args:
        images: HxWx3 RGB (or HxW gray) uint8 or float in [0, 1].
        model: see :func:`get_detector`.
        score_threshold: minimum score (None: the detector's default: 0.5 for trained
            torchvision models, 0.25 for YOLO, 0.5 for HOG, all cascade faces).
    """
    return get_detector(model)(list(images), score_threshold=score_threshold)


@renamed_parameters(score="score_threshold")
def detect_files(paths: Sequence[str | os.PathLike[str]], model: str | os.PathLike[str], *,
                 score_threshold: float | None = None
                 ) -> FileResults[tuple[np.ndarray, Detections]]:
    """Detect in image files, going on past unreadable ones.

    Returns:
        :class:`~oculi.core.results.FileResults`: path -> ``(image, Detections)`` per readable
        file, path -> message per failure.
    """
    from oculi.io import read_image

    fn = get_detector(model)
    out: FileResults[tuple[np.ndarray, Detections]] = FileResults()
    for path in paths:
        try:
            image = read_image(Path(path), "rgb")
            out.results[str(path)] = (image, fn([image], score_threshold=score_threshold)[0])
        except OculiError as exc:
            out.failures[str(path)] = " ".join(str(exc).split())
    return out
