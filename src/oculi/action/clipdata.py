"""Clips as training tensors: sampled frames, one crop and flip for the whole clip, resized.

:class:`ClipTensors` is a torch dataset over indexed clips (:class:`~oculi.action.ClipDataset`):
item ``i`` decodes only the sampled frames of clip ``i % len(clips)`` (or, with ``cache``, the
whole clip once, kept resized) and returns ``((C, T, size, size) float32 in [0, 1], class
index)``; with ``clips`` > 1 (multi-clip test) the tensor is ``(clips, C, T, size, size)``. A clip
that fails to decode raises an oculi error, which the training engine reports and skips.
"""

from __future__ import annotations

import math
import zipfile
from collections.abc import Sequence

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from oculi.action.clips import ClipItem, load_clip
from oculi.action.sampling import DenseClip, MultiClip, MultiSegments, UniformSegments
from oculi.core.errors import ImageReadError


def clip_sampler(sampling: str, clip_len: int, stride: int, train: bool, clips: int = 1):
    """The sampler of a config: TSN segments or a dense window (random in training); at test
    with ``clips`` > 1 the multi-clip sampler (``(clips, clip_len)`` indices)."""
    if clips > 1 and not train:
        if sampling == "dense":
            return MultiClip(clips, clip_len, stride)
        return MultiSegments(clips, clip_len)
    if sampling == "dense":
        return DenseClip(clip_len, stride, train=train)
    return UniformSegments(clip_len, train=train)


def clip_tensor(frames: np.ndarray, size: int, channels: int,
                rng: np.random.Generator | None = None, crop_scale: float = 1.0,
                flip: bool = False) -> torch.Tensor:
    """``(T, H, W[, C])`` frames -> ``(channels, T, size, size)`` float32 in [0, 1].

    Args:
        frames: uint8 (0-255, or a {0, 1} mask) or float frames.
        size: output side in pixels.
        channels: 1 (grey: the mean of RGB) or 3 (a grey clip is repeated).
        rng: training augmentation when given: one random crop of at least ``crop_scale`` of
            each side and, with ``flip``, one left-right mirror at probability 1/2, both the same
            for every frame.
    """
    a = np.asarray(frames, dtype=np.float32)
    if a.max(initial=0.0) > 1.0:
        a = a / 255.0
    if a.ndim == 3:
        a = a[..., None]
    a = a.mean(-1, keepdims=True) if channels == 1 and a.shape[-1] != 1 else a
    if channels == 3 and a.shape[-1] == 1:
        a = np.repeat(a, 3, axis=-1)
    h, w = a.shape[1:3]
    if rng is not None:
        ch = max(1, round(h * rng.uniform(crop_scale, 1.0)))
        cw = max(1, round(w * rng.uniform(crop_scale, 1.0)))
        y0, x0 = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
        a = a[:, y0:y0 + ch, x0:x0 + cw]
        if flip and rng.random() < 0.5:
            a = a[:, :, ::-1]
    out = np.stack([cv2.resize(np.ascontiguousarray(f), (size, size),
                               interpolation=cv2.INTER_AREA).reshape(size, size, -1)
                    for f in a])
    return torch.from_numpy(np.ascontiguousarray(out.transpose(3, 0, 1, 2)))


class ClipTensors(Dataset):
    """Training or test tensors of indexed clips (see the module doc).

    Args:
        items: the clips.
        classes: class names (labels index into them).
        sampling, clip_len, stride, size, channels: as in
            :class:`~oculi.action.config.ActionConfig`.
        train: random frames, crop and flip (else the centre frames, the whole frame).
        jitter: with ``train``, random frames; False: the test frames (segment centres, the
            centred window), the crop and flip still random.
        repeat: the data set lists every clip this many times.
        crop_scale, flip: the training augmentation.
        seed: seed of the augmentation's generator.
        clips: clips per video at test (``(clips, C, T, size, size)`` items when > 1).
        cache: decode each clip once and keep all its frames in memory, squashed to a square
            just large enough for the crop (``ceil(size / crop_scale)`` pixels when training).
    """

    def __init__(self, items: Sequence[ClipItem], classes: Sequence[str], *, sampling: str,
                 clip_len: int, stride: int, size: int, channels: int, train: bool = False,
                 repeat: int = 1, crop_scale: float = 1.0, flip: bool = False,
                 seed: int = 0, clips: int = 1, cache: bool = False,
                 jitter: bool = True) -> None:
        self.samples = list(items)
        self.lookup = {c: i for i, c in enumerate(classes)}
        self.clips = 1 if train else clips
        self.sampler = clip_sampler(sampling, clip_len, stride, train and jitter, self.clips)
        self.size, self.channels, self.train = size, channels, train
        self.repeat, self.crop_scale, self.flip = repeat, crop_scale, flip
        self.rng = np.random.default_rng(seed)
        self.cache: dict[int, np.ndarray] | None = {} if cache else None
        self.cache_side = math.ceil(size / crop_scale) if train else size

    def __len__(self) -> int:
        return len(self.samples) * self.repeat

    def _decode(self, k: int, indices: np.ndarray | None) -> np.ndarray:
        item = self.samples[k]
        try:
            return load_clip(item, indices)
        except (ValueError, zipfile.BadZipFile) as err:
            raise ImageReadError(f"{item.path}: not a readable clip ({err})") from None

    def _cached(self, k: int) -> np.ndarray:
        """All frames of clip ``k``, uint8 0-255, squashed to ``cache_side`` squared."""
        assert self.cache is not None
        if k not in self.cache:
            a = self._decode(k, None)
            if a.dtype != np.uint8 or a.max(initial=0) <= 1:
                a = np.clip(np.asarray(a, np.float32) * (255.0 if a.max(initial=0) <= 1
                                                         else 1.0), 0, 255).astype(np.uint8)
            side = self.cache_side
            self.cache[k] = np.stack([cv2.resize(f, (side, side), interpolation=cv2.INTER_AREA)
                                      for f in a])
        return self.cache[k]

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        k = index % len(self.samples)
        item = self.samples[k]
        if self.cache is not None:
            whole = self._cached(k)
            indices = self.sampler(len(whole), self.rng)
            frames = whole[indices.reshape(-1)]
        else:
            indices = self.sampler(item.n_frames, self.rng)
            frames = self._decode(k, indices.reshape(-1))
        if indices.ndim == 2:
            parts = frames.reshape(indices.shape + frames.shape[1:])
            x = torch.stack([clip_tensor(p, self.size, self.channels) for p in parts])
            return x, self.lookup[item.label]
        rng = self.rng if self.train else None
        x = clip_tensor(frames, self.size, self.channels, rng, self.crop_scale, self.flip)
        return x, self.lookup[item.label]
