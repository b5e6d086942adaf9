"""Per-image augmentation presets built from albumentations (which does the work; oculi only
chooses the recipe).

=======  ==================================================================================
preset   transforms (probabilities)
=======  ==================================================================================
light    flip (0.5), small affine ±5 % shift, ±10° (0.5), brightness/contrast ±10 % (0.3)
default  random resized crop 50-100 % (when ``size`` is given), flip (0.5), affine ±10 %,
         ±15°, scale 0.85-1.15 (0.5), colour jitter 0.2 (0.5), to gray (0.05)
heavy    random resized crop 25-100 %, flip (0.5), affine ±15 %, ±30°, shear ±10° (0.7),
         colour jitter 0.4 (0.8), one of blur / motion blur / noise (0.3), CLAHE (0.1),
         coarse dropout 1-8 holes of 5-20 % (0.5), to gray (0.1)
=======  ==================================================================================

Presets act on HWC uint8 RGB (or float32 [0, 1]) numpy images, the house convention, and return
an ``albumentations.Compose``; call it as ``preset(image=image)["image"]``. With ``size`` every
preset ends at exactly that ``(height, width)``. ``seed`` makes the pipeline reproducible.

    >>> import numpy as np
    >>> from oculi.augment import augment_preset
    >>> aug = augment_preset("light", size=(32, 48), seed=0)
    >>> aug(image=np.zeros((64, 64, 3), np.uint8))["image"].shape
    (32, 48, 3)
"""

from __future__ import annotations

from typing import Any

from oculi.core.errors import ParameterError
from oculi.core.registry import Registry

#: name -> factory ``(size, seed) -> albumentations.Compose``
AUGMENT_PRESETS: Registry[Any] = Registry("augmentation preset")


def _size(size: tuple[int, int] | int | None) -> tuple[int, int] | None:
    if size is None:
        return None
    if isinstance(size, int):
        size = (size, size)
    h, w = (int(v) for v in size)
    if h < 1 or w < 1:
        raise ParameterError(f"size: expected a positive (height, width), got {size!r}")
    return h, w


def _compose(transforms: list[Any], seed: int | None) -> Any:
    import albumentations as A

    return A.Compose(transforms, seed=seed)


@AUGMENT_PRESETS.register("light", help="flip, small shift/rotate, mild brightness/contrast")
def _light(size: tuple[int, int] | None, seed: int | None) -> Any:
    import albumentations as A

    t: list[Any] = [
        A.HorizontalFlip(p=0.5),
        A.Affine(translate_percent=(-0.05, 0.05), rotate=(-10, 10), p=0.5),
        A.RandomBrightnessContrast(brightness_limit=0.1, contrast_limit=0.1, p=0.3),
    ]
    if size is not None:
        t.append(A.Resize(*size))
    return _compose(t, seed)


@AUGMENT_PRESETS.register("default", help="crop, flip, affine, colour jitter")
def _default(size: tuple[int, int] | None, seed: int | None) -> Any:
    import albumentations as A

    t: list[Any] = []
    if size is not None:
        t.append(A.RandomResizedCrop(size=size, scale=(0.5, 1.0)))
    t += [
        A.HorizontalFlip(p=0.5),
        A.Affine(translate_percent=(-0.1, 0.1), rotate=(-15, 15), scale=(0.85, 1.15), p=0.5),
        A.ColorJitter(brightness=0.2, contrast=0.2, saturation=0.2, hue=0.05, p=0.5),
        A.ToGray(p=0.05),
    ]
    return _compose(t, seed)


@AUGMENT_PRESETS.register("heavy", help="strong crop/affine/colour, blur or noise, dropout")
def _heavy(size: tuple[int, int] | None, seed: int | None) -> Any:
    import albumentations as A

    t: list[Any] = []
    if size is not None:
        t.append(A.RandomResizedCrop(size=size, scale=(0.25, 1.0)))
    t += [
        A.HorizontalFlip(p=0.5),
        A.Affine(translate_percent=(-0.15, 0.15), rotate=(-30, 30), shear=(-10, 10),
                 scale=(0.75, 1.25), p=0.7),
        A.ColorJitter(brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1, p=0.8),
        A.OneOf([A.GaussianBlur(blur_limit=(3, 7)), A.MotionBlur(blur_limit=(3, 7)),
                 A.GaussNoise(std_range=(0.02, 0.08))], p=0.3),
        A.CLAHE(clip_limit=2.0, p=0.1),
        A.CoarseDropout(num_holes_range=(1, 8), hole_height_range=(0.05, 0.2),
                        hole_width_range=(0.05, 0.2), p=0.5),
        A.ToGray(p=0.1),
    ]
    return _compose(t, seed)


def augment_preset(
    name: str = "default", size: tuple[int, int] | int | None = None, *, seed: int | None = None,
    **options: Any,
) -> Any:
    """Build a per-image augmentation pipeline from the preset table.

    Args:
        name: ``"light"``, ``"default"``, ``"heavy"``, or a task's training recipe
            (``"classify-train"``, ``"segment-train"``, ``"detect-train"``; see
            :mod:`oculi.augment.recipes`).
        size: final ``(height, width)`` (or one int); ``None`` keeps the input size.
        seed: seed of the pipeline's random generator.
        **options: the recipe's own keywords (crop ``scale``, ``flips``, ...).

    Returns:
        An ``albumentations.Compose``; ``out = pipeline(image=image)["image"]``.

    Raises:
        UnknownNameError: an unknown preset (close matches are listed).
    """
    return AUGMENT_PRESETS.create(name, size=_size(size), seed=seed, **options)


def preset_names() -> list[str]:
    """The general presets (light, default, heavy), sorted; the tasks' training recipes are
    :func:`recipe_names`."""
    return [e.name for e in AUGMENT_PRESETS.entries() if not e.meta.get("recipe")]


def recipe_names() -> list[str]:
    """The trainable tasks' training recipes (``classify-train``, ...), sorted."""
    return [e.name for e in AUGMENT_PRESETS.entries() if e.meta.get("recipe")]
