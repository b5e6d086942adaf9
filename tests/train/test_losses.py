"""Losses against hand-computed cases and reference implementations (smp, torch)."""

from __future__ import annotations

import math

import pytest
import segmentation_models_pytorch as smp
import torch
import torch.nn.functional as F

from oculi.core.errors import ParameterError, ShapeError, ValueRangeError
from oculi.train.losses import (
    LOSSES,
    BCELoss,
    CombinedLoss,
    CrossEntropyLoss,
    DiceLoss,
    FocalLoss,
    GANLoss,
    JaccardLoss,
    L1Loss,
    LovaszLoss,
    MSELoss,
    PerceptualLoss,
    TverskyLoss,
    create_loss,
    discriminator_loss,
    generator_loss,
    gradient_penalty,
    lovasz_grad,
    parse_loss_expression,
)

BIG = 20.0  # a logit whose sigmoid is 1 - 2e-9


def _binary_case():
    # probabilities exactly 1 on the predicted mask: pred = [[1,1],[0,0]], target = [[1,0],[1,0]]
    logits = torch.tensor([[[[BIG, BIG], [-BIG, -BIG]]]])
    target = torch.tensor([[[1, 0], [1, 0]]])
    return logits, target  # TP=1, FP=1, FN=1


def test_dice_and_jaccard_hand_case():
    logits, target = _binary_case()
    assert float(DiceLoss(smooth=0)(logits, target)) == pytest.approx(1 - 2 / 4, abs=1e-6)
    assert float(JaccardLoss(smooth=0)(logits, target)) == pytest.approx(1 - 1 / 3, abs=1e-6)
    # smooth=1: (TP+1)/(TP + ½FP + ½FN + 1) = 2/3
    assert float(DiceLoss()(logits, target)) == pytest.approx(1 / 3, abs=1e-6)


def test_soft_dice_with_half_probabilities():
    logits = torch.zeros(1, 1, 2, 2)
    target = torch.tensor([[[1, 0], [0, 0]]])
    # p = .5 everywhere: TP = .5, FP = 1.5, FN = .5 -> dice = 1/(1+2) = 1/3
    assert float(DiceLoss(smooth=0)(logits, target)) == pytest.approx(2 / 3, abs=1e-6)
    assert float(JaccardLoss(smooth=0)(logits, target)) == pytest.approx(1 - 0.5 / 2.5, abs=1e-6)


def test_tversky_hand_case_and_special_cases():
    logits, target = _binary_case()
    t = TverskyLoss(alpha=0.3, beta=0.7, smooth=0)(logits, target)
    assert float(t) == pytest.approx(1 - 1 / (1 + 0.3 + 0.7), abs=1e-6)
    ft = TverskyLoss(alpha=0.3, beta=0.7, gamma=2.0, smooth=0)(logits, target)
    assert float(ft) == pytest.approx(0.5**2, abs=1e-6)
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(2, 3, 8, 8, generator=g), torch.randint(0, 3, (2, 8, 8), generator=g)
    assert float(TverskyLoss(0.5, 0.5, smooth=0)(x, y)) == pytest.approx(
        float(DiceLoss(smooth=0)(x, y))
    )


def test_dice_jaccard_tversky_match_smp_when_all_classes_present():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(2, 4, 16, 16, generator=g)
    y = torch.randint(0, 4, (2, 16, 16), generator=g)
    y[:, 0, 0] = 255
    for ours, ref in [
        (DiceLoss(smooth=0, ignore_index=255), smp.losses.DiceLoss("multiclass", ignore_index=255)),
        (
            JaccardLoss(smooth=0, ignore_index=255),
            smp.losses.JaccardLoss("multiclass", ignore_index=255),
        ),
        (
            TverskyLoss(0.3, 0.7, smooth=0),
            smp.losses.TverskyLoss("multiclass", alpha=0.3, beta=0.7),
        ),
    ]:
        yy = y if ours.ignore_index is not None else y.clamp(max=3)
        assert float(ours(x, yy)) == pytest.approx(float(ref(x, yy)), abs=1e-5)


def test_dice_penalises_false_positives_of_absent_class_unlike_smp():
    # class 2 is absent from the target but predicted everywhere on the right half
    logits = torch.full((1, 3, 4, 4), -BIG)
    logits[0, 0, :, :2] = BIG
    logits[0, 2, :, 2:] = BIG
    target = torch.zeros(1, 4, 4, dtype=torch.long)
    target[0, :, 2:] = 1
    ours = float(DiceLoss(smooth=1)(logits, target))
    ref = float(smp.losses.DiceLoss("multiclass", smooth=1)(logits, target))
    # ours: class0 dice 1, class1: TP0 FP0 FN8 -> 1/(0+4+1)= .2, class2: 1/(0+4+1)
    assert ours == pytest.approx((0 + 0.8 + 0.8) / 3, abs=1e-5)
    assert ref == pytest.approx((0 + 0.8 + 0) / 3, abs=1e-5)


def test_ce_matches_torch_with_weights_and_ignore():
    g = torch.Generator().manual_seed(2)
    x = torch.randn(2, 3, 5, 5, generator=g)
    y = torch.randint(0, 3, (2, 5, 5), generator=g)
    y[0, 0] = 11
    w = [1.0, 2.0, 0.5]
    ours = CrossEntropyLoss(class_weights=w, ignore_index=11)(x, y)
    ref = F.cross_entropy(x, y, weight=torch.tensor(w), ignore_index=11)
    assert float(ours) == pytest.approx(float(ref), abs=1e-6)


def test_ce_hand_case_and_all_ignored():
    x = torch.tensor([[[[0.0]], [[math.log(3)]]]])  # softmax = [1/4, 3/4]
    assert float(CrossEntropyLoss()(x, torch.tensor([[[1]]]))) == pytest.approx(-math.log(0.75))
    x.requires_grad_(True)
    loss = CrossEntropyLoss(ignore_index=5)(x, torch.tensor([[[5]]]))
    loss.backward()
    assert float(loss) == 0.0 and x.grad is not None


def test_bce_hand_case_ignore_and_pos_weight():
    x = torch.tensor([[[[0.0, math.log(3)]]]])  # sigmoid = .5, .75
    y = torch.tensor([[[1, 255]]])
    assert float(BCELoss(ignore_index=255)(x, y)) == pytest.approx(math.log(2))
    y2 = torch.tensor([[[1, 0]]])
    expect = (2 * math.log(2) + -math.log(0.25)) / 2
    assert float(BCELoss(pos_weight=2.0)(x, y2)) == pytest.approx(expect, abs=1e-6)
    ref = F.binary_cross_entropy_with_logits(x, y2[:, None].float(), pos_weight=torch.tensor(2.0))
    assert float(BCELoss(pos_weight=2.0)(x, y2)) == pytest.approx(float(ref), abs=1e-6)


def test_focal_hand_case_and_gamma_zero_is_ce():
    x = torch.tensor([[[[math.log(3)]]]])  # p = .75 for a positive
    y = torch.tensor([[[1]]])
    assert float(FocalLoss(gamma=2)(x, y)) == pytest.approx(0.25**2 * -math.log(0.75), abs=1e-6)
    assert float(FocalLoss(gamma=2, alpha=0.25)(x, y)) == pytest.approx(
        0.25 * 0.0625 * -math.log(0.75), abs=1e-6
    )
    g = torch.Generator().manual_seed(3)
    xm, ym = torch.randn(2, 4, 6, 6, generator=g), torch.randint(0, 4, (2, 6, 6), generator=g)
    assert float(FocalLoss(gamma=0)(xm, ym)) == pytest.approx(
        float(F.cross_entropy(xm, ym)), abs=1e-6
    )
    ref = smp.losses.FocalLoss("multiclass", gamma=2.0)(xm, ym)
    # smp sums the per-class binary focal terms; ours is the softmax focal loss: both fall with gamma
    assert float(FocalLoss(gamma=2)(xm, ym)) < float(F.cross_entropy(xm, ym))
    assert float(ref) > 0


def test_lovasz_grad_and_hand_case():
    # sorted labels [1, 0]: jaccard after 1 error = 1 - 0/1... grad = [1, 0]
    assert lovasz_grad(torch.tensor([1.0, 0.0])).tolist() == [1.0, 0.0]
    assert lovasz_grad(torch.tensor([0.0, 1.0])).tolist() == pytest.approx([0.5, 0.5])
    # binary hinge: logits [2, -1] on labels [1, 1]: errors [-1, 2] -> sorted [2, -1], relu [2, 0]
    x = torch.tensor([[[[2.0, -1.0]]]])
    y = torch.tensor([[[1, 1]]])
    assert float(LovaszLoss()(x, y)) == pytest.approx(2 * 0.5, abs=1e-6)


@pytest.mark.parametrize("per_image", [False, True])
def test_lovasz_matches_smp(per_image):
    g = torch.Generator().manual_seed(4)
    xb, yb = torch.randn(2, 1, 8, 8, generator=g), torch.randint(0, 2, (2, 8, 8), generator=g)
    ours = LovaszLoss(per_image=per_image)(xb, yb)
    ref = smp.losses.LovaszLoss("binary", per_image=per_image)(xb, yb)
    assert float(ours) == pytest.approx(float(ref), abs=1e-5)
    xm, ym = torch.randn(2, 3, 8, 8, generator=g), torch.randint(0, 3, (2, 8, 8), generator=g)
    ours = LovaszLoss(per_image=per_image, ignore_index=7)(xm, ym)
    ref = smp.losses.LovaszLoss("multiclass", per_image=per_image, ignore_index=7)(xm, ym)
    assert float(ours) == pytest.approx(float(ref), abs=1e-5)


def test_pixel_losses_hand_case_and_mask():
    a = torch.tensor([[[[0.0, 1.0], [0.5, 0.5]]]])
    b = torch.tensor([[[[1.0, 1.0], [0.0, 0.5]]]])
    assert float(MSELoss()(a, b)) == pytest.approx((1 + 0 + 0.25 + 0) / 4)
    assert float(L1Loss()(a, b)) == pytest.approx((1 + 0 + 0.5 + 0) / 4)
    m = torch.tensor([[[[0.0, 0.0], [1.0, 1.0]]]])
    assert float(L1Loss()(a, b, m)) == pytest.approx(0.25)
    with pytest.raises(ShapeError):
        MSELoss()(a, b[..., :1])


def test_perceptual_loss_on_a_known_feature_net():
    class Net(torch.nn.Module):
        def forward(self, x):
            return [x, F.avg_pool2d(x, 2)]

    loss = PerceptualLoss(Net(), normalize=False, layer_weights=[1.0, 2.0], layers=[0, 1])
    a = torch.zeros(1, 3, 4, 4)
    b = torch.zeros(1, 3, 4, 4)
    b[..., :2, :2] = 1.0  # level 0: 4 of 16 px differ by 1; level 1: 1 of 4 differ by 1
    assert float(loss(a, b)) == pytest.approx(0.25 + 2 * 0.25)
    assert float(loss(b, b)) == 0.0


def test_perceptual_loss_on_registry_backbone_with_real_weights():
    loss = PerceptualLoss("efficientnet_lite0", layers=[1, 2])
    img = torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    near = (img + 0.02 * torch.randn(img.shape, generator=torch.Generator().manual_seed(1))).clamp(
        0, 1
    )
    far = torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(2))
    assert float(loss(img, img)) == 0.0
    assert float(loss(near, img)) < float(loss(far, img))
    assert not any(p.requires_grad for p in loss.backbone.parameters())


def test_gan_losses_hand_values():
    r = torch.tensor([2.0, 0.0])
    f = torch.tensor([-1.0, 1.0])
    sp = F.softplus
    assert float(discriminator_loss("vanilla", r, f)) == pytest.approx(
        float(sp(-r).mean() + sp(f).mean())
    )
    assert float(discriminator_loss("lsgan", r, f)) == pytest.approx(
        0.5 * (1 + 1) / 2 + 0.5 * (1 + 1) / 2
    )
    assert float(discriminator_loss("hinge", r, f)) == pytest.approx((0 + 1) / 2 + (0 + 2) / 2)
    assert float(discriminator_loss("wgan", r, f)) == pytest.approx(0.0 - 1.0)
    assert float(discriminator_loss("relativistic", r, f)) == pytest.approx(
        (math.log1p(math.exp(-3)) + math.log1p(math.exp(1))) / 2
    )
    ragan = discriminator_loss("ragan", r, f)
    assert float(ragan) == pytest.approx(float(sp(-(r - 0)).mean() + sp(f - 1).mean()))
    assert float(generator_loss("vanilla", f)) == pytest.approx(float(sp(-f).mean()))
    assert float(generator_loss("lsgan", f)) == pytest.approx(0.5 * (4 + 0) / 2)
    assert float(generator_loss("hinge", f)) == pytest.approx(0.0)
    assert float(GANLoss("relativistic").generator(f, r)) == pytest.approx(
        (math.log1p(math.exp(3)) + math.log1p(math.exp(-1))) / 2
    )
    with pytest.raises(ShapeError):
        generator_loss("ragan", f)


def test_gradient_penalty_of_linear_critic():
    # D(x) = w·x has gradient w everywhere: penalty = λ (|w| - 1)^2
    w = torch.tensor([3.0, 4.0])
    gp = gradient_penalty(lambda x: x @ w, torch.randn(5, 2), torch.randn(5, 2), weight=10.0)
    assert float(gp) == pytest.approx(10 * (5 - 1) ** 2)


def test_combined_loss_parsing_and_value():
    assert parse_loss_expression("iou+dice+0.8*bce") == [(1.0, "iou"), (1.0, "dice"), (0.8, "bce")]
    assert parse_loss_expression(" ce + lovasz*0.5 ") == [(1.0, "ce"), (0.5, "lovasz")]
    for bad in ["", "iou++dice", "0.8*bce*2", "__import__('os')", "dice+dice"]:
        with pytest.raises(ParameterError):
            parse_loss_expression(bad)
    logits, target = _binary_case()
    loss = CombinedLoss("iou + dice + 0.8*bce", smooth=0)
    bce = float(F.binary_cross_entropy_with_logits(logits, target[:, None].float()))
    assert float(loss(logits, target)) == pytest.approx((1 - 1 / 3) + 0.5 + 0.8 * bce, abs=1e-5)
    assert set(loss.last_terms) == {"iou", "dice", "bce"}
    with pytest.raises(KeyError):
        CombinedLoss("dice + nope")


def test_registry_and_create_loss():
    assert {
        "dice",
        "jaccard",
        "bce",
        "ce",
        "focal",
        "lovasz",
        "tversky",
        "mse",
        "l1",
        "perceptual",
    } <= set(LOSSES.names())
    assert isinstance(create_loss("IoU"), JaccardLoss)
    ce = create_loss("ce", ignore_index=11, smooth=0)
    assert isinstance(ce, CrossEntropyLoss) and ce.ignore_index == 11


def test_bad_targets_raise_clear_errors():
    x = torch.randn(1, 3, 4, 4)
    with pytest.raises(ValueRangeError, match="class indices"):
        DiceLoss()(x, torch.full((1, 4, 4), 5))
    with pytest.raises(ShapeError, match="resize"):
        CrossEntropyLoss()(x, torch.zeros(1, 5, 4, dtype=torch.long))
    with pytest.raises(ValueRangeError, match="255"):
        DiceLoss()(torch.randn(1, 1, 2, 2), torch.full((1, 2, 2), 255))


def test_empty_mask_gives_finite_loss_and_gradient():
    x = torch.randn(1, 1, 4, 4, requires_grad=True)
    y = torch.zeros(1, 4, 4)
    loss = CombinedLoss("iou+dice+0.8*bce")(x, y)
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(x.grad).all()


def test_3d_volumes_work():
    g = torch.Generator().manual_seed(5)
    x, y = torch.randn(1, 2, 4, 6, 6, generator=g), torch.randint(0, 2, (1, 4, 6, 6), generator=g)
    ref = smp.losses.DiceLoss("multiclass")(x.flatten(3), y.flatten(2))
    assert float(DiceLoss(smooth=0)(x, y)) == pytest.approx(float(ref), abs=1e-5)


def test_r1_penalty_of_quadratic_critic():
    from oculi.train.losses import r1_penalty

    # D(x) = ½‖x‖² has gradient x: penalty = γ/2 · mean ‖x‖²
    x = torch.tensor([[3.0, 4.0], [0.0, 1.0]])
    r1 = r1_penalty(lambda v: 0.5 * (v**2).sum(1), x, weight=2.0)
    assert float(r1) == pytest.approx(0.5 * 2.0 * (25 + 1) / 2)
    r1.backward()  # differentiable in the critic's parameters (none here): no error


def test_feature_matching_loss_zero_for_equal_means_and_grad_only_to_fake():
    from oculi.train.losses import feature_matching_loss

    real = torch.tensor([[1.0, 0.0], [3.0, 2.0]], requires_grad=True)  # mean (2, 1)
    fake = torch.tensor([[2.0, 1.0], [2.0, 1.0]], requires_grad=True)
    assert float(feature_matching_loss(real, fake)) == pytest.approx(0.0)
    fake2 = torch.tensor([[0.0, 0.0], [0.0, 0.0]], requires_grad=True)
    loss = feature_matching_loss(real, fake2)
    assert float(loss) == pytest.approx(2**2 + 1**2)
    loss.backward()
    assert real.grad is None and fake2.grad is not None
    with pytest.raises(ShapeError):
        feature_matching_loss(real, torch.zeros(2, 3))
