"""Rectified stereo: semi-global matching (oculi's and OpenCV's), depth, points, normals, metrics.

Disparity maps are HxW float32 pixels of the left view, NaN where invalid; a left pixel
``(x, y)`` with disparity ``d`` matches right pixel ``(x - d, y)``. Methods
(``methods.names()``): ``sgm`` (oculi's semi-global matcher), ``sgbm`` and ``sgbm-wls``
(OpenCV); ``compute_disparity(left, right, "sgm")`` runs one by name.
"""

from __future__ import annotations

from oculi.stereo._base import check_stereo_pair, methods, vertical_misalignment
from oculi.stereo.datasets import (
    StereoPair,
    load_motorcycle,
    read_depth_png,
    read_middlebury_2003,
    rescale_pair,
    visible_in_right,
)
from oculi.stereo.depth import (
    colorize_disparity,
    depth_to_points,
    disparity_to_depth,
    disparity_to_depth_matrix,
    disparity_to_png16,
    disparity_to_points,
    read_ply_points,
    write_ply,
)
from oculi.stereo.match import compute_disparity, round_disparities, sgbm, sgbm_wls
from oculi.stereo.metrics import bad_pixel_rate, disparity_errors
from oculi.stereo.normals import depth_normals, normal_angle_difference, normals_to_color
from oculi.stereo.sgm import semi_global_matching

__all__ = [
    "StereoPair",
    "bad_pixel_rate",
    "check_stereo_pair",
    "colorize_disparity",
    "compute_disparity",
    "depth_normals",
    "depth_to_points",
    "disparity_errors",
    "disparity_to_depth",
    "disparity_to_depth_matrix",
    "disparity_to_png16",
    "disparity_to_points",
    "load_motorcycle",
    "methods",
    "normal_angle_difference",
    "normals_to_color",
    "read_depth_png",
    "read_middlebury_2003",
    "read_ply_points",
    "rescale_pair",
    "round_disparities",
    "semi_global_matching",
    "sgbm",
    "sgbm_wls",
    "vertical_misalignment",
    "visible_in_right",
    "write_ply",
]
