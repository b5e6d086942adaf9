"""Structure from motion: cameras, two-view geometry, triangulation, PnP, bundle adjustment,
incremental reconstruction of an unordered image set, export (PLY, COLMAP text), visual odometry.

    from oculi.sfm import Camera, relative_pose, triangulate, solve_pnp, bundle_adjust
    pose = relative_pose(xy1, xy2, camera)          # R, t (unit), inliers, points3d
    rec = reconstruct(paths, camera)                # a Reconstruction; write_colmap_text(rec, dir)

Poses are world-to-camera ``(R, t)``: ``X_cam = R X + t``; pixels ``(x, y)`` (docs/sfm.md).
"""

from oculi.sfm.bundle import BundleResult, bundle_adjust, rodrigues, rotation_to_rvec
from oculi.sfm.camera import (
    CalibratedView,
    Camera,
    read_kitti_calib,
    read_middlebury_par,
)
from oculi.sfm.colmap import colmap_available, reconstruct_colmap
from oculi.sfm.evaluate import PoseErrors, pose_errors
from oculi.sfm.export import read_colmap_text, read_ply, write_colmap_text, write_ply
from oculi.sfm.incremental import SfMConfig, reconstruct, reconstruct_features
from oculi.sfm.kitti import (
    KittiSequence,
    read_calib_k,
    read_kitti_poses,
    read_kitti_sequence,
    write_kitti_poses,
)
from oculi.sfm.pnp import PnPResult, solve_pnp
from oculi.sfm.reconstruction import Reconstruction
from oculi.sfm.trajectory import (
    KITTI_LENGTHS,
    SHORT_LENGTHS,
    Alignment,
    KittiErrors,
    align_trajectory,
    ate,
    kitti_errors,
    path_length,
    rpe,
    umeyama,
)
from oculi.sfm.triangulate import (
    depths,
    parallax_angles,
    point_covariance,
    project_points,
    reprojection_errors,
    triangulate,
)
from oculi.sfm.twoview import (
    DegenerateMotionError,
    EpipolarEstimate,
    PlanarSceneWarning,
    RelativePose,
    decompose_essential,
    estimate_essential,
    estimate_fundamental,
    fundamental_from_essential,
    recover_pose,
    relative_pose,
    sampson_errors,
)
from oculi.sfm.viewgraph import PairMatches, ViewGraph, build_tracks, build_view_graph
from oculi.sfm.vo import VOConfig, VOResult, visual_odometry

__all__ = [
    "KITTI_LENGTHS",
    "SHORT_LENGTHS",
    "Alignment",
    "BundleResult",
    "CalibratedView",
    "Camera",
    "DegenerateMotionError",
    "EpipolarEstimate",
    "KittiErrors",
    "KittiSequence",
    "PairMatches",
    "PlanarSceneWarning",
    "PnPResult",
    "PoseErrors",
    "Reconstruction",
    "RelativePose",
    "SfMConfig",
    "VOConfig",
    "VOResult",
    "ViewGraph",
    "align_trajectory",
    "ate",
    "build_tracks",
    "build_view_graph",
    "bundle_adjust",
    "colmap_available",
    "decompose_essential",
    "depths",
    "estimate_essential",
    "estimate_fundamental",
    "fundamental_from_essential",
    "kitti_errors",
    "parallax_angles",
    "path_length",
    "point_covariance",
    "pose_errors",
    "project_points",
    "read_calib_k",
    "read_colmap_text",
    "read_kitti_calib",
    "read_kitti_poses",
    "read_kitti_sequence",
    "read_middlebury_par",
    "read_ply",
    "reconstruct",
    "reconstruct_colmap",
    "reconstruct_features",
    "recover_pose",
    "relative_pose",
    "reprojection_errors",
    "rodrigues",
    "rotation_to_rvec",
    "rpe",
    "sampson_errors",
    "solve_pnp",
    "triangulate",
    "umeyama",
    "visual_odometry",
    "write_colmap_text",
    "write_kitti_poses",
    "write_ply",
]
