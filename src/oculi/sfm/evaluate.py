"""Score a sparse reconstruction against ground-truth camera poses.

Poses of a reconstruction live in an arbitrary similarity frame. Two alignments are tried: the
registered camera centres fitted to the reference centres (Umeyama's Sim(3)), and the rotation
that best maps the estimated camera orientations onto the reference ones (chordal mean) with
scale and offset then fitted to the centres. The second resolves what centres alone cannot:
cameras on a flat, symmetric arc fit nearly as well after a half turn about the arc's bisector.
The alignment with the smaller sum of mean rotation error (degrees) and mean centre error
(percent of the radius) is kept. Rotation errors are the angles of ``R_gt R_estᵀ`` after the
aligned rotation; centre errors are also given relative to the radius of the reference cameras
around their centroid (for a ring of views around an object this is the ring radius).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from oculi.core.errors import DataError
from oculi.sfm.camera import CalibratedView
from oculi.sfm.reconstruction import Reconstruction
from oculi.sfm.trajectory import _angle_deg, umeyama


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
    all_c = np.array([v.center for v in reference])
    radius = float(np.linalg.norm(all_c - all_c.mean(0), axis=1).mean())
    best = None
    for a_rot, scale, shift in _alignments(c_est, c_ref, [rec.poses[i][0] for i in ids],
                                           [v.R for v in ref]):
        d = np.linalg.norm(scale * c_est @ a_rot.T + shift - c_ref, axis=1)
        rot = _angle_deg(np.stack([v.R @ (rec.poses[i][0] @ a_rot.T).T
                                   for i, v in zip(ids, ref, strict=True)]))
        score = rot.mean() + 100 * d.mean() / radius
        if best is None or score < best[0]:
            best = (score, rot, d)
    _, rot, d = best
    return PoseErrors(len(rec.registered), len(reference), float(np.mean(rot)),
                      float(np.max(rot)), float(d.mean()), float(d.max()),
                      float(100 * d.mean() / radius), float(100 * d.max() / radius), radius,
                      rec.mean_reprojection_error(), len(rec.points3d),
                      rec.mean_track_length())


def _alignments(c_est, c_ref, r_est, r_ref):
    """Candidate similarities ``x -> s A x + b`` (estimate frame to reference frame)."""
    al = umeyama(c_est, c_ref, with_scale=True)
    yield al.rotation, al.scale, al.translation
    m = sum(rr.T @ re for re, rr in zip(r_est, r_ref, strict=True))  # A = mean of R_refᵀ R_est
    u, _, vt = np.linalg.svd(m)
    a_rot = u @ np.diag([1.0, 1.0, np.sign(np.linalg.det(u @ vt))]) @ vt
    p = c_est @ a_rot.T
    pc, qc = p - p.mean(0), c_ref - c_ref.mean(0)
    scale = float((pc * qc).sum() / max((pc * pc).sum(), 1e-300))
    yield a_rot, scale, c_ref.mean(0) - scale * p.mean(0)
