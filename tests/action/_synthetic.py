"""Synthetic silhouette clips: a blob that slides, grows or swings (one class each); a square
sliding left or right (the direction test)."""

from __future__ import annotations

import cv2
import numpy as np

KINDS = ("slide", "grow", "swing")


def synthetic_clip(kind: str, seed: int, frames: int = 24, size: int = 64) -> np.ndarray:
    """``(T, size, size)`` uint8 {0, 1} silhouettes of one motion, jittered by ``seed``."""
    rng = np.random.default_rng(seed)
    out = np.zeros((frames, size, size), np.uint8)
    cx, cy = size / 2 + rng.uniform(-4, 4), size / 2 + rng.uniform(-4, 4)
    r = rng.uniform(5, 8)
    speed = rng.uniform(0.9, 1.3)
    sign = rng.choice([-1, 1])
    for t in range(frames):
        img = out[t]
        if kind == "slide":
            x = cx + sign * speed * (t - frames / 2)
            cv2.circle(img, (round(x), round(cy)), round(r), 1, -1)
        elif kind == "grow":
            cv2.circle(img, (round(cx), round(cy)), round(3 + speed * t), 1, -1)
        else:
            a = np.deg2rad(sign * speed * 6 * t)
            end = (round(cx + 26 * np.sin(a)), round(cy - 26 * np.cos(a)))
            cv2.line(img, (round(cx), round(cy)), end, 1, 3)
    return out


def direction_clip(direction: str, seed: int, frames: int = 16, size: int = 32) -> np.ndarray:
    """``(T, size, size)`` uint8 {0, 1}: a square sliding left or right, start and speed jittered
    so that every frame occurs in both classes."""
    rng = np.random.default_rng(seed)
    out = np.zeros((frames, size, size), np.uint8)
    step = rng.uniform(1.0, 1.6) * (1 if direction == "right" else -1)
    x0 = rng.uniform(4, size - 8) - step * frames / 2
    y = int(rng.integers(6, size - 10))
    for t in range(frames):
        x = int(np.clip(round(x0 + step * t), 0, size - 5))
        out[t, y:y + 5, x:x + 5] = 1
    return out
