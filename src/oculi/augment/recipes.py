"""The training recipes of the trainable tasks, built from albumentations like the presets: one
augmentation path for every task (classification, segmentation masks, detection boxes).

Each recipe is registered in :data:`~oculi.augment.AUGMENT_PRESETS` and returns an
``albumentations.Compose`` on HWC uint8 RGB numpy images; masks and boxes follow the pixels.

    >>> import numpy as np
    >>> from oculi.augment import augment_preset
    >>> aug = augment_preset("classify-train", 32, seed=0, scale=(0.5, 1.0))
    >>> aug(image=np.zeros((48, 64, 3), np.uint8))["image"].shape
    (32, 32, 3)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from oculi.augment.presets import AUGMENT_PRESETS

_INTERPOLATIONS = {"bilinear": 1, "bicubic": 2, "nearest": 0, "area": 3}  # cv2.INTER_* codes


@AUGMENT_PRESETS.register("classify-train", recipe=True,
                          help="random-resized crop (aspect 3/4-4/3) + flip (+ RandAugment)")
def classify_train(size: tuple[int, int] | None, seed: int | None, *,
                   scale: tuple[float, float] = (0.25, 1.0),
                   interpolation: str = "bilinear", randaugment_ops: int = 0,
                   randaugment_magnitude: float = 10.0) -> Any:
    """Classification training: a random crop covering ``scale`` of the image area with aspect
    3/4..4/3, resized to ``size`` (area interpolation when shrinking), a horizontal flip, and
    with ``randaugment_ops`` > 0 that many operations drawn from :func:`randaugment_ops`."""
    import albumentations as A

    if size is None:
        raise ValueError("classify-train needs a size")
    ops: list[Any] = [
        A.RandomResizedCrop(size=size, scale=scale, ratio=(0.75, 4 / 3),
                            interpolation=_INTERPOLATIONS.get(interpolation, 1),
                            area_for_downscale="image"),
        A.HorizontalFlip(p=0.5),
    ]
    if randaugment_ops > 0:
        ops.append(A.SomeOf(randaugment_ops_list(randaugment_magnitude), n=randaugment_ops,
                            replace=True, p=1.0))
    return A.Compose(ops, seed=seed)


def randaugment_ops_list(magnitude: float) -> list[Any]:
    """RandAugment's operations (Cubuk et al. 2020) as albumentations transforms at one
    ``magnitude`` on the paper's 0-30 scale (30: rotate ±30°, shear ±0.3, translate ±45 %,
    colour, contrast, brightness and sharpness ±90 %, solarize threshold 0, posterize to 4 bits);
    each draw picks a random sign where the operation has one. Identity, autocontrast and
    equalize take no magnitude. Affine borders are filled with grey 128."""
    import albumentations as A
    import cv2

    f = min(max(float(magnitude), 0.0), 30.0) / 30.0
    shear = float(np.degrees(np.arctan(0.3 * f)))
    grey = dict(border_mode=cv2.BORDER_CONSTANT, fill=128, p=1.0)
    return [
        A.NoOp(p=1.0),
        A.AutoContrast(p=1.0),
        A.Equalize(p=1.0),
        A.Affine(rotate=(-30 * f, 30 * f), **grey),
        A.Affine(shear={"x": (-shear, shear), "y": (0, 0)}, **grey),
        A.Affine(shear={"x": (0, 0), "y": (-shear, shear)}, **grey),
        A.Affine(translate_percent={"x": (-0.45 * f, 0.45 * f), "y": (0, 0)}, **grey),
        A.Affine(translate_percent={"x": (0, 0), "y": (-0.45 * f, 0.45 * f)}, **grey),
        A.Solarize(threshold_range=(1 - f, 1 - f), p=1.0),
        A.Posterize(num_bits=max(4, 8 - round(4 * f)), p=1.0),
        A.ColorJitter(brightness=0, contrast=0, saturation=(1 - 0.9 * f, 1 + 0.9 * f), hue=0,
                      p=1.0),
        A.RandomBrightnessContrast(brightness_limit=0, contrast_limit=0.9 * f, p=1.0),
        A.RandomBrightnessContrast(brightness_limit=0.9 * f, contrast_limit=0, p=1.0),
        A.Sharpen(alpha=(0, 0.9 * f), lightness=(1, 1), p=1.0),
    ]


@AUGMENT_PRESETS.register("segment-train", recipe=True,
                          help="mask-aware crop, flips, brightness/contrast")
def segment_train(size: tuple[int, int] | None, seed: int | None, *,
                  scale: tuple[float, float] = (0.5, 1.0), flips: str = "h",
                  color: float = 0.2, ignore_index: int | None = None) -> Any:
    """Segmentation training: pad to ``size``, random resized crop (``scale`` of the area),
    ``flips`` (``h``; ``hv`` adds vertical flips and 90° turns, for microscopy) and
    brightness/contrast jitter ``color``; padded mask pixels get ``ignore_index`` (0 when None).
    """
    import albumentations as A
    import cv2

    if size is None:
        raise ValueError("segment-train needs a size")
    h, w = size
    fill_mask = ignore_index if ignore_index is not None else 0
    ops: list[Any] = [
        A.PadIfNeeded(
            min_height=h, min_width=w, border_mode=cv2.BORDER_CONSTANT, fill=0, fill_mask=fill_mask
        ),
        A.RandomResizedCrop(
            size=(h, w),
            scale=scale,
            ratio=(0.75, 1.333),
            interpolation=cv2.INTER_LINEAR,
            mask_interpolation=cv2.INTER_NEAREST,
        ),
    ]
    if "h" in flips:
        ops.append(A.HorizontalFlip(p=0.5))
    if "v" in flips:
        ops += [A.VerticalFlip(p=0.5), A.RandomRotate90(p=0.5)]
    if color > 0:
        ops.append(A.RandomBrightnessContrast(brightness_limit=color, contrast_limit=color, p=0.8))
    return A.Compose(ops, seed=seed)


@AUGMENT_PRESETS.register("detect-train", recipe=True,
                          help="box-aware resize, flip, scale/shift, colour")
def detect_train(size: tuple[int, int] | None, seed: int | None, *, flip: float = 0.5,
                 affine: float = 0.5, scale: tuple[float, float] = (0.6, 1.4),
                 color: float = 0.6, min_visibility: float = 0.3) -> Any:
    """Detection training: longer side to ``size``, horizontal flip, random scale and ±10 %
    shift (grey 114 border), colour jitter; boxes (``pascal_voc`` xyxy, fields ``labels`` and
    ``ids``) follow, and a box keeping less than ``min_visibility`` of its area is dropped."""
    import albumentations as A

    if size is None:
        raise ValueError("detect-train needs a size")
    ops: list[Any] = [A.LongestMaxSize(max_size=max(size))]
    if flip > 0:
        ops.append(A.HorizontalFlip(p=flip))
    if affine > 0:
        ops.append(A.Affine(scale=scale, translate_percent=(-0.1, 0.1), p=affine,
                            border_mode=0, fill=114))
    if color > 0:
        ops.append(A.ColorJitter(brightness=0.3, contrast=0.3, saturation=0.3, hue=0.02,
                                 p=color))
    return A.Compose(
        ops, seed=seed,
        bbox_params=A.BboxParams(format="pascal_voc", label_fields=["labels", "ids"],
                                 min_visibility=min_visibility, min_width=2, min_height=2,
                                 clip=True, filter_invalid_bboxes=True))


def _generators(pipeline: Any) -> list[Any]:
    """The pipeline and every nested transform that owns random generators, in a fixed order."""
    out = [pipeline] if hasattr(pipeline, "random_generator") else []
    for t in getattr(pipeline, "transforms", []):
        out += _generators(t)
    return out


def random_state(pipeline: Any) -> list[dict[str, Any]]:
    """The random state of an albumentations pipeline (for exact resume of a training run):
    each owner's NumPy bit-generator state and Python ``random`` state."""
    return [{"numpy": t.random_generator.bit_generator.state, "python": t.py_random.getstate()}
            for t in _generators(pipeline)]


def set_random_state(pipeline: Any, state: list[dict[str, Any]]) -> None:
    """Restore :func:`random_state` into a pipeline built the same way."""
    for t, s in zip(_generators(pipeline), state, strict=True):
        t.random_generator.bit_generator.state = s["numpy"]
        t.py_random.setstate(s["python"])
