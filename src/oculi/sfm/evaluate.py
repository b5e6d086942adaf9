"""Score a sparse reconstruction against ground-truth camera poses.

Poses of a reconstruction live in an arbitrary similarity frame; the registered camera centres
are aligned to the reference centres by Umeyama's Sim(3) fit, then rotation errors (the angle of
``R_gt R_estᵀ`` after the aligned rotation) and centre errors are measured. Centre errors are
also given relative to the radius of the reference cameras around their centroid (for a ring of
views around an object this is the ring radius).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from oculi.core.errors import DataError
from oculi.sfm.camera import CalibratedView
from oculi.sfm.reconstruction import Reconstruction
from oculi.sfm.trajectory import umeyama


@dataclass(frozen=True)
class PoseErrors:
    """Accuracy of the registered cameras of a reconstruction.

    Attributes:
        registered: images with a pose.
        total: images in the reference.
        rotation_deg_mean, rotation_deg_max: rotation errors after alignment, degrees.
        center_mean, center_max: camera-centre errors after alignment, reference units.
        center_pct_mean, center_pct_max: the same as a percentage of the reference radius.
        radius: mean distance of the reference centres from their centroid.
        reprojection_px: mean reprojection error over all observations, pixels.
        points: number of 3-D points.
        mean_track_length: mean observations per point.
    """

    registered: int
    total: int
    rotation_deg_mean: float
    rotation_deg_max: float
    center_mean: float
    center_max: float
    center_pct_mean: float
    center_pct_max: float
    radius: float
    reprojection_px: float
    points: int
    mean_track_length: float

    def json_dict(self) -> dict:
        """Plain floats and ints, for ``--json`` and benchmark lines."""
        return asdict(self)


def pose_errors(rec: Reconstruction, reference: Sequence[CalibratedView]) -> PoseErrors:
    """Compare the registered views of ``rec`` with reference views matched by image name.

    Raises:
        DataError: fewer than 3 registered images share a name with the reference.
    """
    by_name = {v.name: v for v in reference}
    ids = [i for i in rec.registered if rec.names[i] in by_name]
    if len(ids) < 3:
        raise DataError(f"pose_errors: {len(ids)} registered images match a reference name "
                        "(need 3 to align)")
    ref = [by_name[rec.names[i]] for i in ids]
    c_est = np.array([rec.center(i) for i in ids])
    c_ref = np.array([v.center for v in ref])
    al = umeyama(c_est, c_ref, with_scale=True)
    c_al = al.scale * c_est @ al.rotation.T + al.translation
    d = np.linalg.norm(c_al - c_ref, axis=1)
    rot = []
    for i, v in zip(ids, ref, strict=True):
        r_est = rec.poses[i][0] @ al.rotation.T  # world(ref) -> camera
        cos = (np.trace(v.R @ r_est.T) - 1) / 2
        rot.append(np.degrees(np.arccos(np.clip(cos, -1, 1))))
    all_c = np.array([v.center for v in reference])
    radius = float(np.linalg.norm(all_c - all_c.mean(0), axis=1).mean())
    return PoseErrors(len(rec.registered), len(reference), float(np.mean(rot)),
                      float(np.max(rot)), float(d.mean()), float(d.max()),
                      float(100 * d.mean() / radius), float(100 * d.max() / radius), radius,
                      rec.mean_reprojection_error(), len(rec.points3d),
                      rec.mean_track_length())
