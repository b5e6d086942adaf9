"""Metrics against hand-computed cases, torchmetrics, scikit-image and scipy."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
from scipy.spatial.distance import directed_hausdorff
from skimage.metrics import structural_similarity

from oculi.core.errors import ShapeError, ValueRangeError
from oculi.train.metrics import (
    BoundaryF1,
    ConfusionMatrix,
    ImageQuality,
    VolumeMetrics,
    dice_score,
    hausdorff_distance,
    mask_boundary,
    ms_ssim,
    psnr,
    ssim,
    surface_distances,
)

warnings.filterwarnings("ignore", category=FutureWarning)


def test_confusion_hand_case_with_ignore():
    target = torch.tensor([[0, 0, 1, 1, 2, 9]])
    pred = torch.tensor([[0, 1, 1, 1, 1, 0]])
    cm = ConfusionMatrix(3, ignore_index=9)
    cm.update(pred, target)
    r = cm.compute()
    # class 0: TP1 FP0 FN1 -> IoU 1/2, Dice 2/3; class 1: TP2 FP2 FN0 -> 1/2, 2/3; class 2: TP0 FN1 -> 0
    assert r["iou"] == pytest.approx([0.5, 0.5, 0.0])
    assert r["dice"] == pytest.approx([2 / 3, 2 / 3, 0.0])
    assert r["miou"] == pytest.approx(1 / 3)
    assert r["pixel_accuracy"] == pytest.approx(3 / 5)
    assert r["pixels"] == 5


def test_absent_class_is_left_out_of_the_mean():
    cm = ConfusionMatrix(3)
    cm.update(torch.tensor([[0, 1]]), torch.tensor([[0, 1]]))
    r = cm.compute()
    assert r["iou"] == [1.0, 1.0, None]
    assert r["miou"] == 1.0


def test_streaming_equals_one_shot_and_torchmetrics():
    from torchmetrics.classification import MulticlassF1Score, MulticlassJaccardIndex

    g = torch.Generator().manual_seed(0)
    logits = torch.randn(6, 5, 16, 16, generator=g)
    target = torch.randint(0, 5, (6, 16, 16), generator=g)
    target[:, :2] = 255
    stream = ConfusionMatrix(5, ignore_index=255)
    for i in range(0, 6, 2):
        stream.update(logits[i : i + 2], target[i : i + 2])
    once = ConfusionMatrix(5, ignore_index=255)
    once.update(logits, target)
    assert torch.equal(stream.matrix, once.matrix)
    jac = MulticlassJaccardIndex(5, average="none", ignore_index=255)(logits.argmax(1), target)
    f1 = MulticlassF1Score(5, average="none", ignore_index=255, multidim_average="global")(
        logits.argmax(1), target
    )
    r = stream.compute()
    assert r["iou"] == pytest.approx(jac.tolist(), abs=1e-6)
    assert r["dice"] == pytest.approx(f1.tolist(), abs=1e-6)
    assert r["miou"] == pytest.approx(float(jac.mean()), abs=1e-6)


def test_binary_logits_are_thresholded():
    cm = ConfusionMatrix(2)
    cm.update(torch.tensor([[[[3.0, -3.0]]]]), torch.tensor([[[1, 1]]]))
    assert cm.matrix.tolist() == [[0, 0], [1, 1]]


def test_confusion_bad_input():
    cm = ConfusionMatrix(3)
    with pytest.raises(ShapeError, match="same size"):
        cm.update(torch.zeros(1, 4, 4, dtype=torch.long), torch.zeros(1, 4, 5, dtype=torch.long))
    with pytest.raises(ValueRangeError, match="declare more classes"):
        cm.update(torch.zeros(1, 2, dtype=torch.long), torch.tensor([[0, 7]]))


def test_boundary_of_a_square_and_bf1_hand_case():
    m = np.zeros((6, 8), bool)
    m[1:5, 1:5] = True
    b = mask_boundary(m)
    assert b.sum() == 12 and not b[2:4, 2:4].any()
    target = torch.from_numpy(m.astype(np.int64))[None]
    shifted = torch.roll(target, 1, dims=2)  # the square one pixel to the right
    bf = BoundaryF1(2, tolerance=0, classes=[1])
    bf.update(shifted, target)
    r = bf.compute()
    # exact matches only: predicted boundary cols 2..5 rows 1..4: hits are the top/bottom rows'
    # pixels at cols 2..4 (6) -> precision 6/12; recall likewise 6/12
    assert r["precision"][0] == pytest.approx(0.5)
    assert r["recall"][0] == pytest.approx(0.5)
    bf1 = BoundaryF1(2, tolerance=1, classes=[1])
    bf1.update(shifted, target)
    assert bf1.compute()["bf1"] == pytest.approx(1.0)


def test_boundary_f1_empty_prediction_scores_zero():
    target = torch.zeros(1, 8, 8, dtype=torch.long)
    target[0, 2:6, 2:6] = 1
    bf = BoundaryF1(2, classes=[1])
    bf.update(torch.zeros_like(target), target)
    assert bf.compute()["bf1"] == 0.0


def test_volume_dice_and_hd95_hand_case_with_spacing():
    a = np.zeros((4, 10, 10), bool)
    a[1:3, 2:6, 2:6] = True
    b = np.zeros_like(a)
    b[1:3, 2:6, 4:8] = True  # shifted 2 voxels along x
    assert dice_score(a, b) == pytest.approx(2 * 16 / 64)
    # every voxel of these thin slabs is on the surface; max distance = 2 voxels along x
    assert hausdorff_distance(a, b, spacing=(5.0, 1.0, 0.5), percentile=100) == pytest.approx(1.0)
    assert hausdorff_distance(a, b, spacing=(5.0, 1.0, 1.0), percentile=100) == pytest.approx(2.0)
    hd95 = hausdorff_distance(a, b, spacing=(1.0, 1.0, 1.0))
    d = np.concatenate([surface_distances(a, b), surface_distances(b, a)])
    assert 0 < hd95 <= 2.0 and hd95 == pytest.approx(np.percentile(surface_distances(a, b), 95))
    assert d.max() == 2.0


def test_hausdorff_100_matches_scipy():
    rng = np.random.default_rng(0)
    a = np.zeros((20, 20), bool)
    b = np.zeros((20, 20), bool)
    a[3:12, 4:15] = True
    b[5:16, 2:11] = True
    a[rng.integers(0, 20, 5), rng.integers(0, 20, 5)] = True
    from oculi.train.metrics import surface

    pa, pb = np.argwhere(surface(a)), np.argwhere(surface(b))
    ref = max(directed_hausdorff(pa, pb)[0], directed_hausdorff(pb, pa)[0])
    assert hausdorff_distance(a, b, percentile=100) == pytest.approx(ref)


def test_volume_empty_masks_and_streaming():
    z = np.zeros((3, 4, 4), np.int64)
    one = z.copy()
    one[1, 1:3, 1:3] = 1
    assert dice_score(z, z) == 1.0 and hausdorff_distance(z, z) == 0.0
    assert dice_score(z, one) == 0.0 and math.isinf(hausdorff_distance(z, one))
    vm = VolumeMetrics(2)
    vm.update(one, one, spacing=(2, 1, 1))
    vm.update(z, one)
    r = vm.compute()
    assert r["dice"] == [0.5] and r["hd95"] == [0.0] and r["volumes"] == 2
    with pytest.raises(ValueRangeError):
        vm.update(one, one, spacing=(1, 1))


def test_psnr_hand_case_and_torchmetrics():
    from torchmetrics.functional.image import peak_signal_noise_ratio

    a = torch.zeros(1, 1, 4, 4)
    b = torch.full((1, 1, 4, 4), 0.1)
    assert float(psnr(a, b)[0]) == pytest.approx(20.0, abs=1e-4)  # 10 log10(1 / 0.01)
    g = torch.Generator().manual_seed(0)
    x = torch.rand(3, 3, 32, 32, generator=g)
    y = (x + 0.05 * torch.randn(x.shape, generator=g)).clamp(0, 1)
    ref = peak_signal_noise_ratio(y, x, data_range=1.0, reduction="none", dim=(1, 2, 3))
    assert psnr(y, x).tolist() == pytest.approx(ref.tolist(), abs=1e-4)


def test_ssim_matches_skimage_and_torchmetrics():
    from torchmetrics.functional.image import structural_similarity_index_measure

    g = torch.Generator().manual_seed(1)
    x = torch.rand(2, 1, 48, 48, generator=g, dtype=torch.float64)
    y = (x + 0.1 * torch.randn(x.shape, generator=g, dtype=torch.float64)).clamp(0, 1)
    ours = ssim(x, y)
    for i in range(2):
        ref = structural_similarity(
            x[i, 0].numpy(),
            y[i, 0].numpy(),
            gaussian_weights=True,
            sigma=1.5,
            use_sample_covariance=False,
            data_range=1.0,
        )
        assert float(ours[i]) == pytest.approx(ref, abs=1e-6)
    tm = structural_similarity_index_measure(y, x, data_range=1.0, reduction="none")
    assert ours.tolist() == pytest.approx(tm.tolist(), abs=3e-3)
    assert float(ssim(x, x)[0]) == pytest.approx(1.0)


@pytest.mark.parametrize("size", [(176, 176), (181, 237)])
def test_ms_ssim_matches_torchmetrics(size):
    """The smallest size MS-SSIM takes (11 * 2^4: one window at the coarsest scale) and one
    not divisible by 16. torchmetrics reflect-pads and averages the padded border into its SSIM
    term, hence the tolerance."""
    from torchmetrics.functional.image import multiscale_structural_similarity_index_measure

    g = torch.Generator().manual_seed(2)
    x = torch.rand(2, 3, *size, generator=g)
    y = (x + 0.1 * torch.randn(x.shape, generator=g)).clamp(0, 1)
    ref = multiscale_structural_similarity_index_measure(y, x, data_range=1.0, reduction="none")
    assert ms_ssim(x, y).tolist() == pytest.approx(ref.tolist(), abs=1e-3)
    assert float(ms_ssim(x, x)[0]) == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize("side", [100, 161, 175])
def test_ms_ssim_too_small_is_a_shape_error(side):
    """161..175 px pass torchmetrics' check (it pads) but leave fewer than 11 px at the
    coarsest scale: a ShapeError naming the limit, not a conv2d RuntimeError."""
    from oculi.train.metrics.image import MS_SSIM_MIN_SIDE

    assert MS_SSIM_MIN_SIDE == 176
    x = torch.rand(1, 1, side, 200)
    with pytest.raises(ShapeError, match="176"):
        ms_ssim(x, x)


def test_ssim_filter_paths_agree_and_carry_gradients():
    """CPU tensors outside autograd are filtered with OpenCV, others with conv2d: same values;
    float64 inputs give float64 scores."""
    g = torch.Generator().manual_seed(3)
    x = torch.rand(1, 3, 180, 190, generator=g, dtype=torch.float64)
    y = (x + 0.1 * torch.randn(x.shape, generator=g, dtype=torch.float64)).clamp(0, 1)
    xg = x.clone().requires_grad_()
    for fn in (ssim, ms_ssim):
        fast, slow = fn(x, y), fn(xg, y)
        assert fast.dtype == torch.float64 and fn(x.float(), y.float()).dtype == torch.float32
        assert torch.allclose(fast, slow.detach(), rtol=0, atol=1e-12)
    ssim(xg, y).sum().backward()
    assert xg.grad is not None and bool(xg.grad.abs().sum() > 0)


def test_image_quality_streaming_mean():
    a = torch.zeros(2, 1, 16, 16)
    b = torch.full((2, 1, 16, 16), 0.1)
    iq = ImageQuality()
    iq.update(a[:1], b[:1])
    iq.update(a[1:], b[1:])
    r = iq.compute()
    assert r["psnr"] == pytest.approx(20.0, abs=1e-4) and r["images"] == 2


def test_threshold_sweep_matches_sklearn_and_streams() -> None:
    from sklearn.metrics import f1_score, precision_score, recall_score

    from oculi.core.errors import ShapeError, ValueRangeError
    from oculi.train.metrics import ThresholdSweep

    g = torch.Generator().manual_seed(0)
    y = (torch.rand(2, 40, 30, generator=g) > 0.7).long()
    s = (0.6 * y + 0.6 * torch.rand(2, 40, 30, generator=g)).clamp(0, 1)
    s[0, 0, :5] = 0.5  # scores exactly on a threshold: not above it
    y[1, 0, :7] = 255
    sweep = ThresholdSweep(ignore_index=255)
    for i in range(2):  # streaming: one image at a time
        sweep.update(s[i], y[i])
    r = sweep.compute()
    keep = y != 255
    yk, sk = y[keep].numpy(), s[keep].numpy()
    for k in (10, 50, 73):
        t = r["thresholds"][k]
        pred = sk > t
        assert r["f1"][k] == pytest.approx(f1_score(yk, pred), abs=1e-12)
        assert r["precision"][k] == pytest.approx(precision_score(yk, pred), abs=1e-12)
        assert r["recall"][k] == pytest.approx(recall_score(yk, pred), abs=1e-12)
    assert r["max_f1"] == pytest.approx(max(f1_score(yk, sk > t) for t in r["thresholds"]))
    assert r["positives"] + r["negatives"] == keep.sum()
    with pytest.raises(ShapeError):
        sweep.update(s[0], y[0, :3])
    with pytest.raises(ValueRangeError, match="0/1"):
        sweep.update(s[0], y[0] * 2)
    with pytest.raises(ValueRangeError, match="increasing"):
        ThresholdSweep([0.5, 0.2])
