"""Moving digits: a synthetic clip set whose classes no single frame can tell apart.

Every clip shows one 28x28 digit (MNIST or Fashion-MNIST, :func:`oculi.data.digits.load_digits`)
on a square torus (what leaves one side comes back on the other) and moves it one way. The
eight :data:`MOTIONS` are ``right``, ``left``, ``down``, ``up`` (translation), ``clockwise``,
``counterclockwise`` (rotation), ``zoom`` (the scale swells and shrinks, a sine of random phase)
and ``bounce`` (back and forth along a random direction, a triangle wave).

Why a single frame carries no class information: the state of frame ``t`` is
``(x, y, angle, log_scale)`` with ``x = x0 + dx(t) mod size``, ``y = y0 + dy(t) mod size``,
``angle = a0 + da(t) mod 360`` and ``log_scale = A sin(phase(t))``, where ``x0, y0, a0`` and the
phase are drawn uniformly and independently of the class and the motion. A uniform variable plus
any independent shift, modulo the period, is uniform, so at every ``t`` and in every class
``x, y`` are uniform on the torus, the angle uniform on the circle and the log-scale
arcsine-distributed on ``[-A, A]`` (the non-zooming classes draw a constant ``A sin(phase)``),
all independent of each other and of the digit, which is drawn without regard to the class.
Frames are rendered by one function of (digit, state), so frame ``t`` has the same distribution
in every class: only the order of frames tells them apart. ``right``/``left``, ``down``/``up``
and ``clockwise``/``counterclockwise`` are moreover time-reversals of each other, so even the
unordered set of a clip's frames cannot separate them.

:func:`write_moving_digits` writes ``train/``, ``val/`` (train digits held out from the train
clips) and ``test/`` (digits of the test split), each a folder per class of ``.npz`` clips
(array ``frames``, ``(T, size, size)`` uint8) with a ``labels.csv`` ``file,label,split``:
``oculi train action OUT/train --holdout-groups '[val]' --no-flip`` and
``oculi eval action RUN OUT/test``. The module imports no torch.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from oculi.core.checks import check_choice, check_positive
from oculi.core.errors import ParameterError

PathLike = str | os.PathLike[str]

#: the classes, in label order
MOTIONS = ("right", "left", "down", "up", "clockwise", "counterclockwise", "zoom", "bounce")
#: half-width of the log-scale (scales exp(-0.3) = 0.74 to exp(0.3) = 1.35 of the nominal size)
LOG_SCALE_RANGE = 0.3
#: the digit's nominal side as a fraction of the canvas side (rotated at the largest scale it
#: still fits the canvas, so it never overlaps its own wrapped copy)
DIGIT_FRACTION = 0.45


@dataclass(frozen=True)
class MovingDigits:
    """Generated clips.

    Attributes:
        frames: ``(N, T, size, size)`` uint8 clips, 255 = ink.
        labels: ``(N,)`` int64 index into :attr:`classes`.
        states: ``(N, T, 4)`` float64 per frame: ``x``, ``y`` (digit centre in pixels, in
            ``[0, size)``), ``angle`` (degrees in ``[0, 360)``, counter-clockwise on screen),
            ``log_scale`` (natural log of the scale relative to the nominal size).
        digits: ``(N,)`` int64 index of each clip's digit in the source images.
        classes: the motion names.
    """

    frames: np.ndarray
    labels: np.ndarray
    states: np.ndarray
    digits: np.ndarray
    classes: tuple[str, ...] = MOTIONS


def _triangle(u: np.ndarray) -> np.ndarray:
    """Triangle wave of period 1 in ``[-1, 1]``."""
    return 4.0 * np.abs(np.mod(u, 1.0) - 0.5) - 1.0


def motion_states(motion: str, frames: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """The ``(frames, 4)`` states (``x, y, angle, log_scale``, see :class:`MovingDigits`) of one
    clip of ``motion`` on a ``size`` torus; speeds scale with ``size`` (``size / 32`` times
    0.75-1.5 px a frame for translation, 8-16 degrees a frame for rotation)."""
    check_choice(motion, MOTIONS, "motion")
    t = np.arange(frames, dtype=np.float64)
    unit = size / 32.0
    # the class-independent draws: where, at what angle, at what phase of the scale
    x0, y0 = rng.uniform(0, size, 2)
    a0 = rng.uniform(0, 360)
    phase = rng.uniform(0, 2 * np.pi)
    dx = dy = da = np.zeros(frames)
    log_scale = np.full(frames, LOG_SCALE_RANGE * np.sin(phase))
    if motion in ("right", "left", "down", "up"):
        step = rng.uniform(0.75, 1.5) * unit * (1 if motion in ("right", "down") else -1)
        if motion in ("right", "left"):
            dx = step * t
        else:
            dy = step * t
    elif motion in ("clockwise", "counterclockwise"):
        da = rng.uniform(8, 16) * t * (1 if motion == "counterclockwise" else -1)
    elif motion == "zoom":
        log_scale = LOG_SCALE_RANGE * np.sin(2 * np.pi * t / rng.uniform(8, 16) + phase)
    else:  # bounce
        theta, amp = rng.uniform(0, 2 * np.pi), rng.uniform(4, 8) * unit
        d = amp * _triangle(t / rng.uniform(6, 10) + rng.uniform(0, 1))
        dx, dy = d * np.cos(theta), d * np.sin(theta)
    return np.stack([np.mod(x0 + dx, size), np.mod(y0 + dy, size), np.mod(a0 + da, 360),
                     log_scale], axis=1)


def render_frame(digit: np.ndarray, state: np.ndarray, size: int) -> np.ndarray:
    """One ``(size, size)`` uint8 frame: ``digit`` (28x28 uint8) rotated and scaled about its
    centre and placed with its centre at ``state[:2]`` on a torus (bilinear, wrapped)."""
    x, y, angle, log_scale = (float(v) for v in state)
    scale = DIGIT_FRACTION * size / 28.0 * np.exp(log_scale)
    c = size // 2
    ix, iy = int(np.floor(x)), int(np.floor(y))
    m = cv2.getRotationMatrix2D((13.5, 13.5), angle, scale)
    m[:, 2] += (c + x - ix - 13.5, c + y - iy - 13.5)
    patch = cv2.warpAffine(np.ascontiguousarray(digit), m, (size, size),
                           flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    return np.roll(patch, (iy - c, ix - c), axis=(0, 1))


def moving_digits(count: int, images: np.ndarray, *, frames: int = 16, size: int = 32,
                  seed: int = 0, classes: tuple[str, ...] = MOTIONS) -> MovingDigits:
    """``count`` clips, the classes in equal shares (shuffled), each with a random digit.

    Args:
        count: number of clips.
        images: ``(M, 28, 28)`` uint8 source digits (e.g. ``load_digits("mnist", "train")[0]``).
        frames: frames per clip.
        size: canvas side in pixels (at least 16).
        seed: seed of every draw: the same arguments give the same clips.
        classes: the motions to use (a subset of :data:`MOTIONS`, in label order).

    Raises:
        ParameterError: a count, frame count or size out of range, an unknown motion, source
            images that are not ``(M, 28, 28)``.
    """
    check_positive(count, "count")
    check_positive(frames, "frames")
    if size < 16:
        raise ParameterError(f"size: expected at least 16 pixels, got {size!r}")
    for c in classes:
        check_choice(c, MOTIONS, "classes")
    if len(classes) < 2 or len(set(classes)) != len(classes):
        raise ParameterError(f"classes: expected at least two different motions, got {classes}")
    images = np.asarray(images)
    if images.ndim != 3 or images.shape[1:] != (28, 28) or not len(images):
        raise ParameterError(f"images: expected (M, 28, 28) digits, got shape {images.shape}")
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(count) % len(classes)).astype(np.int64)
    digits = rng.integers(0, len(images), count).astype(np.int64)
    states = np.stack([motion_states(classes[k], frames, size, rng) for k in labels])
    clips = np.stack([[render_frame(images[d], s, size) for s in st]
                      for d, st in zip(digits, states, strict=True)])
    return MovingDigits(clips.astype(np.uint8), labels, states, digits, tuple(classes))


def single_frame_accuracy(data: MovingDigits, frame: int | None = None) -> float:
    """How well one frame tells the classes apart: held-out accuracy of a nearest-class-mean
    classifier on the frame's 2-D Fourier magnitude (blind to where the digit is on the torus,
    sensitive to its angle, scale and shape), fitted on a random half of the clips (seed 0) and
    scored on the other half. About ``1 / classes`` when the classes share their frame
    distribution.

    Args:
        data: clips (:func:`moving_digits`).
        frame: the frame index (None: the centre frame; negative: from the end).

    Raises:
        ParameterError: ``frame`` outside the clips' frames.
    """
    count = data.frames.shape[1]
    t = count // 2 if frame is None else int(frame)
    if not -count <= t < count:
        raise ParameterError(f"frame: expected an index into the {count} frames, got {frame!r}")
    feats = np.abs(np.fft.rfft2(data.frames[:, t].astype(np.float64)))
    feats = feats.reshape(len(feats), -1)
    feats /= np.linalg.norm(feats, axis=1, keepdims=True) + 1e-12
    order = np.random.default_rng(0).permutation(len(feats))
    fit, score = order[: len(order) // 2], order[len(order) // 2:]
    present = np.unique(data.labels[fit])
    means = np.stack([feats[fit][data.labels[fit] == k].mean(0) for k in present])
    dist = ((feats[score][:, None] - means[None]) ** 2).sum(-1)
    return float((present[dist.argmin(1)] == data.labels[score]).mean())


def _write_split(folder: Path, split: str, data: MovingDigits) -> list[list[str]]:
    """Write the clips of one split into ``folder/<class>/``; returns the CSV rows."""
    from oculi.core.atomic import atomic_path

    rows = []
    for i, (clip, k) in enumerate(zip(data.frames, data.labels, strict=True)):
        name = f"{data.classes[k]}/{split}-{i:05d}.npz"
        with atomic_path(folder / name) as tmp:  # (the temporary name keeps ".npz")
            np.savez_compressed(tmp, frames=clip)
        rows.append([name, data.classes[k], split])
    return rows


def _write_labels(folder: Path, rows: list[list[str]]) -> None:
    from oculi.core.atomic import write_text_atomic

    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows([["file", "label", "split"], *rows])
    write_text_atomic(folder / "labels.csv", text.getvalue())


def write_moving_digits(out: PathLike, *, clips: int = 1600, val_clips: int = 200,
                        test_clips: int = 800, name: str = "mnist", frames: int = 16,
                        size: int = 32, seed: int = 0, val_fraction: float = 0.1,
                        train_images: np.ndarray | None = None,
                        test_images: np.ndarray | None = None) -> dict[str, object]:
    """Write a moving-digit clip set (layout in the module doc).

    Train and val clips use disjoint digits of the set's train split (``val_fraction`` of its
    images, drawn with ``seed``, go to val); test clips use the test split, so no digit image
    appears in two splits.

    Args:
        out: the folder to write (``train/``, ``val/`` and ``test/`` inside; the train and val
            clips share ``train/labels.csv``, group column ``split``).
        clips, val_clips, test_clips: clips per split (0 leaves val or test out).
        name: the :data:`oculi.data.digits.digit_sets` set (``mnist``, ``fashion-mnist``).
        frames, size, seed: as in :func:`moving_digits` (each split gets its own stream).
        val_fraction: share of the train images kept for the val clips.
        train_images, test_images: ``(M, 28, 28)`` uint8 source images instead of the set's.

    Returns:
        A summary: counts per split, classes, frames, size, the source and the seed.

    Raises:
        DataError: the digit set is not on the machine (the message says how to get it).
        ParameterError: counts, sizes or fractions out of range.
    """
    from oculi.data.digits import load_digits

    check_positive(clips, "clips")
    check_positive(val_clips, "val_clips", allow_zero=True)
    check_positive(test_clips, "test_clips", allow_zero=True)
    if not 0.0 < val_fraction < 1.0:
        raise ParameterError(f"val_fraction: expected a fraction in (0, 1), got {val_fraction!r}")
    if train_images is None:
        train_images = load_digits(name, "train")[0]
    order = np.random.default_rng(seed).permutation(len(train_images))
    n_val = max(1, round(val_fraction * len(order))) if val_clips else 0
    base = Path(out)
    splits = {"train": moving_digits(clips, train_images[np.sort(order[n_val:])],
                                     frames=frames, size=size, seed=seed)}
    if val_clips:
        splits["val"] = moving_digits(val_clips, train_images[np.sort(order[:n_val])],
                                      frames=frames, size=size, seed=seed + 1)
    if test_clips:
        if test_images is None:
            test_images = load_digits(name, "test")[0]
        splits["test"] = moving_digits(test_clips, test_images, frames=frames, size=size,
                                       seed=seed + 2)
    train_rows = _write_split(base / "train", "train", splits["train"])
    if "val" in splits:
        train_rows += _write_split(base / "train", "val", splits["val"])
    _write_labels(base / "train", train_rows)
    if "test" in splits:
        _write_labels(base / "test", _write_split(base / "test", "test", splits["test"]))
    return {"out": str(base), "source": name, "classes": list(MOTIONS), "frames": frames,
            "size": size, "seed": seed, "clips": {k: len(v.labels) for k, v in splits.items()}}
