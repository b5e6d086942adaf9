"""One entry point for every detector: a registry name (classical, needs no training) or a
trained run folder / checkpoint.

    >>> from oculi.data import load
    >>> [d.names for d in detect([load("astronaut")], "lbp-face")]
    [['face']]
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from oculi.core.checks import check_images, check_paths
from oculi.core.deprecation import renamed_parameters
from oculi.core.errors import OculiError, ParameterError
from oculi.core.results import FileResults
from oculi.detect.types import Detections


def get_detector(model: str | os.PathLike[str], *,
                 weights: str | os.PathLike[str] | None = None
                 ) -> Callable[..., list[Detections]]:
    """A callable ``(images, score_threshold=None) -> list[Detections]`` for a name or a run;
    ``score_threshold`` None is the detector's own default (see :func:`detect`).

    Args:
        model: a classical detector's name (``hog-people``, ``yunet``, ``haar-face``,
            ``lbp-face``) or a run folder / ``.safetensors`` of a trained detector. An untrained
            architecture name is rejected (train it first).
        weights: the model file of a classical detector that loads one (``yunet``: ONNX;
            ``haar-face``/``lbp-face``: cascade XML). Checked here, before any image is read.

    Raises:
        ParameterError: an architecture name without a trained run, or ``weights`` for a
            detector that takes none.
        MissingDependencyError: ``yunet`` without ``weights``.
        DataError: ``weights`` is not a readable model file.
        UnknownNameError: neither a run nor a registry name.
    """
    from oculi.detect.models import detectors

    p = Path(model)
    if p.exists():
        from oculi.detect.task import load_detector

        _no_weights(weights, f"a trained run ({p})")
        net = load_detector(p)
        return lambda images, score_threshold=None: net.detect(
            images, score_threshold=score_threshold)
    entry = detectors.entry(str(model))
    if entry.meta["trainable"]:
        raise ParameterError(f"model: {entry.name!r} needs training first — run `oculi train "
                             f"detect DATA --arch {entry.name} --out RUN` and pass --model RUN")
    if entry.meta["weights"] is None:
        _no_weights(weights, entry.name)
        fn = detectors.create(entry.name)
    else:
        fn = detectors.create(entry.name, weights=weights)
        fn(np.zeros((32, 32, 3), np.uint8))  # loads the model once: a bad file fails here
    default = entry.meta["default_score_threshold"]
    return lambda images, score_threshold=None: [
        fn(im, score_threshold=default if score_threshold is None else score_threshold)
        for im in images]


def _no_weights(weights: object, what: str) -> None:
    if weights is not None:
        raise ParameterError(f"weights: {what} takes no weights file (only yunet, haar-face "
                             "and lbp-face load one)")


@renamed_parameters(score="score_threshold")
def detect(images: Sequence[np.ndarray], model: str | os.PathLike[str], *,
           score_threshold: float | None = None,
           weights: str | os.PathLike[str] | None = None) -> list[Detections]:
    """Detect objects in HWC RGB images with a named or trained detector.

    Args:
        images: HxWx3 RGB (or HxW gray) uint8 or float in [0, 1].
        model: see :func:`get_detector`.
        score_threshold: minimum score (None: the detector's default: 0.5 for trained
            torchvision models, 0.25 for YOLO, 0.5 for HOG, 0.6 for YuNet, all cascade faces).
        weights: a classical detector's model file (see :func:`get_detector`).
    """
    images = check_images(images)
    return get_detector(model, weights=weights)(images, score_threshold=score_threshold)


@renamed_parameters(score="score_threshold")
def detect_files(paths: Sequence[str | os.PathLike[str]], model: str | os.PathLike[str], *,
                 score_threshold: float | None = None,
                 weights: str | os.PathLike[str] | None = None
                 ) -> FileResults[tuple[np.ndarray, Detections]]:
    """Detect in image files, going on past unreadable ones (``model`` and ``weights`` are
    checked first, once: see :func:`get_detector`).

    Returns:
        :class:`~oculi.core.results.FileResults`: path -> ``(image, Detections)`` per readable
        file, path -> message per failure.
    """
    from oculi.io import read_image

    paths = check_paths(paths)
    fn = get_detector(model, weights=weights)
    out: FileResults[tuple[np.ndarray, Detections]] = FileResults()
    for path in paths:
        try:
            image = read_image(Path(path), "rgb")
            out.results[str(path)] = (image, fn([image], score_threshold=score_threshold)[0])
        except OculiError as exc:
            out.failures[str(path)] = " ".join(str(exc).split())
    return out
