"""Tour section for detection: OpenCV's classical detectors on the embedded photos and, when a
trained run is named by ``$OCULI_TOUR_DETECT_RUN``, that model's predictions."""

from __future__ import annotations

import os
import time
from pathlib import Path

from oculi.report import Report


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
