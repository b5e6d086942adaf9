"""Face detectors on real faces, side by side: YuNet (``cv2.FaceDetectorYN``) and OpenCV's Haar
frontal-face cascade, both loaded by path from ``../shared/models``, against oculi's built-in
LBP cascade (``lbp-face``, the anchor of the time ratio).

Faces: the embedded astronaut and the Set5 / Kodak portraits (``baby``, ``head`` — a profile —,
``woman``, ``kodim04``), one hand-annotated box per face (:mod:`oculi.detect.face_eval`); seven
shared images without people count false positives. A hit is IoU >= 0.5. Time: per image the
median of ``--repeat`` calls after one scored call, averaged over the images; one thread.

Run: ``.venv/bin/python -m bench.faces [--repeat 5]``
"""

from __future__ import annotations

import argparse

from bench._common import SHARED_DATA, print_table, record
from oculi.core.timing import pin_threads
from oculi.detect.face_eval import face_detectors, face_images, score_detectors

MODELS = SHARED_DATA.parent / "models"
ANCHOR = "lbp-face"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    if not SHARED_DATA.is_dir():
        print(f"shared data not found at {SHARED_DATA}; nothing to measure")
        return
    pin_threads(1)
    images = face_images(SHARED_DATA)
    scores = score_detectors(face_detectors(MODELS if MODELS.is_dir() else None), images,
                             repeat=args.repeat)
    anchor = next(s.ms_per_image for s in scores if s.detector == ANCHOR)
    rows = [[*s.row(), round(s.ms_per_image / anchor, 2)] for s in scores]
    print_table(["detector", "hits", "misses", "false pos.", "ms/image", f"time / {ANCHOR}"],
                rows)
    faces = sum(1 for _, truth in images.values() if len(truth))
    record("faces", {"images": list(images), "faces": faces, "iou_threshold": 0.5,
                     "repeat": args.repeat, "anchor": ANCHOR,
                     "detectors": {s.detector: {"hits": s.hits, "misses": s.misses,
                                                "false_positives": s.false_positives,
                                                "ms_per_image": round(s.ms_per_image, 2),
                                                "time_ratio": round(s.ms_per_image / anchor, 3),
                                                "per_image": s.per_image}
                                   for s in scores}})


if __name__ == "__main__":
    main()
