"""Box-aware augmentation (albumentations does the geometry; boxes follow the pixels) and mosaic.

A transform here is a callable ``(image, boxes, labels, masks) -> (image, boxes, labels, masks)``
on an HWC uint8 RGB image, ``(n, 4)`` float xyxy pixel boxes, ``(n,)`` labels and optional
``(n, H, W)`` masks — what :class:`~oculi.detect.data.DetectionDataset` calls per item.

    >>> import numpy as np
    >>> aug = DetectionAugment(128, flip=1.0, affine=0.0, color=0.0, seed=0)
    >>> img = np.zeros((64, 100, 3), np.uint8)
    >>> _, b, lab, _ = aug(img, np.array([[10., 5., 30., 25.]]), np.array([1]), None)
    >>> [round(float(v), 1) for v in b[0]]   # resized x1.28 and flipped horizontally
    [89.6, 6.4, 115.2, 32.0]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from oculi.detect.data import DetectionDataset, clip_boxes


class DetectionAugment:
    """Resize the longer side to ``size``, then random flip, scale/shift and colour jitter.

    Args:
        size: longer side after resizing (pixels).
        flip: horizontal flip probability.
        affine: probability of a random scale (``scale``) and shift (±10 %).
        scale: scale range of the affine.
        color: probability of colour jitter (brightness/contrast/saturation 0.3, hue 0.02).
        min_visibility: a box keeping less than this fraction of its area is dropped.
        seed: albumentations seed (None: random).
    """

    def __init__(self, size: int, *, flip: float = 0.5, affine: float = 0.5,
                 scale: tuple[float, float] = (0.6, 1.4), color: float = 0.6,
                 min_visibility: float = 0.3, seed: int | None = None) -> None:
        from oculi.augment import augment_preset

        self.size = size
        self.compose = augment_preset("detect-train", size, seed=seed, flip=flip, affine=affine,
                                      scale=scale, color=color, min_visibility=min_visibility)

    def __call__(self, image: np.ndarray, boxes: np.ndarray, labels: np.ndarray,
                 masks: np.ndarray | None):
        b = np.asarray(boxes, np.float32).reshape(-1, 4)
        # ids ride along with the boxes, so the masks of the boxes albumentations keeps are known
        kw: dict[str, Any] = {"image": image, "bboxes": b, "labels": np.asarray(labels),
                              "ids": np.arange(len(b))}
        if masks is not None:
            kw["masks"] = list(masks)
        out = self.compose(**kw)
        b = np.asarray(out["bboxes"], np.float32).reshape(-1, 4)
        lab = np.asarray(out["labels"], np.int64).reshape(-1)
        m = None
        if masks is not None:  # albumentations transforms every mask: keep the kept boxes' ones
            all_m = np.asarray(out["masks"], np.uint8).reshape(-1, *out["image"].shape[:2])
            m = all_m[np.asarray(out["ids"], np.int64).reshape(-1)]
        return out["image"], b, lab, m


class Mosaic(Dataset):
    """YOLOv4's mosaic: with probability ``p`` an item is four augmented images tiled around a
    random centre of a ``2s x 2s`` canvas, then a random window of ``s .. 2s`` pixels resized to
    ``s`` (boxes clipped; those keeping under ``min_visibility`` of their area dropped).

    Args:
        dataset: a :class:`DetectionDataset` (its ``transform`` should end at long side ``s``).
        size: ``s``, the output size in pixels (square).
        p: probability of a mosaic instead of the plain item.
        seed: random seed.
    """

    def __init__(self, dataset: DetectionDataset, size: int, p: float = 0.5, *,
                 min_visibility: float = 0.3, seed: int = 0) -> None:
        self.dataset, self.size, self.p = dataset, int(size), float(p)
        self.min_visibility = min_visibility
        self.rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return len(self.dataset)

    def _item(self, i: int):
        ds = self.dataset
        image, boxes = ds.load(i)
        labels = ds.samples[i].labels + 1
        if ds.transform is not None:
            image, boxes, labels, _ = ds.transform(image, boxes, labels, None)
        return image, np.asarray(boxes, np.float32).reshape(-1, 4), np.asarray(labels)

    def __getitem__(self, i: int):
        if self.dataset.with_masks or self.rng.random() >= self.p:
            return self.dataset[i]
        s = self.size
        canvas = np.full((2 * s, 2 * s, 3), 114, np.uint8)
        cx, cy = (int(v) for v in self.rng.uniform(0.5 * s, 1.5 * s, 2))
        idx = [i, *self.rng.integers(0, len(self.dataset), 3).tolist()]
        all_b, all_l = [], []
        for k, j in enumerate(idx):
            im, b, lab = self._item(j)
            h, w = im.shape[:2]
            # quadrant k: 0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right of (cx, cy)
            x0 = cx - w if k in (0, 2) else cx
            y0 = cy - h if k in (0, 1) else cy
            ax0, ay0 = max(x0, 0), max(y0, 0)
            ax1, ay1 = min(x0 + w, 2 * s), min(y0 + h, 2 * s)
            canvas[ay0:ay1, ax0:ax1] = im[ay0 - y0:ay1 - y0, ax0 - x0:ax1 - x0]
            if len(b):
                all_b.append(b + np.array([x0, y0, x0, y0], np.float32))
                all_l.append(lab)
        boxes = np.concatenate(all_b) if all_b else np.zeros((0, 4), np.float32)
        labels = np.concatenate(all_l) if all_l else np.zeros((0,), np.int64)
        win = int(self.rng.uniform(s, 2 * s))
        wx = int(self.rng.uniform(max(0, cx - win + s // 4), min(2 * s - win, cx - s // 4) + 1))
        wy = int(self.rng.uniform(max(0, cy - win + s // 4), min(2 * s - win, cy - s // 4) + 1))
        wx, wy = int(np.clip(wx, 0, 2 * s - win)), int(np.clip(wy, 0, 2 * s - win))
        import cv2

        crop = cv2.resize(canvas[wy:wy + win, wx:wx + win], (s, s),
                          interpolation=cv2.INTER_AREA)
        f = s / win
        moved = (boxes - np.array([wx, wy, wx, wy], np.float32)) * f
        clipped = clip_boxes(moved, (s, s))
        area0 = np.prod(moved[:, 2:] - moved[:, :2], axis=1).clip(1e-6)
        wh = clipped[:, 2:] - clipped[:, :2]
        keep = (wh.min(1) >= 2) & (wh.prod(1) / area0 >= self.min_visibility)
        target = {"boxes": torch.as_tensor(clipped[keep]),
                  "labels": torch.as_tensor(labels[keep].astype(np.int64)), "image_id": i}
        x = torch.from_numpy(np.ascontiguousarray(crop.transpose(2, 0, 1))).float().div_(255)
        return x, target
