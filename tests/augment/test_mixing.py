"""CutMix / MixUp: label mixing against timm, pixel/label consistency, statistics, bad inputs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from oculi.augment import Mixer, cutmix, cutmix_box, mixup, to_soft_targets
from oculi.core.errors import DTypeError, ParameterError, ShapeError


def _reference_target(t: torch.Tensor, k: int, lam: float, smoothing: float) -> torch.Tensor:
    """timm's ``mixup_target`` written out: smoothed one-hot mixed with its batch reversal."""
    off = smoothing / k
    y = torch.full((t.numel(), k), off).scatter_(1, t.view(-1, 1), 1.0 - smoothing + off)
    return y * lam + y.flip(0) * (1.0 - lam)


def _id_images(n: int, h: int = 16, w: int = 20) -> torch.Tensor:
    """Image i is filled with the value i (one channel) so a pixel tells where it came from."""
    return torch.arange(n, dtype=torch.float32).view(n, 1, 1, 1).expand(n, 2, h, w).clone()


def _own_fraction(mixed: torch.Tensor) -> np.ndarray:
    n = mixed.shape[0]
    own = mixed[:, 0] == torch.arange(n, dtype=torch.float32).view(n, 1, 1)
    return own.float().mean(dim=(1, 2)).numpy()


@pytest.mark.parametrize("smoothing", [0.0, 0.1, 0.3])
def test_soft_targets_match_reference_one_hot(smoothing: float) -> None:
    t = torch.tensor([0, 3, 2, 9, 3])
    ours = to_soft_targets(t, 10, label_smoothing=smoothing)
    ref = _reference_target(t, 10, lam=1.0, smoothing=smoothing)
    torch.testing.assert_close(ours, ref, atol=1e-7, rtol=0)


@pytest.mark.parametrize("lam", [0.0, 0.3, 0.75, 1.0])
def test_mixup_matches_reference_targets_and_blends_pixels(lam: float) -> None:
    g = torch.Generator().manual_seed(1)
    x = torch.rand(6, 3, 8, 8, generator=g)
    t = torch.tensor([1, 0, 4, 4, 2, 3])
    before = x.clone()
    mixed, soft = mixup(x, t, lam=lam, num_classes=5, label_smoothing=0.1)
    ref = _reference_target(t, 5, lam=lam, smoothing=0.1)
    torch.testing.assert_close(soft, ref, atol=1e-6, rtol=0)
    torch.testing.assert_close(mixed, lam * x + (1 - lam) * x.flip(0), atol=1e-6, rtol=0)
    assert torch.equal(x, before)  # the input is not modified


def test_cutmix_label_weight_equals_kept_area() -> None:
    g = torch.Generator().manual_seed(0)
    for _ in range(20):
        x = _id_images(6)
        mixed, soft = cutmix(x, torch.arange(6), num_classes=6, generator=g, pairing="random")
        own = _own_fraction(mixed)
        diag = soft.diagonal().numpy()
        # own class weight == fraction of pixels kept (self-pairs keep everything: weight 1)
        np.testing.assert_allclose(diag, own, atol=1e-6)
        assert torch.allclose(soft.sum(1), torch.ones(6))


def test_cutmix_box_geometry_and_correction() -> None:
    g = torch.Generator().manual_seed(3)
    for lam in (0.0, 0.2, 0.5, 0.9):
        (y0, y1, x0, x1), lc = cutmix_box((40, 50), lam, generator=g)
        assert 0 <= y0 <= y1 <= 40
        assert 0 <= x0 <= x1 <= 50
        assert lc == pytest.approx(1 - (y1 - y0) * (x1 - x0) / 2000)
        assert lc >= lam - 1e-9  # clipping only shrinks the box
    (y0, y1, x0, x1), lc = cutmix_box((40, 50), 0.0, minmax=(0.2, 0.4), generator=g)
    assert 8 <= y1 - y0 < 16
    assert 10 <= x1 - x0 < 20
    assert y1 <= 40
    assert x1 <= 50
    # lam = 0 without clipping would paste the whole image
    (y0, y1, x0, x1), lc = cutmix_box((40, 50), 0.0, generator=g)
    assert lc >= 0.0


def test_cutmix_uncorrected_uses_given_lam() -> None:
    x = _id_images(4)
    _, soft = cutmix(x, torch.arange(4), lam=0.4, num_classes=4, correct_lam=False)
    np.testing.assert_allclose(soft.diagonal().numpy(), 0.4, atol=1e-6)


@pytest.mark.parametrize("mode", ["batch", "elem"])
def test_mixer_targets_consistent_with_pixels(mode: str) -> None:
    mixer = Mixer(
        mixup_alpha=0.0, cutmix_alpha=1.0, label_smoothing=0.0, num_classes=8, mode=mode, seed=5
    )
    for _ in range(10):
        mixed, soft = mixer(_id_images(8), torch.arange(8))
        np.testing.assert_allclose(soft.diagonal().numpy(), _own_fraction(mixed), atol=1e-6)
        np.testing.assert_allclose(soft.diagonal().numpy(), mixer.last.lam * (8 // len(mixer.last.lam)))


def test_mixer_seeded_reproducible_and_different_seeds_differ() -> None:
    x = torch.rand(4, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    t = torch.tensor([0, 1, 2, 3])
    a = Mixer(num_classes=4, seed=11)
    b = Mixer(num_classes=4, seed=11)
    c = Mixer(num_classes=4, seed=12)
    outs_a = [a(x, t) for _ in range(5)]
    outs_b = [b(x, t) for _ in range(5)]
    outs_c = [c(x, t) for _ in range(5)]
    for (ia, ta), (ib, tb) in zip(outs_a, outs_b, strict=True):
        assert torch.equal(ia, ib)
        assert torch.equal(ta, tb)
    assert any(not torch.equal(ta, tc) for (_, ta), (_, tc) in zip(outs_a, outs_c, strict=True))


def test_mixer_switch_probability_and_beta_statistics() -> None:
    x = torch.zeros(2, 1, 8, 8)
    t = torch.tensor([0, 1])
    mixer = Mixer(mixup_alpha=0.8, cutmix_alpha=1.0, switch_prob=0.3, num_classes=2, seed=0)
    methods = []
    mix_lams = []
    for _ in range(1500):
        mixer(x, t)
        methods.append(mixer.last.method[0])
        if mixer.last.method[0] == "mixup":
            mix_lams.append(mixer.last.lam[0])
    frac_cut = methods.count("cutmix") / len(methods)
    assert abs(frac_cut - 0.3) < 0.04
    lam = np.array(mix_lams)
    # Beta(a, a): mean 1/2, variance 1 / (4 (2a + 1))
    assert abs(lam.mean() - 0.5) < 0.02
    assert abs(lam.var() - 1 / (4 * 2.6)) < 0.01


def test_mixer_prob_zero_and_prob_rate() -> None:
    x = torch.rand(3, 3, 8, 8)
    t = torch.tensor([2, 0, 1])
    off = Mixer(prob=0.0, num_classes=3, label_smoothing=0.1, seed=0)
    out, soft = off(x, t)
    assert torch.equal(out, x)
    torch.testing.assert_close(soft, _reference_target(t, 3, lam=1.0, smoothing=0.1))
    half = Mixer(prob=0.4, num_classes=3, seed=1)
    applied = 0
    for _ in range(1000):
        half(x, t)
        applied += half.last.method[0] != "none"
    assert abs(applied / 1000 - 0.4) < 0.05


def test_soft_input_targets_and_mixup_convexity() -> None:
    g = torch.Generator().manual_seed(2)
    x = torch.rand(5, 3, 8, 8, generator=g)
    soft_in = torch.softmax(torch.randn(5, 7, generator=g), dim=1)
    mixed, soft = mixup(x, soft_in, alpha=0.4, generator=g, label_smoothing=0.2)
    assert soft.shape == (5, 7)
    torch.testing.assert_close(soft.sum(1), torch.ones(5))
    assert float(mixed.min()) >= 0.0
    assert float(mixed.max()) <= 1.0


def test_explicit_index() -> None:
    x = _id_images(3)
    mixed, soft = mixup(x, torch.arange(3), lam=0.25, num_classes=3, index=torch.tensor([1, 2, 0]))
    torch.testing.assert_close(mixed[:, 0, 0, 0], torch.tensor([0.75, 1.75, 0.5]))
    assert float(soft[0, 1]) == pytest.approx(0.75)


def test_bad_inputs() -> None:
    x = torch.rand(4, 3, 8, 8)
    with pytest.raises(ParameterError, match="num_classes"):
        mixup(x, torch.arange(4), lam=0.5)
    with pytest.raises(ShapeError, match="one per image"):
        mixup(x, torch.arange(3), lam=0.5, num_classes=4)
    with pytest.raises(ParameterError, match="class indices"):
        mixup(x, torch.tensor([0, 1, 2, 9]), lam=0.5, num_classes=4)
    with pytest.raises(DTypeError):
        mixup((x * 255).to(torch.uint8), torch.arange(4), lam=0.5, num_classes=4)
    with pytest.raises(DTypeError, match="integer class indices"):
        mixup(x, torch.rand(4), lam=0.5, num_classes=4)
    with pytest.raises(ShapeError):
        mixup(x[0], torch.arange(4), lam=0.5, num_classes=4)
    with pytest.raises(ShapeError, match="classes"):
        mixup(x, torch.rand(4, 5), lam=0.5, num_classes=4)
    with pytest.raises(ParameterError, match="lam"):
        cutmix(x, torch.arange(4), lam=1.5, num_classes=4)
    with pytest.raises(ParameterError, match="alpha"):
        mixup(x, torch.arange(4), alpha=0.0, num_classes=4)
    with pytest.raises(ParameterError, match="both are 0"):
        Mixer(mixup_alpha=0.0, cutmix_alpha=0.0)
    with pytest.raises(ParameterError, match="switch_prob"):
        Mixer(switch_prob=1.5)
    with pytest.raises(ParameterError, match="label_smoothing"):
        Mixer(label_smoothing=1.0)
    with pytest.raises(ParameterError, match="mode"):
        Mixer(mode="pair")


@pytest.mark.gpu
def test_mixer_on_cuda_matches_cpu() -> None:
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    x = torch.rand(6, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    t = torch.tensor([0, 1, 2, 3, 4, 5])
    for mode in ("batch", "elem"):
        cpu = Mixer(num_classes=6, mode=mode, seed=4)(x, t)
        gpu = Mixer(num_classes=6, mode=mode, seed=4)(x.cuda(), t.cuda())
        assert gpu[0].device.type == "cuda"
        torch.testing.assert_close(gpu[0].cpu(), cpu[0])
        torch.testing.assert_close(gpu[1].cpu(), cpu[1])


def test_soft_targets_work_with_torch_cross_entropy() -> None:
    logits = torch.randn(8, 5, generator=torch.Generator().manual_seed(0))
    _, soft = Mixer(num_classes=5, seed=0)(torch.rand(8, 3, 8, 8), torch.arange(8) % 5)
    ours = torch.sum(-soft * torch.log_softmax(logits, 1), 1).mean()
    torch.testing.assert_close(torch.nn.functional.cross_entropy(logits, soft), ours)


@pytest.mark.slow
@pytest.mark.parametrize("lam", [0.0, 0.35, 1.0])
def test_targets_identical_to_timm(lam: float) -> None:
    timm_mixup = pytest.importorskip("timm.data.mixup")
    t = torch.tensor([1, 0, 4, 4, 2, 3, 0])
    for smoothing in (0.0, 0.1):
        _, ours = mixup(torch.rand(7, 3, 4, 4), t, lam=lam, num_classes=5,
                        label_smoothing=smoothing)
        ref = timm_mixup.mixup_target(t, 5, lam=lam, smoothing=smoothing)
        torch.testing.assert_close(ours, ref, atol=1e-7, rtol=0)
