"""FID / KID / precision-recall of oculi.generate.metrics against torchmetrics and brute force;
the generator scores on real digits with a small cached LeNet feature network."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from oculi.core.errors import DataError, OculiError, ShapeError
from oculi.generate.metrics import (
    class_accuracy,
    frechet_distance,
    kernel_distance,
    mode_coverage,
    precision_recall,
)


class _Features(nn.Module):
    """A fixed feature extractor for torchmetrics: a random linear map of the flattened input."""

    def __init__(self, d_in: int, d_out: int) -> None:
        super().__init__()
        self.num_features = d_out
        self.proj = torch.randn(d_in, d_out, generator=torch.Generator().manual_seed(3),
                                dtype=torch.float64)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.flatten(1).double() @ self.proj


def _sets(rng, n=400, d=8, shift=0.0):
    a = rng.normal(size=(n, d))
    b = rng.normal(size=(n + 37, d)) * 1.3 + shift
    return a, b


def test_frechet_of_a_set_with_itself_is_zero(rng):
    a, _ = _sets(rng)
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-8)


def test_frechet_equals_torchmetrics_fid_with_the_same_feature_extractor(rng):
    from torchmetrics.image.fid import FrechetInceptionDistance

    images_a = torch.from_numpy(rng.normal(size=(300, 2, 3, 3)))
    images_b = torch.from_numpy(rng.normal(size=(250, 2, 3, 3)) * 0.8 + 0.3)
    extractor = _Features(18, 10)
    fid = FrechetInceptionDistance(feature=extractor)
    fid.update(images_a, real=True)
    fid.update(images_b, real=False)
    expected = float(fid.compute())
    ours = frechet_distance(extractor(images_a), extractor(images_b))
    assert expected > 1.0
    assert ours == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("subset_size", [60, 250])
def test_kid_equals_torchmetrics_kid_on_the_same_subsets(rng, subset_size):
    from torchmetrics.image.kid import KernelInceptionDistance

    images_a = torch.from_numpy(rng.normal(size=(300, 2, 3, 3)))
    images_b = torch.from_numpy(rng.normal(size=(250, 2, 3, 3)) * 0.8 + 0.3)
    extractor = _Features(18, 10)
    kid = KernelInceptionDistance(feature=extractor, subsets=7, subset_size=subset_size)
    kid.update(images_a, real=True)
    kid.update(images_b, real=False)
    torch.manual_seed(11)  # torchmetrics draws its subsets from the global generator
    mean, std = (float(v) for v in kid.compute())
    ours = kernel_distance(extractor(images_a), extractor(images_b), subsets=7,
                           subset_size=subset_size, seed=11)
    assert mean > 0.01
    assert ours == pytest.approx((mean, std), rel=1e-6)


def _brute_precision_recall(real, fake, k):
    def radii(x):
        return [sorted(np.linalg.norm(x - p, axis=1))[k] for p in x]

    def coverage(query, centres, r):
        return np.mean([any(np.linalg.norm(q - c) <= rc for c, rc in zip(centres, r, strict=True))
                        for q in query])

    return coverage(fake, real, radii(real)), coverage(real, fake, radii(fake))


@pytest.mark.parametrize("k", [1, 3])
def test_precision_recall_equal_brute_force(rng, k):
    real = rng.normal(size=(120, 5))
    fake = rng.normal(size=(90, 5)) * 0.6 + 0.7  # narrower and shifted: precision != recall
    ours = precision_recall(real, fake, k=k, chunk=17)
    expected = _brute_precision_recall(real, fake, k)
    assert ours == pytest.approx(expected, abs=1e-12)
    assert ours[0] != ours[1]


def test_a_shifted_distribution_scores_worse(rng):
    a, near = _sets(rng, shift=0.2)
    _, far = _sets(rng, shift=1.5)
    assert frechet_distance(a, far) > frechet_distance(a, near) > 0
    assert kernel_distance(a, far, subsets=10)[0] > kernel_distance(a, near, subsets=10)[0]
    p_near, r_near = precision_recall(a, near)
    p_far, r_far = precision_recall(a, far)
    assert p_far < p_near and r_far < r_near


@pytest.mark.parametrize("fn", [frechet_distance, kernel_distance, precision_recall])
def test_bad_features_are_oculi_errors(rng, fn):
    a = rng.normal(size=(50, 4))
    bad = a.copy()
    bad[3, 1] = np.nan
    with pytest.raises(DataError, match="NaN"):
        fn(a, bad)
    with pytest.raises(ShapeError, match="feature sizes differ"):
        fn(a, rng.normal(size=(50, 5)))
    with pytest.raises(ShapeError, match=r"\(N, D\)"):
        fn(a, rng.normal(size=(50, 4, 1)))
    with pytest.raises(OculiError):
        fn(a[:1], a)


def test_frechet_needs_more_samples_than_dimensions(rng):
    with pytest.raises(DataError, match="more samples than dimensions"):
        frechet_distance(rng.normal(size=(10, 16)), rng.normal(size=(100, 16)))


def test_class_accuracy_and_mode_coverage():
    pred = np.array([0, 0, 1, 1, 1, 2, 2, 2, 2, 2])
    want = np.array([0, 1, 1, 1, 1, 2, 2, 2, 0, 2])
    acc = class_accuracy(pred, want, num_classes=3)
    assert acc["class_accuracy"] == pytest.approx(0.8)
    assert acc["per_class"] == pytest.approx([0.5, 0.75, 1.0])
    cov = mode_coverage(pred, num_classes=4)  # class 3 never appears
    assert cov["mode_coverage"] == pytest.approx(0.75)
    shares = np.array([0.2, 0.3, 0.5])
    assert cov["class_entropy"] == pytest.approx(-(shares * np.log(shares)).sum() / np.log(4))
    assert mode_coverage(np.zeros(50, int))["class_entropy"] == 0.0
    with pytest.raises(DataError, match="labels"):
        class_accuracy(pred, want + 5, num_classes=3)
