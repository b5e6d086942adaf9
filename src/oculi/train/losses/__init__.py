"""Losses for segmentation and image generation, one registry (:data:`LOSSES`).

Segmentation losses take logits ``(N, C, *spatial)`` and a mask (class indices, or 0/1 for binary
and multi-label); see :mod:`oculi.train.losses._common` for the modes. :class:`CombinedLoss`
writes sums as formulas: ``CombinedLoss("iou + dice + 0.8*bce")``.

=========== =============================================== ==============================
name        loss                                            implementation
=========== =============================================== ==============================
dice        soft Dice ``1 − 2TP/(2TP+FP+FN)``                oculi (smp zeroes absent classes)
jaccard/iou soft Jaccard ``1 − TP/(TP+FP+FN)``              oculi (same remark)
tversky     ``(1 − TP/(TP+αFP+βFN))^γ``                     oculi
bce         binary cross entropy (pos weight, ignore index) torch + oculi masking
ce          pixel-wise cross entropy (weights, ignore)      torch ``F.cross_entropy``
focal       ``−α_t (1−p_t)^γ log p_t``                      oculi
lovasz      Lovász hinge / Lovász-softmax                   oculi (matches smp)
mse, l1     pixel errors (masked)                           oculi
perceptual  feature distance on a registry backbone         oculi + timm
=========== =============================================== ==============================

GAN critic/generator losses are functions: :func:`discriminator_loss`, :func:`generator_loss`,
:func:`gradient_penalty`, :func:`r1_penalty`, :func:`feature_matching_loss`, or
:class:`GANLoss`.
"""

from oculi.core.registry import Registry
from oculi.train.losses.combined import CombinedLoss, parse_loss_expression
from oculi.train.losses.gan import (
    GAN_KINDS,
    GANLoss,
    discriminator_loss,
    feature_matching_loss,
    generator_loss,
    gradient_penalty,
    r1_penalty,
)
from oculi.train.losses.lovasz import LovaszLoss, lovasz_grad
from oculi.train.losses.perceptual import PerceptualLoss
from oculi.train.losses.pixel import (
    BCELoss,
    CrossEntropyLoss,
    FocalLoss,
    L1Loss,
    MSELoss,
    PixelLoss,
)
from oculi.train.losses.region import DiceLoss, JaccardLoss, TverskyLoss, soft_counts

#: every loss by name (``create_loss("dice", ignore_index=255)``)
LOSSES: Registry = Registry("loss")
LOSSES.register("dice", DiceLoss)
LOSSES.register("jaccard", JaccardLoss, aliases=("iou",))
LOSSES.register("tversky", TverskyLoss)
LOSSES.register("bce", BCELoss, aliases=("binary-cross-entropy",))
LOSSES.register("ce", CrossEntropyLoss, aliases=("cross-entropy", "xent"))
LOSSES.register("focal", FocalLoss)
LOSSES.register("lovasz", LovaszLoss)
LOSSES.register("mse", MSELoss, aliases=("l2",))
LOSSES.register("l1", L1Loss, aliases=("mae",))
LOSSES.register("perceptual", PerceptualLoss)


def create_loss(spec: str, **kwargs):
    """A loss from a name (``"dice"``) or an expression (``"iou+dice+0.8*bce"``).

    Keyword arguments go to the loss (to each term that accepts them for an expression).
    """
    from oculi.train.losses.combined import _accepted

    terms = parse_loss_expression(spec)
    if len(terms) == 1 and terms[0][0] == 1.0:
        factory = LOSSES.get(terms[0][1])
        return factory(**_accepted(factory, kwargs))
    return CombinedLoss(spec, **kwargs)


__all__ = [
    "GAN_KINDS",
    "LOSSES",
    "BCELoss",
    "CombinedLoss",
    "CrossEntropyLoss",
    "DiceLoss",
    "FocalLoss",
    "GANLoss",
    "JaccardLoss",
    "L1Loss",
    "LovaszLoss",
    "MSELoss",
    "PerceptualLoss",
    "PixelLoss",
    "TverskyLoss",
    "create_loss",
    "discriminator_loss",
    "feature_matching_loss",
    "generator_loss",
    "gradient_penalty",
    "lovasz_grad",
    "parse_loss_expression",
    "r1_penalty",
    "soft_counts",
]
