"""Product placement: track a plane through a video and insert an image on it, behind whatever
passes in front, in the scene's light.

- :func:`track_plane` / :class:`PlaneTracker` (:mod:`oculi.place.planar`): a homography per frame
  from the plane's canvas (its rectified reference) to the frame, drift-free by re-anchoring to
  the reference, ECC-refined, recovering after occlusion, with corner smoothing;
  ``PlaneTrackerConfig(mode="klt")`` is the plain frame-to-frame KLT baseline.
- :class:`OcclusionModel`: the per-frame mask of what is in front of the plane;
  :func:`render_insert` composites an insert in the scene's colour and light;
  :func:`find_candidates` proposes where an insert could go.
- :func:`place_insert` (:mod:`oculi.place.pipeline`): all of it over a video.
- :func:`make_sequence` (:mod:`oculi.place.harness`) renders evaluation clips with exact ground
  truth; :mod:`oculi.place.metrics` scores tracks and masks against it.

Conventions (docs/place.md): frames are HxWx3 uint8 RGB; the canvas is ``(h_ref, w_ref)`` pixels
with corners TL, TR, BR, BL = (0,0), (w-1,0), (w-1,h-1), (0,h-1); ``H`` maps canvas pixels to frame
pixels. ``import oculi.place`` imports no torch.
"""

from oculi.place.appearance import AppearanceOptions, render_insert
from oculi.place.candidates import Candidate, draw_candidates, find_candidates
from oculi.place.colour import delta_e, mean_delta_e
from oculi.place.harness import MOTIONS, HarnessSequence, make_sequence, project_corners
from oculi.place.metrics import corner_errors, drift, error_summary, jitter, mask_iou, track_report
from oculi.place.occlusion import OcclusionConfig, OcclusionModel
from oculi.place.pipeline import PlacedFrame, Placement, place_insert
from oculi.place.planar import (
    PlaneTrack,
    PlaneTrackerConfig,
    check_corners,
    reference_from_corners,
    track_plane,
)
from oculi.place.smoothing import smooth_corners
from oculi.place.tracker import PlaneTracker

__all__ = [
    "MOTIONS",
    "AppearanceOptions",
    "Candidate",
    "HarnessSequence",
    "OcclusionConfig",
    "OcclusionModel",
    "PlacedFrame",
    "Placement",
    "PlaneTrack",
    "PlaneTracker",
    "PlaneTrackerConfig",
    "check_corners",
    "corner_errors",
    "delta_e",
    "draw_candidates",
    "drift",
    "error_summary",
    "find_candidates",
    "jitter",
    "make_sequence",
    "mask_iou",
    "mean_delta_e",
    "place_insert",
    "project_corners",
    "reference_from_corners",
    "render_insert",
    "smooth_corners",
    "track_plane",
    "track_report",
]
