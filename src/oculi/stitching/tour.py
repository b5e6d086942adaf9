"""Tour section for stitching: a panorama from rotated perspective views of an embedded scene,
with every estimated homography checked against the known one."""

from __future__ import annotations

from pathlib import Path

from oculi.report import Report


def section(report: Report, workdir: Path, quick: bool) -> None:
    """Render views with known geometry, stitch them, and compare with the truth and OpenCV."""
    import time

    import cv2
    import numpy as np

    from oculi.stitching import rotating_views, stitch
    from oculi.stitching.harness import evaluate_panorama

    n, size = (3, (200, 260)) if quick else (5, (360, 480))
    overlap = 0.35 if quick else 0.2
    views = rotating_views(n, overlap=overlap, size=size, seed=0)
    sec = report.section(
        "Stitching: a panorama with known geometry",
        f"{n} views ({size[1]}x{size[0]}, 50° field of view) of a cylinder textured with embedded "
        f"photos, rendered by a pinhole camera turning in yaw with a little pitch and roll; "
        f"neighbours overlap by {overlap:.0%}. The true homographies are known exactly "
        "(H_ij = K R_j R_i^T K^-1). oculi: ORB features (SIFT when ORB places a view through "
        "fewer than 50 inliers), RANSAC homographies, matches made sub-pixel by Lucas–Kanade, "
        "a maximum spanning tree, robust bundle adjustment of rotations and focal length, "
        "wave correction, "
        "spherical projection, gain compensation, distance-transform seams, multi-band blending.",
    )
    strip = np.concatenate(views.images, axis=1)
    sec.image(strip, "the input views (any order works)", name="stitch-views", width=900)
    t0 = time.perf_counter()
    pano = stitch(views.images)
    seconds = time.perf_counter() - t0
    r = evaluate_panorama(views, pano)
    sec.image(pano.image, f"oculi panorama ({pano.image.shape[1]}x{pano.image.shape[0]}, "
              f"{seconds:.2f} s)", name="stitch-pano", width=900)
    rows = []
    for k, (i, j) in enumerate((i, i + 1) for i in range(n - 1)):
        if k < len(r["corner_errors_px"]):
            rows.append([f"view {i} -> view {j}", r["corner_errors_px"][k]])
    sec.table(["homography", "corner error vs truth (px)"], rows,
              caption="corners of view i mapped by the estimated and by the true homography")
    bgr = [cv2.cvtColor(im, cv2.COLOR_RGB2BGR) for im in views.images]
    t0 = time.perf_counter()
    status, cv_pano = cv2.Stitcher_create(cv2.Stitcher_PANORAMA).stitch(bgr)
    cv_seconds = time.perf_counter() - t0
    sec.table(
        ["", "oculi", "OpenCV Stitcher"],
        [["views kept", f"{len(r['kept'])}/{n}", "ok" if status == 0 else f"failed ({status})"],
         ["panorama width (px)", pano.image.shape[1],
          cv_pano.shape[1] if status == 0 else "-"],
         ["mean reprojection error after adjustment (px)", pano.reprojection_error, "-"],
         ["transfer error in the overlaps vs truth (px)", r["overlap_error_px"], "-"],
         ["largest tilt of a world vertical (degrees)", r["vertical_tilt_deg"], "-"],
         ["seconds", seconds, cv_seconds]],
    )
    if status == 0:
        sec.image(cv2.cvtColor(cv_pano, cv2.COLOR_BGR2RGB), "OpenCV Stitcher (PANORAMA mode)",
                  name="stitch-cv2", width=900)
