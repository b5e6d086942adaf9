"""Tour section for features: detections, matches and the comparison table on synthetic warps of an
embedded image, where the homography is known exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from oculi.report import Report


def synthetic_homographies(size: tuple[int, int], quick: bool = False) -> list[np.ndarray]:
    """Known homographies for an image of ``(height, width)``: rotation + scale, a perspective
    tilt and (full mode) a 90-degree rotation; each maps image 1 into image 2's frame."""
    h, w = size
    c = np.array([[1, 0, w / 2], [0, 1, h / 2], [0, 0, 1.0]])
    ci = np.linalg.inv(c)

    def rot(deg: float, s: float) -> np.ndarray:
        t = np.deg2rad(deg)
        return np.array([[s * np.cos(t), -s * np.sin(t), 0], [s * np.sin(t), s * np.cos(t), 0],
                         [0, 0, 1.0]])

    persp = np.array([[0.9, 0.08, 0], [-0.05, 0.95, 0], [4e-4 * 512 / w, 2e-4 * 512 / h, 1.0]])
    hs = [c @ rot(20, 0.8) @ ci, c @ persp @ ci]
    if not quick:
        hs.append(c @ rot(90, 1.0) @ ci)
    return hs


def section(report: Report, workdir: Path, quick: bool) -> None:
    """Detections, matches and the measured table on warps of the 'astronaut' sample."""
    import cv2

    from oculi.core.convert import to_gray
    from oculi.data import load
    from oculi.features import compare_methods, detect_and_describe
    from oculi.features.compare import DEFAULT_METHODS, TABLE_HEADERS, table_rows
    from oculi.features.datasets import HomographyPair
    from oculi.features.draw import draw_keypoints, draw_matches
    from oculi.features.pipeline import match_images
    from oculi.io import write_image

    image = load("astronaut")
    if quick:
        image = cv2.resize(image, (320, 320), interpolation=cv2.INTER_AREA)
    gray = to_gray(image)
    h, w = gray.shape
    pairs = []
    path1 = workdir / "features_ref.png"
    write_image(path1, gray)
    warped = []
    for i, hom in enumerate(synthetic_homographies((h, w), quick)):
        img2 = cv2.warpPerspective(gray, hom, (w, h), flags=cv2.INTER_LINEAR)
        warped.append(img2)
        p2 = workdir / f"features_warp{i + 1}.png"
        write_image(p2, img2)
        pairs.append(HomographyPair(f"astronaut/warp{i + 1}", path1, p2, hom))

    sec = report.section(
        "Feature detection",
        "Keypoints of SURF (oculi's own implementation), SIFT and ORB on the 'astronaut' sample: "
        "circles show the keypoint size, the radius its orientation.",
    )
    for name in ("surf", "sift", "orb"):
        f = detect_and_describe(image, name)
        sec.image(draw_keypoints(image, f, max_keypoints=300), f"{name}: {len(f)} keypoints",
                  name=f"features-{name}", width=320)

    sec = report.section(
        "Feature matching",
        "SURF matches (ratio 0.8, mutual) between the sample and a 20-degree rotation with 0.8x "
        "scale; green lines agree with the estimated homography (3 px), red ones do not.",
    )
    res = match_images(gray, warped[0], "surf")
    s = res.summary()
    sec.image(draw_matches(gray, warped[0], res.features1, res.features2, res.matches,
                           inliers=res.inliers, max_matches=200),
              f"surf: {s['matches']} matches, {s['inliers']} inliers", name="features-matches")

    methods = ("surf", "sift", "orb", "fast") if quick else DEFAULT_METHODS
    res_t = compare_methods(pairs, methods)
    sec = report.section(
        "Measured comparison table",
        f"{len(pairs)} synthetic warps with known homographies. Repeatability and matching score "
        "use a 3 px criterion; homography accuracy is the fraction of pairs whose mean corner "
        "error is within 1/3/5 px; ms/image is the median detect+describe time on this machine. "
        "FAST is a detector only, so its descriptor columns are empty. bench/features.py and "
        "'oculi features compare' measure the same on real data.",
    )
    sec.table(TABLE_HEADERS, table_rows(res_t))
