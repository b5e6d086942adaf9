"""Using a trained clip classifier: multi-clip score averaging and long-video timelines.

:func:`clip_probabilities` turns a batch of clips, or of several clips per video, into class
probabilities (the mean of the clips' softmax). :func:`video_timeline` slides a window over a
long video (``window`` seconds every ``stride`` seconds), samples each window the way the model
was trained (TSN segments or a dense clip, ``clips`` of them averaged), and returns per-window
class probabilities, the winning label and the runs of equal labels as segments;
:func:`timeline_strip` draws it as a picture (key frames with their labels above a coloured time
bar). Only the frames the windows use are decoded, in one pass over the video.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
import torch
from torch import nn

from oculi.action.clipdata import clip_sampler, clip_tensor
from oculi.core.checks import check_positive
from oculi.core.errors import DataError, ParameterError

PathLike = str | os.PathLike[str]


@torch.no_grad()
def clip_probabilities(model: nn.Module, clips: torch.Tensor) -> torch.Tensor:
    """Class probabilities of clips.

    Args:
        model: ``(N, C, T, H, W)`` -> ``(N, classes)`` logits.
        clips: ``(N, C, T, H, W)`` clips, or ``(N, M, C, T, H, W)``: M clips of each of N videos.

    Returns:
        ``(N, classes)`` float: the softmax, or with M clips the mean of the M clips' softmax.
    """
    if clips.ndim == 5:
        return model(clips).float().softmax(1)
    if clips.ndim != 6:
        raise DataError(f"clips: expected (N, C, T, H, W) or (N, M, C, T, H, W), got "
                        f"{tuple(clips.shape)}")
    n, m = clips.shape[:2]
    prob = model(clips.reshape(n * m, *clips.shape[2:])).float().softmax(1)
    return prob.view(n, m, -1).mean(1)


@dataclass
class VideoTimeline:
    """Per-window predictions over a video (:func:`video_timeline`).

    Attributes:
        video: the input path.
        fps: frames per second of the video.
        frames: frame count.
        classes: class names (the probability columns).
        window_s, stride_s: window length and step, seconds.
        starts: ``(W,)`` int64 first frame of every window.
        window_frames: frames per window.
        probabilities: ``(W, classes)`` float32 class probabilities per window.
        thumbnails: one RGB key frame (the window's middle frame, 96 px high) per window.
    """

    video: str
    fps: float
    frames: int
    classes: list[str]
    window_s: float
    stride_s: float
    starts: np.ndarray
    window_frames: int
    probabilities: np.ndarray
    thumbnails: list[np.ndarray] = field(default_factory=list, repr=False)

    @property
    def labels(self) -> list[str]:
        """The most probable class of every window."""
        return [self.classes[k] for k in self.probabilities.argmax(1)]

    def times(self) -> np.ndarray:
        """``(W, 2)`` float start and end of every window, seconds."""
        s = self.starts / self.fps
        return np.stack([s, s + self.window_frames / self.fps], 1)

    def cells(self) -> np.ndarray:
        """``(W, 2)`` float seconds each window speaks for: from halfway between its centre and
        the previous window's to halfway to the next one's (the first from its start, the last
        to its end), so the cells tile the covered time without overlap."""
        t = self.times()
        centre = t.mean(1)
        mid = (centre[1:] + centre[:-1]) / 2
        return np.stack([np.concatenate([t[:1, 0], mid]), np.concatenate([mid, t[-1:, 1]])], 1)

    def segments(self) -> list[dict[str, Any]]:
        """Runs of windows with the same label: label, start_s and end_s (the runs' cells, see
        :meth:`cells`) and the mean probability of that label."""
        out: list[dict[str, Any]] = []
        c, lab = self.cells(), self.probabilities.argmax(1)
        i = 0
        while i < len(lab):
            j = i
            while j + 1 < len(lab) and lab[j + 1] == lab[i]:
                j += 1
            out.append({"label": self.classes[lab[i]], "start_s": float(c[i, 0]),
                        "end_s": float(c[j, 1]),
                        "score": float(self.probabilities[i:j + 1, lab[i]].mean())})
            i = j + 1
        return out

    def json_dict(self) -> dict[str, Any]:
        """JSON-friendly: the video, the classes, every window and the segments."""
        t = self.times()
        windows = [{"start_s": float(a), "end_s": float(b), "label": self.classes[int(k)],
                    "score": float(p[k]), "probabilities": [float(v) for v in p]}
                   for (a, b), p, k in zip(t, self.probabilities,
                                           self.probabilities.argmax(1), strict=True)]
        return {"video": self.video, "fps": self.fps, "frames": self.frames,
                "duration_s": self.frames / self.fps if self.fps else 0.0,
                "classes": list(self.classes), "window_s": self.window_s,
                "stride_s": self.stride_s, "windows": windows, "segments": self.segments()}


def _window_plan(n: int, fps: float, window: float, stride: float,
                 min_frames: int) -> tuple[int, np.ndarray]:
    """(frames per window, window start frames)."""
    check_positive(window, "window")
    check_positive(stride, "stride")
    if not fps > 0:
        raise DataError(f"video: unknown frame rate ({fps!r}); cannot place windows in seconds")
    w = min(n, max(1, round(window * fps)))
    if w < min_frames:
        raise ParameterError(f"window: {window} s is {w} frame(s) at {fps:.3g} fps (or the "
                             f"whole video), the model needs at least {min_frames}")
    step = max(1, round(stride * fps))
    return w, np.arange(0, n - w + 1, step, dtype=np.int64)


def video_timeline(run: PathLike | nn.Module, video: PathLike, *, window: float = 2.0,
                   stride: float = 1.0, clips: int = 0, batch_size: int = 8) -> VideoTimeline:
    """Classify a long video window by window.

    Args:
        run: an action run folder or checkpoint, or a loaded
            :class:`~oculi.action.models.ActionNet`.
        video: a video file or a folder of frames.
        window: window length, seconds (a video shorter than it is one window).
        stride: step between window starts, seconds.
        clips: clips per window, softmax averaged; 0: the run's ``test_clips``.
        batch_size: windows per forward pass.

    Returns:
        A :class:`VideoTimeline` (``json_dict()`` for JSON, :func:`timeline_strip` for a
        picture).

    Raises:
        ImageReadError: not a readable video. ParameterError: a window shorter than the model's
        clip, a non-positive window or stride. DataError: a video without a frame rate.
    """
    from oculi.action.task import load_action_model
    from oculi.video import open_video

    model = run if isinstance(run, nn.Module) else load_action_model(run)
    model.eval()
    info = model.info
    check_positive(clips, "clips", allow_zero=True)
    n_clips = clips or info.get("test_clips", 1)
    sampler = clip_sampler(info["sampling"], info["clip_len"], info["stride"], False, n_clips)
    with open_video(video) as reader:
        n, fps = len(reader), float(reader.fps)
        w, starts = _window_plan(n, fps, window, stride, sampler.min_frames)
        picks = np.stack([s + sampler(w).reshape(n_clips, -1) for s in starts])  # (W, M, T)
        middles = starts + w // 2
        needed = set(picks.ravel().tolist())
        middle_set = set(middles.tolist())
        last = max(needed | middle_set)
        size = info["size"]
        small: dict[int, np.ndarray] = {}
        thumbs: dict[int, np.ndarray] = {}
        for i, frame in enumerate(reader):  # one sequential pass, no seeks
            if i in needed:
                small[i] = cv2.resize(frame, (size, size), interpolation=cv2.INTER_AREA)
            if i in middle_set:
                h = 96
                thumbs[i] = cv2.resize(frame, (max(1, round(frame.shape[1] * h
                                                             / frame.shape[0])), h),
                                       interpolation=cv2.INTER_AREA)
            if i >= last:
                break
    probs = []
    for b in range(0, len(picks), batch_size):
        batch = torch.stack([
            torch.stack([clip_tensor(np.stack([small[int(i)] for i in clip]), size,
                                     info["channels"]) for clip in window_picks])
            for window_picks in picks[b:b + batch_size]])
        probs.append(clip_probabilities(model, batch).numpy())
    return VideoTimeline(str(video), fps, n, list(model.classes), float(window), float(stride),
                         starts, w, np.concatenate(probs).astype(np.float32),
                         [thumbs[int(m)] for m in middles])


#: class colours of the strip (RGB), cycled
_COLOURS = ((230, 25, 75), (60, 180, 75), (0, 130, 200), (245, 130, 48), (145, 30, 180),
            (70, 240, 240), (240, 50, 230), (210, 245, 60), (128, 128, 0), (0, 0, 128))


def timeline_strip(timeline: VideoTimeline, *, keyframes: int = 8,
                   width: int = 960) -> np.ndarray:
    """A picture of a :class:`VideoTimeline`: up to ``keyframes`` window key frames (evenly
    chosen) with their label and score, a time bar coloured by each window's label (a window
    paints from its start to the next window's start), and the class legend.

    Returns:
        ``(H, width, 3)`` uint8 RGB.
    """
    check_positive(keyframes, "keyframes")
    k = min(keyframes, len(timeline.thumbnails))
    chosen = np.unique(np.round(np.linspace(0, len(timeline.thumbnails) - 1, k)).astype(int))
    cell = width // max(1, len(chosen))
    row = np.full((140, width, 3), 255, np.uint8)
    labels, probs = timeline.labels, timeline.probabilities
    times, cells = timeline.times(), timeline.cells()
    ids = probs.argmax(1)
    for c, j in enumerate(chosen):
        th = timeline.thumbnails[j]
        scale = min(1.0, (cell - 4) / th.shape[1])
        th = cv2.resize(th, (max(1, int(th.shape[1] * scale)), max(1, int(th.shape[0] * scale))))
        x0 = c * cell + 2
        row[2:2 + th.shape[0], x0:x0 + th.shape[1]] = th
        colour = _COLOURS[ids[j] % len(_COLOURS)]
        text = f"{times[j, 0]:.1f}s {labels[j][:18]} {probs[j, ids[j]]:.2f}"
        cv2.rectangle(row, (x0, 102), (x0 + cell - 4, 106), colour, -1)
        cv2.putText(row, text, (x0, 122), cv2.FONT_HERSHEY_SIMPLEX, 0.33, (0, 0, 0), 1,
                    cv2.LINE_AA)
    bar = np.full((30, width, 3), 255, np.uint8)
    duration = max(timeline.frames / timeline.fps, 1e-9)
    for j in range(len(ids)):
        a, b = int(cells[j, 0] / duration * width), int(np.ceil(cells[j, 1] / duration * width))
        bar[4:26, a:max(a + 1, b)] = _COLOURS[ids[j] % len(_COLOURS)]
    legend = np.full((18 * len(timeline.classes) + 6, width, 3), 255, np.uint8)
    for k, name in enumerate(timeline.classes):
        y = 18 * k + 4
        cv2.rectangle(legend, (4, y), (18, y + 12), _COLOURS[k % len(_COLOURS)], -1)
        cv2.putText(legend, name, (24, y + 11), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1,
                    cv2.LINE_AA)
    return np.concatenate([row, bar, legend], 0)
