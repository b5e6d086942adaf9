"""Video style transfer with temporal consistency (Ruder, Dosovitskiy & Brox 2016) on
:mod:`oculi.flow`, and the temporal warping error that measures it.

For frames ``t−1, t`` the flow ``f`` from frame t to frame t−1 (computed on the content frames)
brings the previous stylised frame onto frame t: ``W(S_{t−1})(x) = S_{t−1}(x + f(x))``. A pixel
is trusted when the forward-backward check passes (``|f + b_w|² ≤ 0.01 (|f|² + |b_w|²) + 0.5``,
``b_w`` the flow t−1 -> t sampled at ``x + f(x)``) and its sample lies inside the frame.

- Gatys: each frame is optimised with the short-term temporal loss ``λ · mean(m · (x − W)²)``
  added, starting from the warped previous result where trusted;
- a trained network: its per-frame output ``y_t`` is replaced by the minimiser of
  ``|x − y_t|² + λ m |x − W|²``, i.e. ``(y_t + λ m W) / (1 + λ m)`` per pixel.

:func:`temporal_warping_error` is ``mean_t Σ m (S_t − W(S_{t−1}))² / (3 Σ m)`` (squared [0, 1]
units): 0 for a perfectly consistent video.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from oculi.core.checks import check_positive
from oculi.core.errors import DataError

#: the temporal weight used when None: per Gatys frame (on the weighted loss scale), and per
#: trained-network frame (the blend weight of the closed form)
DEFAULT_TEMPORAL_WEIGHT = {"gatys": 2e3, "network": 2.0}


def occlusion_mask(forward: np.ndarray, backward: np.ndarray) -> np.ndarray:
    """HxW bool: pixels whose flow ``forward`` (t -> t−1) passes the forward-backward check
    against ``backward`` (t−1 -> t) and samples inside the frame."""
    from oculi.flow import warp_image

    bw, inside = warp_image(backward, forward, return_mask=True)
    s = forward + bw
    bound = 0.01 * ((forward ** 2).sum(2) + (bw ** 2).sum(2)) + 0.5
    return ((s ** 2).sum(2) <= bound) & inside


def frame_links(frames: Sequence[np.ndarray], method: str = "dis"
                ) -> list[tuple[np.ndarray, np.ndarray]]:
    """For each t >= 1: ``(flow t -> t−1, trusted mask)`` computed on ``frames`` (uint8 RGB)."""
    from oculi.flow import compute_flow

    links = []
    for prev, cur in itertools.pairwise(frames):
        f = compute_flow(cur, prev, method)
        b = compute_flow(prev, cur, method)
        links.append((f, occlusion_mask(f, b)))
    return links


def _warp(image: np.ndarray, flow: np.ndarray) -> np.ndarray:
    from oculi.flow import warp_image

    return warp_image(image.astype(np.float32), flow)


def temporal_warping_error(stylized: Sequence[np.ndarray], content: Sequence[np.ndarray] | None
                           = None, *, links: list | None = None, method: str = "dis"
                           ) -> tuple[float, list[float]]:
    """The mean masked squared difference between each stylised frame and the warped previous
    one (see the module doc).

    Args:
        stylized: T frames, HxWx3 uint8 or float [0, 1].
        content: the T content frames the flow is computed on (or give ``links``).
        links: precomputed :func:`frame_links`.
        method: the flow method when computing.

    Returns:
        ``(mean over t, per-frame values for t = 1..T−1)``.
    """
    from oculi.core.convert import ensure_float01

    if links is None:
        if content is None:
            raise DataError("content: needed to compute the flow (or pass links)")
        links = frame_links(content, method)
    errors = []
    for t, (flow, mask) in enumerate(links, start=1):
        cur, prev = ensure_float01(stylized[t]), ensure_float01(stylized[t - 1])
        d = ((cur - _warp(prev, flow)) ** 2).sum(2)
        errors.append(float((d * mask).sum() / max(3.0 * mask.sum(), 1.0)))
    return (float(np.mean(errors)) if errors else 0.0), errors


@dataclass
class VideoStyleResult:
    """A stylised video.

    Attributes:
        frames: T x H x W x 3 uint8.
        warping_error: :func:`temporal_warping_error` of the frames.
        frame_errors: its per-frame values (t >= 1).
        seconds: wall time (flow included).
        temporal_weight: the weight used (0: frames stylised independently).
    """

    frames: np.ndarray
    warping_error: float
    frame_errors: list[float] = field(default_factory=list)
    seconds: float = 0.0
    temporal_weight: float = 0.0

    def summary(self) -> dict[str, Any]:
        return {"frames": len(self.frames), "warping_error": self.warping_error,
                "seconds": round(self.seconds, 3), "temporal_weight": self.temporal_weight}


def _read_frames(video: Any, max_frames: int | None, image_size: int | None) -> list[np.ndarray]:
    from oculi.core.convert import ensure_float01, ensure_uint8, to_rgb
    from oculi.stylize._common import fit_long_side

    if isinstance(video, (str, os.PathLike)):
        from oculi.video import iter_video_frames

        frames: Iterable[np.ndarray] = iter_video_frames(video, max_frames=max_frames)
    else:
        frames = list(video)[:max_frames]
    out = [ensure_uint8(fit_long_side(ensure_float01(to_rgb(f)), image_size)) for f in frames]
    if len(out) < 1:
        raise DataError(f"{video if isinstance(video, str) else 'video'}: no frames")
    return out


def stylize_video(video: Any, style: Any = None, *, run: Any = None,
                  temporal_weight: float | None = None, out: str | os.PathLike[str] | None = None,
                  max_frames: int | None = None, image_size: int | None = 256,
                  flow_method: str = "dis", fps: float = 25.0, alpha: float = 1.0,
                  steps: int = 100, progress: bool | None = None,
                  **gatys: Any) -> VideoStyleResult:
    """Stylise a video frame by frame, with the temporal-consistency loss when
    ``temporal_weight`` > 0.

    Args:
        video: a video file, a folder of frames, or a sequence of HxWx3 frames.
        style: the style image (path or array; optional for a johnson run).
        run: a ``stylize`` run (folder, checkpoint or loaded network); None: Gatys per frame.
        temporal_weight: λ of the module doc (0: independent frames; None:
            :data:`DEFAULT_TEMPORAL_WEIGHT`).
        out: write the stylised frames here (video file, via :func:`oculi.video.write_video`).
        max_frames: read at most this many frames.
        image_size: each frame's longer side in pixels (None: as is).
        flow_method: the :mod:`oculi.flow` method (``dis`` by default).
        fps: frame rate of the written video.
        alpha: AdaIN's trade-off.
        steps: Gatys: loss evaluations per frame.
        progress: progress bar of the Gatys optimisation.
        **gatys: further :func:`~oculi.stylize.stylize_gatys` weights (``style_weight``, ...).

    Returns:
        :class:`VideoStyleResult` (frames, temporal warping error, seconds).
    """
    from oculi.stylize._common import as_rgb01, fit_long_side, image_of, tensor, to_uint8

    t0 = time.perf_counter()
    frames = _read_frames(video, max_frames, image_size)
    links = frame_links(frames, flow_method)
    key = "gatys" if run is None else "network"
    lam = DEFAULT_TEMPORAL_WEIGHT[key] if temporal_weight is None else float(
        check_positive(temporal_weight, "temporal_weight", allow_zero=True))
    results: list[np.ndarray] = []
    if run is None:
        import torch

        from oculi.stylize.gatys import make_objective, optimize_image

        s = fit_long_side(as_rgb01(style, "style"), max(frames[0].shape[:2]))
        objective = make_objective(s, **gatys)
        for t, frame in enumerate(frames):
            c = tensor(as_rgb01(frame, "frame"))
            init, temporal = c, None
            if t and lam:
                flow, mask = links[t - 1]
                warped = _warp(results[-1].astype(np.float32) / 255.0, flow)
                m = torch.from_numpy(mask.astype(np.float32))[None, None]
                w = tensor(np.clip(warped, 0, 1))
                init, temporal = m * w + (1 - m) * c, (w, m, lam)
            x, _ = optimize_image(objective, c, init, steps=steps, temporal=temporal,
                                  progress=progress)
            results.append(to_uint8(image_of(x)))
    else:
        from oculi.stylize.api import load_stylizer, stylize

        if isinstance(run, (str, os.PathLike)):
            run = load_stylizer(run)[0]
        for t, frame in enumerate(frames):
            y = stylize(frame, style, run=run, alpha=alpha, image_size=None).image
            y = y.astype(np.float32) / 255.0
            if t and lam:
                flow, mask = links[t - 1]
                w = _warp(results[-1].astype(np.float32) / 255.0, flow)
                m = lam * mask[..., None].astype(np.float32)
                y = (y + m * w) / (1.0 + m)
            results.append(to_uint8(y))
    error, per_frame = temporal_warping_error(results, links=links)
    if out is not None:
        from oculi.video import write_video

        write_video(out, results, fps=fps)
    return VideoStyleResult(np.stack(results), error, per_frame, time.perf_counter() - t0, lam)
