"""Geometry: homography, affine and similarity estimation (normalised DLT, LO-RANSAC, LM) and
applying 3x3 transforms to points and images.

    from oculi.geometry import estimate_homography, corner_error
    est = estimate_homography(xy1, xy2, threshold=3.0)      # (N, 2) pixels each
    est.model, est.inliers, est.residuals

Homographies map column vectors ``[x, y, 1]`` of image 1 to image 2 (docs/conventions.md).
"""

from oculi.geometry._solvers import dlt_homography, normalize_points
from oculi.geometry.ransac import (
    Estimate,
    ModelSpec,
    estimate_affine,
    estimate_homography,
    estimate_similarity,
    estimate_transform,
    fit_homography,
    models,
)
from oculi.geometry.refine import refine_homography
from oculi.geometry.transforms import (
    corner_error,
    image_corners,
    reprojection_errors,
    symmetric_errors,
    transform_points,
    warp_image,
)

__all__ = [
    "Estimate",
    "ModelSpec",
    "corner_error",
    "dlt_homography",
    "estimate_affine",
    "estimate_homography",
    "estimate_similarity",
    "estimate_transform",
    "fit_homography",
    "image_corners",
    "models",
    "normalize_points",
    "refine_homography",
    "reprojection_errors",
    "symmetric_errors",
    "transform_points",
    "warp_image",
]
