"""Toy street scenes for the panoptic tests: sky over road (stuff 0, 1), cars and a person
(things 2, 3), a void strip (4)."""

from __future__ import annotations

import numpy as np

THINGS = [2, 3]
def scene(seed: int, h: int = 48, w: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """An RGB image and its class-index label: sky over road, cars (red) and a person (green)."""
    rng = np.random.default_rng(seed)
    label = np.zeros((h, w), np.uint8)
    label[h // 2:] = 1
    for _ in range(2):
        y, x = rng.integers(h // 2 - 6, h - 12), rng.integers(0, w - 16)
        label[y: y + 10, x: x + 14] = 2
    y, x = rng.integers(4, h // 2), rng.integers(0, w - 6)
    label[y: y + 12, x: x + 5] = 3
    label[:, :2] = 4
    colours = np.array([[90, 140, 230], [110, 110, 110], [220, 30, 30], [30, 200, 60],
                        [0, 0, 0]], np.uint8)
    image = colours[label].astype(np.int16) + rng.integers(-12, 13, (h, w, 3))
    return np.clip(image, 0, 255).astype(np.uint8), label


def write_folder(root, n: int, seed: int = 0):
    from oculi.io import write_image

    for sub in ("image", "label"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for i in range(n):
        image, label = scene(seed + i)
        write_image(root / "image" / f"f{i:02d}.png", image)
        write_image(root / "label" / f"f{i:02d}.png", label)
    return root


def targets(labels):
    """A :class:`~oculi.panoptic.PanopticFolder` of the scenes 0.. with these labels."""
    from oculi.panoptic.task import PanopticFolder
    from oculi.segment.data import SegmentationFolder

    images = [scene(s)[0] for s in range(len(labels))]
    base = SegmentationFolder.from_arrays(images, labels, num_classes=4, ignore_index=4)
    return PanopticFolder(base, THINGS, ignore_index=4)
