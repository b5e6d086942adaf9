"""Tour section for detection: OpenCV's classical detectors on the embedded photos, the
evolution of the region-based detectors (R-CNN → Fast → Faster R-CNN) and EfficientDet against
the other detectors, both read from bench/results/detect.jsonl, and, when a trained run is named
by ``$OCULI_TOUR_DETECT_RUN``, that model's predictions."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from oculi.report import Report

#: benchmark results this section reads (bench/detect.py writes them)
BENCH_RESULTS = Path(__file__).resolve().parents[3] / "bench" / "results" / "detect.jsonl"
#: the region-based evolution, oldest first
EVOLUTION = ("rcnn", "fastrcnn", "fasterrcnn")


def bench_rows(lead: str, others: tuple[str, ...] | None = None,
               path: Path | None = None) -> list[dict[str, Any]]:
    """The latest ``lead`` line of the detection benchmark and, for each of ``others`` (None:
    every architecture), its latest line at the same budget and image size: the equal-budget
    comparison, ``lead`` first. Empty when there is no ``lead`` line (or no file)."""
    path = BENCH_RESULTS if path is None else path
    if not path.is_file():
        return []
    lines = [json.loads(ln) for ln in path.read_text().splitlines() if ln.strip()]
    leads = [r for r in lines if r.get("arch") == lead]
    if not leads:
        return []
    top = leads[-1]
    latest: dict[str, dict[str, Any]] = {}
    for r in lines:
        if (r.get("arch") != lead and (others is None or r.get("arch") in others)
                and r.get("budget_s") == top["budget_s"]
                and r.get("image_size") == top["image_size"]):
            latest[r["arch"]] = r
    return [top, *latest.values()]


def _bench_table(sec: Any, rows: list[dict[str, Any]], what: str) -> None:
    if not rows:
        sec.text(f"No {what} in bench/results/detect.jsonl yet (run `python -m bench.detect "
                 "--archs ...`).")
        return
    top = rows[0]
    sec.table(["detector", "epochs", "train s", "mAP@.5", "mAP@[.5:.95]", "ms / image",
               "measured (UTC)"],
              [[r["arch"], r["epochs"], r["train_time_s"], round(r["test_map50"], 3),
                round(r["test_map"], 3),
                r.get("ms_per_image") or round(1000 / r["inference_images_per_s"], 1),
                r["time"][:16].replace("T", " ")]
               for r in rows],
              caption=f"raccoon, {top['test_images']} test images, {top['image_size']} px, "
                      f"{top['budget_s']:.0f} s training budget each on this CPU (one thread); "
                      f"read from bench/results/detect.jsonl ({top['time'][:10]}), not "
                      "measured by the tour")


def _benchmarks(report: Report) -> None:
    sec = report.section(
        "From R-CNN to Faster R-CNN",
        "R-CNN (2014) pushes every selective-search proposal through the CNN on its own and "
        "scores it with linear SVMs; Fast R-CNN (2015) runs the CNN once per image and pools "
        "each proposal from that map (RoI pooling), training the heads end to end; Faster "
        "R-CNN (2015) replaces selective search by a learned region proposal network on the "
        "same map. All three on the same backbone and training budget.")
    evo = {r["arch"]: r for r in bench_rows("rcnn", EVOLUTION[1:])}
    _bench_table(sec, [evo[a] for a in EVOLUTION if a in evo], "R-CNN result")
    sec = report.section(
        "EfficientDet against the other detectors",
        "EfficientDet-D0-sized (BiFPN with fast normalised fusion, 64 channels, 3 layers, "
        "separable focal-loss head) against the other detectors at the same budget.")
    _bench_table(sec, bench_rows("efficientdet"), "EfficientDet result")


def _faces(report: Report, quick: bool) -> None:
    from oculi.detect.face_eval import (
        face_detectors,
        face_images,
        score_detectors,
        shared_folders,
    )

    shared = shared_folders()
    detectors = face_detectors(shared["models"])
    images = face_images(None if quick else shared["data"])
    scores = score_detectors(detectors, images, repeat=1 if quick else 3)
    missing = [n for n in ("yunet", "haar-face") if n not in detectors]
    text = ("Three face detectors on hand-annotated faces (one box per face, hairline to chin; "
            "a hit is IoU >= 0.5): yunet, the YuNet CNN run by cv2.FaceDetectorYN; haar-face, "
            "OpenCV's Viola–Jones haarcascade_frontalface_default.xml; lbp-face, the built-in "
            "LBP cascade. yunet and haar-face load their files from the path given (--weights); "
            "here from ../shared/models when present. ")
    empty = [n for n, (_, truth) in images.items() if not len(truth)]
    text += f"Faces: {', '.join(n for n in images if n not in empty)}. "
    if empty:
        text += f"Images without people (false positives only): {', '.join(empty)}. "
    text += "ms: mean over images of the median per-image time on this machine."
    if missing:
        text += f" Not measured here ({', '.join(missing)}): ../shared/models is absent."
    report.section("Face detectors on real faces", text).table(
        ["detector", "hits", "misses", "false positives", "ms / image"],
        [s.row() for s in scores])


def section(report: Report, workdir: Path, quick: bool) -> None:
    """Viola–Jones faces and HOG people on astronaut, chelsea, coffee (and rocket)."""
    from oculi.data import load
    from oculi.detect import detect_faces, detect_people, detectors, draw_detections

    sec = report.section(
        "Classical detection",
        "The built-in face detector lbp-face (the LBP frontal-face cascade that scikit-image "
        "ships, run by OpenCV's cascade classifier) and the Dalal–Triggs HOG + linear-SVM people "
        "detector OpenCV ships, each followed by non-maximum suppression. Boxes are xyxy pixels; "
        "the cascade on the cat is a known false positive of these weak classifiers.",
    )
    names = ["astronaut", "chelsea"] if quick else ["astronaut", "chelsea", "coffee", "rocket"]
    rows = []
    images = {name: load(name, mode="rgb") for name in names}
    for name, image in images.items():
        t0 = time.perf_counter()
        faces = detect_faces(image)
        t1 = time.perf_counter()
        people = detect_people(image, score_threshold=0.5, stride=16 if quick else 8)
        t2 = time.perf_counter()
        drawn = draw_detections(image, faces.boxes, labels=[f"face {s:.1f}" for s in
                                                            faces.scores])
        drawn = draw_detections(drawn, people.boxes, color=(40, 120, 255),
                                labels=[f"person {s:.2f}" for s in people.scores])
        sec.image(drawn, f"{name}: {len(faces)} face(s), {len(people)} person(s)",
                  name=f"det-{name}", width=220)
        rows.append([name, len(faces), [[round(float(v)) for v in b] for b in faces.boxes],
                     round((t1 - t0) * 1e3), len(people), round((t2 - t1) * 1e3)])
    sec.table(["image", "faces", "face boxes", "cascade ms", "people", "HOG ms"], rows)
    _faces(report, quick)
    sec = report.section("Trainable detectors", "Region-based and single-shot detectors on the "
                         "registry's EfficientNet-Lite0 backbone; train with `oculi train detect "
                         "DATA --arch NAME --out RUN`, measured with COCO mAP by pycocotools "
                         "(`oculi eval detect RUN DATA`).")
    sec.table(["name", "family", "implementation"],
              [[e.name, e.meta["family"], e.help] for e in detectors.entries()])
    run = os.environ.get("OCULI_TOUR_DETECT_RUN")
    if run and Path(run).exists():
        from oculi.detect import load_detector

        model = load_detector(run)
        for name in names[:2]:
            image = images[name]
            d = model.detect([image], score_threshold=0.3)[0]
            sec.image(draw_detections(image, d.boxes, labels=[f"{n} {s:.2f}" for n, s in
                                                              zip(d.names, d.scores,
                                                                  strict=True)]),
                      f"{model.arch} from {run}: {len(d)} object(s)", name=f"trained-{name}",
                      width=220)
    _benchmarks(report)
