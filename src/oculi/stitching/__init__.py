"""Panorama stitching: registration, bundle adjustment, projections, seams and blending.

    from oculi.stitching import stitch
    pano = stitch(images, projection="spherical", blend="multiband", crop=True)
    pano.image, pano.mask, pano.transforms, pano.excluded, pano.reprojection_error

Features and matching come from :mod:`oculi.features`, homographies from :mod:`oculi.geometry`.
"""

from oculi.stitching.blend import BLENDS, blend, compensate_gains, distance_seams
from oculi.stitching.bundle import adjust_homographies, adjust_rotations
from oculi.stitching.cameras import Camera, estimate_focal, wave_correct
from oculi.stitching.crop import largest_inner_rectangle
from oculi.stitching.harness import SyntheticViews, rotating_views
from oculi.stitching.pipeline import MODELS, Panorama, stitch
from oculi.stitching.registration import PairMatch, connected_components, max_spanning_tree
from oculi.stitching.warp import PROJECTIONS

__all__ = [
    "BLENDS",
    "MODELS",
    "PROJECTIONS",
    "Camera",
    "PairMatch",
    "Panorama",
    "SyntheticViews",
    "adjust_homographies",
    "adjust_rotations",
    "blend",
    "compensate_gains",
    "connected_components",
    "distance_seams",
    "estimate_focal",
    "largest_inner_rectangle",
    "max_spanning_tree",
    "rotating_views",
    "stitch",
    "wave_correct",
]
