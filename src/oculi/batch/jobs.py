"""The per-image work of ``oculi batch TOPIC``: one factory per topic, built on the topic's own
public functions (no logic of its own).

A factory takes the topic's options (keywords; ``None`` keeps the library's default), loads what
the work needs once (a model, an OCR engine) and returns a *runner*: ``runner(paths) ->
FileResults[JobOutput]``, which goes on past a file it cannot read. The same runner serves the
in-process loop and each Ray actor (:mod:`oculi.batch.engine`), so both give the same outputs.

    >>> sorted(jobs.names())
    ['classify', 'convert', 'detect', 'explain', 'features', 'ocr', 'segment']
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from oculi.core.errors import OculiError
from oculi.core.registry import Registry
from oculi.core.results import FileResults


@dataclass
class JobOutput:
    """What one input gives.

    Attributes:
        record: the JSON-ready result, written as ``<stem>.json``.
        pictures: file-name ending -> HxW or HxWx3 uint8 image, written as ``<stem><ending>``
            (``".overlay.png"``; ``".png"`` for ``convert``) before the record.
        summary: one line for the index (``"Egyptian cat 0.871"``).
    """

    record: dict[str, Any]
    pictures: dict[str, np.ndarray] = field(default_factory=dict)
    summary: str = ""


#: ``runner(paths) -> FileResults[JobOutput]``
Runner = Callable[[Sequence[str]], FileResults[JobOutput]]

#: the batch jobs by topic name; ``jobs.create(name, **options)`` returns a :data:`Runner`
jobs: Registry[Callable[..., Runner]] = Registry("batch job")


def _given(**options: Any) -> dict[str, Any]:
    """The options the caller set (``None`` leaves the library's default)."""
    return {k: v for k, v in options.items() if v is not None}


def _per_image(work: Callable[[str], JobOutput]) -> Runner:
    """A runner calling ``work(path)`` on each path; an oculi error or ``OSError`` becomes that
    path's failure and the rest go on."""
    def run(paths: Sequence[str]) -> FileResults[JobOutput]:
        out: FileResults[JobOutput] = FileResults()
        for path in paths:
            try:
                out.results[path] = work(path)
            except (OculiError, OSError) as exc:
                out.failures[path] = " ".join(str(exc).split())
        return out
    return run


@jobs.register("classify", help="top-k classes of a zoo model (or checkpoint): oculi classify")
def classify_job(*, model: str | None = None, weights: str | None = None, top: int | None = None,
                 batch_size: int | None = None) -> Runner:
    """Record: ``{"predictions": [{"index", "label", "probability"}, ...]}`` (best first)."""
    from oculi.classify import DEFAULT_MODEL, classify_files, get_model

    net = get_model(model or DEFAULT_MODEL, weights, allow_download=False)
    opts = _given(top=top, batch_size=batch_size)

    def run(paths: Sequence[str]) -> FileResults[JobOutput]:
        results, failures = classify_files(paths, net, **opts)
        return FileResults({p: JobOutput({"predictions": [x.as_dict() for x in preds]},
                                         summary=f"{preds[0].label} {preds[0].probability:.3f}")
                            for p, preds in results.items()}, failures)
    return run


@jobs.register("explain", help="a saliency map over the image: oculi explain")
def explain_job(*, method: str = "gradcam", model: str | None = None, weights: str | None = None,
                target: int | str | None = None, layer: str | None = None,
                alpha: float = 0.5) -> Runner:
    """Record: target class, its probability and score, the layer; picture ``.overlay.png``."""
    from oculi.classify import DEFAULT_MODEL, get_model
    from oculi.explain.run import explain_files, label
    from oculi.explain.visual import overlay

    net = get_model(model or DEFAULT_MODEL, weights, allow_download=False)

    def run(paths: Sequence[str]) -> FileResults[JobOutput]:
        results, failures = explain_files(list(paths), method, net, target=target, layer=layer)
        out: FileResults[JobOutput] = FileResults(failures=failures)
        for r in results:
            e = next(iter(r.explanations.values()))
            t = int(e.targets[0])
            record = {"method": method, "target": t, "label": label(net, t),
                      "prob": float(e.probs[0]), "score": float(e.scores[0]), "layer": e.layer}
            image = r.image.permute(1, 2, 0).numpy()
            out.results[r.path] = JobOutput(
                record, {".overlay.png": overlay(image, e.maps[0], alpha=alpha)},
                f"{record['label']} {record['prob']:.3f}")
        return out
    return run


@jobs.register("detect", help="boxes of a classical detector or a trained run: oculi detect")
def detect_job(*, model: str, weights: str | None = None, score_threshold: float | None = None,
               overlay: bool = True) -> Runner:
    """Record: ``{"detections": [{"box", "score", "label", "name"}, ...]}``; picture
    ``.overlay.png`` (``overlay=False``: none)."""
    from oculi.detect import draw_detections, get_detector
    from oculi.io import read_image

    detector = get_detector(model, weights=weights)

    def work(path: str) -> JobOutput:
        image = read_image(Path(path), "rgb")
        dets = detector([image], score_threshold=score_threshold)[0]
        labels = [f"{n} {s:.2f}" for n, s in zip(dets.names, dets.scores, strict=True)]
        pictures = {".overlay.png": draw_detections(image, dets.boxes, labels=labels)} \
            if overlay else {}
        return JobOutput({"detections": dets.to_dict()}, pictures, f"{len(dets)} object(s)")
    return _per_image(work)


@jobs.register("segment", help="a class mask of a trained run: oculi segment")
def segment_job(*, run: str, tile: int | None = None, threshold: float | None = None,
                overlay: bool = True) -> Runner:
    """Record: mask shape and class fractions; pictures ``.mask.png`` (class indices) and
    ``.overlay.png``."""
    from oculi.io import read_image
    from oculi.segment import load_segmenter, predict_image
    from oculi.segment import overlay as blend

    net = load_segmenter(run)
    names = net.class_names or [str(i) for i in range(net.num_classes)]
    opts = _given(tile=tile, threshold=threshold)

    def work(path: str) -> JobOutput:
        image = read_image(Path(path), mode="rgb")
        mask, _ = predict_image(net, image, **opts)
        frac = np.bincount(mask.ravel(), minlength=net.num_classes) / max(mask.size, 1)
        pictures = {".mask.png": mask.astype(np.uint8 if net.num_classes <= 256 else np.uint16)}
        if overlay:
            pictures[".overlay.png"] = blend(image, mask)
        fractions = dict(zip(names, frac.tolist(), strict=False))
        top = max(fractions, key=fractions.__getitem__)
        return JobOutput({"shape": list(mask.shape), "fractions": fractions}, pictures,
                         f"{top} {fractions[top]:.3f}")
    return _per_image(work)


@jobs.register("features", help="keypoints (and descriptor facts): oculi features detect")
def features_job(*, method: str = "sift", keypoints: bool = True) -> Runner:
    """Record: the method's summary (counts, descriptor kind) and, with ``keypoints``, every
    keypoint (``x``, ``y``, ``size``, ``angle``, ``response``, ``octave``)."""
    from oculi.features import detect_and_describe
    from oculi.io import read_image

    def work(path: str) -> JobOutput:
        feats = detect_and_describe(read_image(Path(path)), method)
        record = feats.summary()
        if keypoints:
            record["keypoints_list"] = feats.keypoints.as_dict()
        return JobOutput(record, summary=f"{len(feats)} keypoints")
    return _per_image(work)


@jobs.register("ocr", help="the text, lines and word boxes of a page or photo: oculi ocr")
def ocr_job(*, engine: str = "tesseract", lang: str | None = None, preprocess: bool = True,
            overlay: bool = False) -> Runner:
    """Record: :meth:`oculi.ocr.OcrResult.to_dict` (text, lines, words, confidence); picture
    ``.overlay.png`` with ``overlay``."""
    from oculi.io import read_image
    from oculi.ocr import create_engine, draw_boxes, recognize

    eng = create_engine(engine)

    def work(path: str) -> JobOutput:
        image = read_image(Path(path), mode="unchanged")
        res = recognize(image, engine=eng, lang=lang, preprocess=preprocess)
        pictures = {".overlay.png": draw_boxes(image, res)} if overlay else {}
        return JobOutput(res.to_dict(), pictures, f"{len(res.words)} words")
    return _per_image(work)


@jobs.register("convert", help="format conversion and shrinking: oculi convert",
               aliases=("resize",))
def convert_job(*, format: str = "png", max_size: int | None = None, gray: bool = False
                ) -> Runner:
    """Record: the written picture's size; picture ``.<format>`` (``max_size`` shrinks so the
    longer side is at most that many pixels; never enlarges)."""
    from oculi.core.checks import check_positive
    from oculi.io import output_format, read_image

    if max_size is not None:
        check_positive(max_size, "max_size")
    ending = "." + str(format).lower().lstrip(".")
    output_format(Path("x" + ending))  # an unknown format fails before any work

    def work(path: str) -> JobOutput:
        image = read_image(Path(path), mode="gray" if gray else "unchanged", max_size=max_size)
        h, w = image.shape[:2]
        return JobOutput({"width": w, "height": h, "format": ending[1:]},
                         {ending: image}, f"{w}x{h}")
    return _per_image(work)
