"""Insert an image on a tracked plane: tracking, occlusion and appearance in one call.

:func:`place_insert` tracks the plane through all frames first (:func:`track_plane`: the corner
smoother looks a few frames ahead, and a plane found by its reference image may be found only
later in the video), then renders frame by frame: the occluder mask from
:class:`~oculi.place.occlusion.OcclusionModel` and the composite from
:func:`~oculi.place.appearance.render_insert`. Frames where the plane is not visible are passed
through unchanged. So ``frames`` is read twice: give a list or an :mod:`oculi.video` reader.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from oculi.core.errors import DataError, ShapeError
from oculi.place.planar import PlaneTrack, PlaneTrackerConfig, track_plane


class PlacedFrame(NamedTuple):
    """One output frame: its index, the composite (``HxWx3`` uint8 RGB), the plane's track and
    the occluder mask (``HxW`` bool; all False where the plane is not visible)."""

    index: int
    image: np.ndarray
    track: PlaneTrack
    mask: np.ndarray


def _frame_at(frames: Any, index: int) -> np.ndarray:
    return frames.read(index) if hasattr(frames, "read") else frames[index]


def rectify_frame(frame: np.ndarray, H: np.ndarray, canvas_size: tuple[int, int]) -> np.ndarray:
    """The frame seen in canvas coordinates: ``(h_ref, w_ref, 3)`` uint8 (``H``: canvas ->
    frame)."""
    import cv2

    h, w = canvas_size
    return cv2.warpPerspective(frame, np.asarray(H, np.float64), (w, h),
                               flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                               borderMode=cv2.BORDER_REPLICATE)


@dataclass
class Placement:
    """The tracks of a placement and the renderer of its frames (iterate it).

    Attributes:
        tracks: one :class:`PlaneTrack` per frame.
        canvas_size: ``(h_ref, w_ref)``.
        start: the frame the track started from.
        reference_canvas: ``(h_ref, w_ref, 3)`` uint8, what the occlusion model and the colour
            step compare against: the reference image when one was given, else the start frame
            rectified (so the start frame should show the plane unoccluded).
    """

    frames: Any
    insert: np.ndarray
    tracks: list[PlaneTrack]
    canvas_size: tuple[int, int]
    start: int
    reference_canvas: np.ndarray
    occlusion: bool = True
    occlusion_config: Any = None
    person_model: str | Path | None = None
    appearance: Any = None
    _extra: dict[str, Any] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.tracks)

    def __iter__(self) -> Iterator[PlacedFrame]:
        from oculi.place.appearance import render_insert
        from oculi.place.occlusion import OcclusionModel

        model = (OcclusionModel(self.reference_canvas, self.occlusion_config, self.person_model)
                 if self.occlusion else None)
        prev_H = None
        for i, frame in enumerate(self.frames):
            if i >= len(self.tracks):
                break
            t = self.tracks[i]
            mask = np.zeros(frame.shape[:2], bool)
            if not t.visible:
                prev_H = None
                if model is not None:
                    model.skip()
                yield PlacedFrame(i, frame, t, mask)
                continue
            if model is not None:
                mask = model.update(frame, t.H)
            image = render_insert(frame, self.insert, t.H, occluder=mask,
                                  reference_canvas=self.reference_canvas, prev_H=prev_H,
                                  options=self.appearance)
            prev_H = t.H
            yield PlacedFrame(i, image, t, mask)


def place_insert(frames: Sequence[np.ndarray] | Any, insert: np.ndarray, *, corners: Any = None,
                 frame_index: int = 0, reference: np.ndarray | None = None,
                 canvas_size: tuple[int, int] | None = None,
                 config: PlaneTrackerConfig | None = None, occlusion: bool = True,
                 occlusion_config: Any = None, person_model: str | Path | None = None,
                 appearance: Any = None,
                 progress: Callable[[int], None] | None = None) -> Placement:
    """Track the plane, then return the :class:`Placement` whose iteration renders the frames.

    Args:
        frames: ``HxWx3`` uint8 RGB frames, read twice: a list or an :mod:`oculi.video` reader.
        insert: ``hxwx3`` uint8 RGB, or ``hxwx4`` RGBA (composited by its alpha); stretched to
            the canvas.
        corners, frame_index, reference, canvas_size, config: as :func:`track_plane`.
        occlusion: compute occluder masks (:class:`OcclusionModel`); False composites on top.
        occlusion_config: an ``OcclusionConfig``.
        person_model: MediaPipe selfie-segmentation ``.tflite`` for person masks (optional).
        appearance: ``AppearanceOptions`` of :func:`render_insert`.
        progress: optional callable ``progress(n_frames_tracked)``.

    Returns:
        The :class:`Placement` (``tracks`` are ready; iterate for :class:`PlacedFrame`).

    Raises:
        The errors of :func:`track_plane`; ShapeError for an insert that is not an image.
    """
    from oculi.place.planar import canvas_size_from_corners, cap_canvas, check_corners

    ins = np.asarray(insert)
    if ins.dtype != np.uint8 or ins.ndim != 3 or ins.shape[2] not in (3, 4) \
            or min(ins.shape[:2]) < 2:
        raise ShapeError(f"insert: expected an hxwx3 (RGB) or hxwx4 (RGBA) uint8 image, got "
                         f"{ins.shape} {ins.dtype}")
    if canvas_size is None:  # the size track_plane picks
        canvas_size = (cap_canvas(np.asarray(reference).shape[:2]) if reference is not None
                       else canvas_size_from_corners(check_corners(corners)))
    tracks = track_plane(frames, corners=corners, frame_index=frame_index, reference=reference,
                         canvas_size=canvas_size, config=config, progress=progress)
    starts = [i for i, t in enumerate(tracks) if t.note == "start"]
    if not starts:
        raise DataError("frames: no frame to start from")
    start = starts[0]
    canvas = tuple(canvas_size)
    if reference is not None:
        import cv2

        ref = cv2.resize(np.ascontiguousarray(reference[..., :3]), (canvas[1], canvas[0]),
                         interpolation=cv2.INTER_AREA)
    else:
        ref = rectify_frame(_frame_at(frames, start), tracks[start].H, canvas)
    return Placement(frames, ins, tracks, canvas, start, ref, occlusion, occlusion_config,
                     person_model, appearance)
