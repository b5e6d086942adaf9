"""Batch-level CutMix and MixUp on NCHW tensors, with label mixing.

Both operations pair every image of a batch with a partner image of the same batch and blend the
targets with the same weight ``lam`` that blends the pixels:

- **MixUp** (Zhang et al., 2018): ``x = lam * x_i + (1 - lam) * x_j``.
- **CutMix** (Yun et al., 2019): a box of area ``(1 - lam) * H * W`` of ``x_i`` is replaced by the
  same box of ``x_j``; ``lam`` is then corrected to the area actually kept after clipping the box to
  the image (``correct_lam``).

Targets are integer class indices (``N`` long tensor, needs ``num_classes``) or soft / one-hot
targets (``N x K`` float tensor); the result is always an ``N x K`` float32 soft-target tensor whose
rows sum to 1, optionally label-smoothed (``t * (1 - s) + s / K``: for one-hot targets this is
timm's ``on_value = 1 - s + s / K`` and ``off_value = s / K``).

:class:`Mixer` follows timm's ``Mixup``: with probability ``prob`` a batch is mixed, by CutMix with
probability ``switch_prob`` (when both alphas are > 0) and MixUp otherwise; ``lam`` is drawn from
``Beta(alpha, alpha)``. All randomness comes from one ``torch.Generator``, so a seeded mixer
reproduces its batches. Inputs are never modified in place.

    >>> import torch
    >>> from oculi.augment import Mixer
    >>> mixer = Mixer(mixup_alpha=0.8, cutmix_alpha=1.0, num_classes=10, seed=0)
    >>> images, targets = mixer(torch.rand(8, 3, 32, 32), torch.arange(8))
    >>> images.shape, targets.shape
    (torch.Size([8, 3, 32, 32]), torch.Size([8, 10]))
    >>> bool(torch.allclose(targets.sum(1), torch.ones(8)))
    True
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch

from oculi.core.checks import check_choice, check_tensor_images
from oculi.core.errors import DTypeError, ParameterError, ShapeError

Box = tuple[int, int, int, int]  # (y0, y1, x0, x1), half-open, in pixels


# --------------------------------------------------------------------------------------------
# validation and label helpers
# --------------------------------------------------------------------------------------------
def _check_smoothing(label_smoothing: float) -> float:
    if not 0.0 <= label_smoothing < 1.0 or label_smoothing != label_smoothing:
        raise ParameterError(
            f"label_smoothing: expected a number in [0, 1), got {label_smoothing!r}"
        )
    return float(label_smoothing)


def _check_alpha(alpha: float, name: str) -> float:
    if not alpha >= 0 or math.isinf(alpha):
        raise ParameterError(f"{name}: expected a finite number >= 0 (0 disables), got {alpha!r}")
    return float(alpha)


def _check_lam(lam: float) -> float:
    if not 0.0 <= lam <= 1.0:
        raise ParameterError(f"lam: expected a mixing weight in [0, 1], got {lam!r}")
    return float(lam)


def to_soft_targets(
    targets: torch.Tensor,
    num_classes: int | None = None,
    *,
    label_smoothing: float = 0.0,
    batch_size: int | None = None,
    device: torch.device | None = None,
) -> torch.Tensor:
    """Integer or soft targets -> ``N x K`` float32 soft targets, optionally label-smoothed.

    Args:
        targets: ``N`` integer class indices in ``[0, num_classes)``, or an ``N x K`` float tensor
            of (soft or one-hot) targets, each row summing to 1.
        num_classes: ``K``; required for integer targets, checked against ``K`` for soft targets.
        label_smoothing: ``s`` in ``[0, 1)``; the result is ``t * (1 - s) + s / K``.
        batch_size: when given, ``N`` must equal it.
        device: device of the result (default: the targets' device).

    Returns:
        float32 tensor ``N x K``, rows summing to 1.

    Raises:
        DTypeError: targets not a tensor, or a 1-D tensor that is not integer.
        ShapeError: wrong number of dimensions or batch size, or ``K`` differs from ``num_classes``.
        ParameterError: missing ``num_classes`` for integer targets, class indices out of range,
            bad ``label_smoothing``.
    """
    s = _check_smoothing(label_smoothing)
    if not isinstance(targets, torch.Tensor):
        raise DTypeError(f"targets: expected a torch.Tensor, got {type(targets).__name__}")
    device = targets.device if device is None else device
    if targets.ndim == 1:
        if targets.is_floating_point() or targets.dtype == torch.bool:
            raise DTypeError(
                f"targets: a 1-D target tensor must hold integer class indices, got {targets.dtype}"
                " — use .long(), or pass N x K soft targets"
            )
        if num_classes is None or num_classes < 1:
            raise ParameterError(
                f"num_classes: integer targets need num_classes >= 1, got {num_classes!r}"
            )
        if targets.numel() and (int(targets.min()) < 0 or int(targets.max()) >= num_classes):
            raise ParameterError(
                f"targets: class indices must lie in [0, {num_classes}), got range "
                f"[{int(targets.min())}, {int(targets.max())}]"
            )
        soft = torch.nn.functional.one_hot(targets.long(), num_classes).to(torch.float32)
    elif targets.ndim == 2:
        soft = targets.to(torch.float32)
        if num_classes is not None and soft.shape[1] != num_classes:
            raise ShapeError(
                f"targets: expected {num_classes} classes (num_classes), got shape "
                f"{tuple(targets.shape)}"
            )
    else:
        raise ShapeError(
            f"targets: expected N class indices or N x K soft targets, got shape "
            f"{tuple(targets.shape)}"
        )
    if batch_size is not None and soft.shape[0] != batch_size:
        raise ShapeError(
            f"targets: expected {batch_size} targets (one per image), got {soft.shape[0]}"
        )
    if s > 0:
        soft = soft * (1.0 - s) + s / soft.shape[1]
    return soft.to(device)


def _partner_index(n: int, pairing: str, generator: torch.Generator | None) -> torch.Tensor:
    if pairing == "flip":
        return torch.arange(n - 1, -1, -1)
    return torch.randperm(n, generator=generator)


def _numpy_rng(generator: torch.Generator | None) -> np.random.Generator:
    """A numpy generator seeded from ``generator`` (for Beta draws, which torch cannot seed)."""
    seed = int(torch.randint(0, 2**62, (1,), generator=generator))
    return np.random.default_rng(seed)


def _uniform_int(low: int, high: int, generator: torch.Generator | None) -> int:
    """An integer uniform in ``[low, high)``."""
    return int(torch.randint(low, high, (1,), generator=generator))


# --------------------------------------------------------------------------------------------
# boxes
# --------------------------------------------------------------------------------------------
def cutmix_box(
    size: tuple[int, int],
    lam: float,
    *,
    margin: float = 0.0,
    minmax: tuple[float, float] | None = None,
    generator: torch.Generator | None = None,
) -> tuple[Box, float]:
    """Draw a CutMix box and return it with the area-corrected ``lam``.

    Without ``minmax`` the box has sides ``H * sqrt(1 - lam)`` by ``W * sqrt(1 - lam)`` (rounded
    down), a uniformly drawn centre and is clipped to the image (as in the CutMix paper and timm).
    With ``minmax = (lo, hi)`` the sides are drawn uniformly in ``[lo * H, hi * H)`` and
    ``[lo * W, hi * W)`` and the box lies fully inside the image; ``lam`` is ignored.

    Args:
        size: ``(height, width)`` of the images.
        lam: the weight of the original image, in [0, 1].
        margin: fraction of the box size by which the centre keeps off the border.
        minmax: optional ``(lo, hi)`` fractions of the image size for the box sides.
        generator: source of randomness.

    Returns:
        ``((y0, y1, x0, x1), lam_corrected)``: the half-open pixel box and
        ``1 - box_area / (H * W)``.
    """
    h, w = int(size[0]), int(size[1])
    if h < 1 or w < 1:
        raise ShapeError(f"size: expected a positive (height, width), got {size}")
    if minmax is not None:
        lo, hi = minmax
        if not 0.0 <= lo < hi <= 1.0:
            raise ParameterError(f"minmax: expected 0 <= lo < hi <= 1, got {minmax}")
        cut_h = _uniform_int(int(h * lo), max(int(h * hi), int(h * lo) + 1), generator)
        cut_w = _uniform_int(int(w * lo), max(int(w * hi), int(w * lo) + 1), generator)
        y0 = _uniform_int(0, h - cut_h + 1, generator)
        x0 = _uniform_int(0, w - cut_w + 1, generator)
        y1, x1 = y0 + cut_h, x0 + cut_w
    else:
        _check_lam(lam)
        ratio = math.sqrt(1.0 - lam)
        cut_h, cut_w = int(h * ratio), int(w * ratio)
        my, mx = int(margin * cut_h), int(margin * cut_w)
        cy = _uniform_int(my, max(h - my, my + 1), generator)
        cx = _uniform_int(mx, max(w - mx, mx + 1), generator)
        y0, y1 = min(max(cy - cut_h // 2, 0), h), min(max(cy + cut_h // 2, 0), h)
        x0, x1 = min(max(cx - cut_w // 2, 0), w), min(max(cx + cut_w // 2, 0), w)
    lam_corrected = 1.0 - (y1 - y0) * (x1 - x0) / float(h * w)
    return (y0, y1, x0, x1), lam_corrected


# --------------------------------------------------------------------------------------------
# functional API
# --------------------------------------------------------------------------------------------
def _prepare(
    images: torch.Tensor,
    targets: torch.Tensor,
    num_classes: int | None,
    label_smoothing: float,
    index: torch.Tensor | None,
    pairing: str,
    generator: torch.Generator | None,
) -> tuple[torch.Tensor, torch.Tensor]:
    check_tensor_images(images)
    n = images.shape[0]
    soft = to_soft_targets(
        targets, num_classes, label_smoothing=label_smoothing, batch_size=n, device=images.device
    )
    if index is None:
        check_choice(pairing, ("flip", "random"), "pairing")
        index = _partner_index(n, pairing, generator)
    else:
        index = torch.as_tensor(index).long().cpu()
        if index.shape != (n,) or (n and (int(index.min()) < 0 or int(index.max()) >= n)):
            raise ShapeError(
                f"index: expected {n} partner indices in [0, {n}), got shape {tuple(index.shape)}"
            )
    return soft, index.to(images.device)


def mixup(
    images: torch.Tensor,
    targets: torch.Tensor,
    *,
    alpha: float = 0.2,
    lam: float | None = None,
    num_classes: int | None = None,
    label_smoothing: float = 0.0,
    index: torch.Tensor | None = None,
    pairing: str = "flip",
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """MixUp a batch: ``x_i <- lam * x_i + (1 - lam) * x_index[i]`` and the same for targets.

    Args:
        images: float tensor ``N x C x H x W`` (any range; the mix is convex, so [0, 1] stays).
        targets: ``N`` class indices or ``N x K`` soft targets (see :func:`to_soft_targets`).
        alpha: ``lam ~ Beta(alpha, alpha)`` when ``lam`` is not given; must be > 0 then.
        lam: a fixed weight in [0, 1] of each image itself.
        num_classes: ``K`` (required for integer targets).
        label_smoothing: applied to the targets before mixing.
        index: partner of each image (``N`` indices); default from ``pairing``.
        pairing: ``"flip"`` (image ``i`` with ``N - 1 - i``, as timm does) or ``"random"``
            (a permutation drawn from ``generator``).
        generator: source of randomness.

    Returns:
        ``(mixed_images, soft_targets)``: a new tensor of the images' shape and dtype, and float32
        ``N x K`` targets.
    """
    soft, index = _prepare(images, targets, num_classes, label_smoothing, index, pairing, generator)
    if lam is None:
        if not _check_alpha(alpha, "alpha") > 0:
            raise ParameterError("alpha: expected > 0 when lam is not given, got 0")
        lam = float(_numpy_rng(generator).beta(alpha, alpha))
    lam = _check_lam(lam)
    mixed = images * lam + images[index] * (1.0 - lam)
    return mixed, soft * lam + soft[index] * (1.0 - lam)


def cutmix(
    images: torch.Tensor,
    targets: torch.Tensor,
    *,
    alpha: float = 1.0,
    lam: float | None = None,
    num_classes: int | None = None,
    label_smoothing: float = 0.0,
    index: torch.Tensor | None = None,
    pairing: str = "flip",
    minmax: tuple[float, float] | None = None,
    correct_lam: bool = True,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """CutMix a batch: paste one box of each partner image into each image; mix targets by area.

    Args:
        images: float tensor ``N x C x H x W``.
        targets: ``N`` class indices or ``N x K`` soft targets.
        alpha: ``lam ~ Beta(alpha, alpha)`` when ``lam`` is not given; must be > 0 then.
        lam: fixed weight of each image itself, before box clipping.
        num_classes: ``K`` (required for integer targets).
        label_smoothing: applied to the targets before mixing.
        index: partner of each image; default from ``pairing`` (``"flip"`` or ``"random"``).
        pairing: see :func:`mixup`.
        minmax: optional box side range as fractions of the image size (see :func:`cutmix_box`).
        correct_lam: weight the targets by the pasted area actually kept (always true with
            ``minmax``).
        generator: source of randomness.

    Returns:
        ``(mixed_images, soft_targets)``; one box is used for the whole batch.
    """
    soft, index = _prepare(images, targets, num_classes, label_smoothing, index, pairing, generator)
    if minmax is None:
        if lam is None:
            if not _check_alpha(alpha, "alpha") > 0:
                raise ParameterError("alpha: expected > 0 when lam is not given, got 0")
            lam = float(_numpy_rng(generator).beta(alpha, alpha))
        lam = _check_lam(lam)
    (y0, y1, x0, x1), lam_area = cutmix_box(
        tuple(images.shape[-2:]), 1.0 if lam is None else lam, minmax=minmax, generator=generator
    )
    if correct_lam or minmax is not None:
        lam = lam_area
    mixed = images.clone()
    mixed[:, :, y0:y1, x0:x1] = images[index][:, :, y0:y1, x0:x1]
    return mixed, soft * lam + soft[index] * (1.0 - lam)


# --------------------------------------------------------------------------------------------
# the stateful mixer
# --------------------------------------------------------------------------------------------
@dataclass
class MixInfo:
    """What the last call of a :class:`Mixer` did (for logging and tests).

    Attributes:
        method: ``"none"``, ``"mixup"`` or ``"cutmix"`` per image (one entry in batch mode).
        lam: the weight of each image itself (area-corrected for CutMix).
        index: partner index of each image.
        boxes: CutMix boxes ``(y0, y1, x0, x1)`` per mixed image (``None`` where not CutMix).
    """

    method: list[str] = field(default_factory=list)
    lam: list[float] = field(default_factory=list)
    index: list[int] = field(default_factory=list)
    boxes: list[Box | None] = field(default_factory=list)


class Mixer:
    """timm-style MixUp / CutMix for a training loop: ``images, soft = mixer(images, targets)``.

    Args:
        mixup_alpha: Beta parameter of MixUp; 0 disables MixUp.
        cutmix_alpha: Beta parameter of CutMix; 0 disables CutMix (unless ``cutmix_minmax``).
        cutmix_minmax: box side range as fractions of the image size; replaces the Beta draw of
            the CutMix area.
        prob: probability that a batch (or, in ``"elem"`` mode, an image) is mixed at all.
        switch_prob: probability of CutMix rather than MixUp when both are enabled.
        mode: ``"batch"`` (one ``lam`` and one box for the batch) or ``"elem"`` (one per image).
        correct_lam: correct CutMix's ``lam`` to the area kept after clipping the box.
        label_smoothing: ``s`` in [0, 1); targets become ``t * (1 - s) + s / K``.
        num_classes: ``K`` (required for integer targets).
        pairing: ``"flip"`` (image ``i`` with ``N - 1 - i``) or ``"random"`` (drawn permutation).
        seed: seeds a private ``torch.Generator`` (ignored when ``generator`` is given).
        generator: the ``torch.Generator`` to draw from (default: a private one, or torch's
            global generator when neither ``seed`` nor ``generator`` is given).

    Raises:
        ParameterError: negative alphas or probabilities outside [0, 1], unknown mode/pairing,
            both methods disabled while ``prob > 0``.
    """

    def __init__(
        self,
        mixup_alpha: float = 0.8,
        cutmix_alpha: float = 1.0,
        cutmix_minmax: tuple[float, float] | None = None,
        prob: float = 1.0,
        switch_prob: float = 0.5,
        mode: str = "batch",
        correct_lam: bool = True,
        label_smoothing: float = 0.1,
        num_classes: int | None = None,
        pairing: str = "flip",
        seed: int | None = None,
        generator: torch.Generator | None = None,
    ) -> None:
        self.mixup_alpha = _check_alpha(mixup_alpha, "mixup_alpha")
        self.cutmix_alpha = _check_alpha(cutmix_alpha, "cutmix_alpha")
        if cutmix_minmax is not None:
            lo, hi = cutmix_minmax
            if not 0.0 <= lo < hi <= 1.0:
                raise ParameterError(
                    f"cutmix_minmax: expected 0 <= lo < hi <= 1, got {cutmix_minmax}"
                )
            self.cutmix_alpha = max(self.cutmix_alpha, 1.0)  # enabled; alpha unused
        self.cutmix_minmax = cutmix_minmax
        for name, p in (("prob", prob), ("switch_prob", switch_prob)):
            if not 0.0 <= p <= 1.0:
                raise ParameterError(f"{name}: expected a probability in [0, 1], got {p!r}")
        self.prob = float(prob)
        self.switch_prob = float(switch_prob)
        self.mode = check_choice(mode, ("batch", "elem"), "mode")
        self.pairing = check_choice(pairing, ("flip", "random"), "pairing")
        self.correct_lam = bool(correct_lam)
        self.label_smoothing = _check_smoothing(label_smoothing)
        self.num_classes = num_classes
        if self.prob > 0 and self.mixup_alpha == 0 and self.cutmix_alpha == 0:
            raise ParameterError(
                "mixup_alpha, cutmix_alpha: both are 0, so nothing would be mixed — enable one or "
                "set prob=0"
            )
        if generator is None and seed is not None:
            generator = torch.Generator().manual_seed(int(seed))
        self.generator = generator
        self.last = MixInfo()

    def __repr__(self) -> str:
        return (
            f"Mixer(mixup_alpha={self.mixup_alpha}, cutmix_alpha={self.cutmix_alpha}, "
            f"cutmix_minmax={self.cutmix_minmax}, prob={self.prob}, "
            f"switch_prob={self.switch_prob}, "
            f"mode={self.mode!r}, label_smoothing={self.label_smoothing}, "
            f"num_classes={self.num_classes})"
        )

    # one draw of (method, lam) as timm's _params_per_batch
    def _draw(self, rng: np.random.Generator) -> tuple[str, float]:
        if rng.random() >= self.prob:
            return "none", 1.0
        use_cutmix = self.cutmix_alpha > 0 and (
            self.mixup_alpha == 0 or rng.random() < self.switch_prob
        )
        if use_cutmix:
            lam = 1.0 if self.cutmix_minmax is not None else float(
                rng.beta(self.cutmix_alpha, self.cutmix_alpha)
            )
            return "cutmix", lam
        return "mixup", float(rng.beta(self.mixup_alpha, self.mixup_alpha))

    def __call__(
        self, images: torch.Tensor, targets: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Mix a batch.

        Args:
            images: float tensor ``N x C x H x W``.
            targets: ``N`` class indices or ``N x K`` soft targets.

        Returns:
            ``(images, soft_targets)``: new tensors, ``N x C x H x W`` and float32 ``N x K``.
            Details of the draw are in :attr:`last` (:class:`MixInfo`).
        """
        soft, index = _prepare(
            images, targets, self.num_classes, self.label_smoothing, None, self.pairing,
            self.generator,
        )
        n = images.shape[0]
        rng = _numpy_rng(self.generator)
        if self.mode == "batch":
            draws = [self._draw(rng)] * n
        else:
            draws = [self._draw(rng) for _ in range(n)]
        size = tuple(images.shape[-2:])
        out = images.clone()
        src = images[index]
        lams: list[float] = []
        boxes: list[Box | None] = []
        box_batch: tuple[Box, float] | None = None
        for method, lam_drawn in draws:
            lam = lam_drawn
            box = None
            if method == "cutmix":
                if self.mode == "batch":
                    if box_batch is None:
                        box_batch = cutmix_box(
                            size, lam, minmax=self.cutmix_minmax, generator=self.generator
                        )
                    box, lam_area = box_batch
                else:
                    box, lam_area = cutmix_box(
                        size, lam, minmax=self.cutmix_minmax, generator=self.generator
                    )
                if self.correct_lam or self.cutmix_minmax is not None:
                    lam = lam_area
            lams.append(lam)
            boxes.append(box)
        method0 = draws[0][0] if n else "none"
        if self.mode == "batch" and n:
            if method0 == "mixup":
                out = images * lams[0] + src * (1.0 - lams[0])
            elif method0 == "cutmix":
                y0, y1, x0, x1 = boxes[0]
                out[:, :, y0:y1, x0:x1] = src[:, :, y0:y1, x0:x1]
        else:
            for i, (method, _) in enumerate(draws):
                if method == "mixup":
                    out[i] = images[i] * lams[i] + src[i] * (1.0 - lams[i])
                elif method == "cutmix":
                    y0, y1, x0, x1 = boxes[i]
                    out[i, :, y0:y1, x0:x1] = src[i, :, y0:y1, x0:x1]
        lam_t = torch.tensor(lams, dtype=torch.float32, device=soft.device).reshape(-1, 1)
        mixed_targets = soft * lam_t + soft[index] * (1.0 - lam_t)
        self.last = MixInfo(
            method=[d[0] for d in draws] if self.mode == "elem" else [method0],
            lam=lams if self.mode == "elem" else lams[:1],
            index=index.cpu().tolist(),
            boxes=boxes if self.mode == "elem" else boxes[:1],
        )
        return out, mixed_targets


__all__ = ["MixInfo", "Mixer", "cutmix", "cutmix_box", "mixup", "to_soft_targets"]
