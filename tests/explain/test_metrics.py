"""Faithfulness metrics against hand-computed values and pytorch-grad-cam's ROAD imputer."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from oculi.explain.metrics import (
    confidence_change,
    deletion_auc,
    evaluate,
    impute,
    insertion_auc,
    perturbation_curve,
    pointing_game,
    road,
)


class Bright(nn.Module):
    """Two classes; logit 1 = scale * mean brightness of the left half, logit 0 = 0."""

    def __init__(self, scale: float = 40.0) -> None:
        super().__init__()
        self.scale = scale

    def forward(self, x):
        left = x[:, :, :, : x.shape[-1] // 2].mean((1, 2, 3)) * self.scale
        return torch.stack([torch.zeros_like(left), left], 1)


def test_deletion_curve_by_hand() -> None:
    x = torch.ones(1, 3, 4, 4)
    m = torch.zeros(1, 4, 4)
    m[0, :, :2] = torch.arange(8, dtype=torch.float32).view(4, 2) + 10  # left half first
    frac, probs = perturbation_curve(Bright(), x, m, 1, mode="deletion", steps=4, fill="black")
    assert frac.tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    left_mean = torch.tensor([1.0, 0.5, 0.0, 0.0, 0.0])  # 4 of 8 left pixels per step
    expected = torch.sigmoid(40 * left_mean)
    assert torch.allclose(probs[0], expected, atol=1e-6)
    auc = deletion_auc(Bright(), x, m, 1, steps=4, fill="black")
    assert float(auc[0]) == pytest.approx(float(((expected[1:] + expected[:-1]) / 2).mean()))
    # the opposite order deletes the irrelevant right half first: a higher (worse) AUC
    assert float(deletion_auc(Bright(), x, -m, 1, steps=4, fill="black")[0]) > float(auc[0])


def test_insertion_starts_blurred_and_ends_at_the_image() -> None:
    x = torch.rand(2, 3, 16, 16)
    m = torch.rand(2, 16, 16)
    _, probs = perturbation_curve(Bright(), x, m, 1, mode="insertion", steps=8)
    with torch.no_grad():
        full = Bright()(x).softmax(1)[:, 1]
    assert torch.allclose(probs[:, -1], full, atol=1e-6)
    assert insertion_auc(Bright(), x, m, 1, steps=8).shape == (2,)


def test_average_drop_and_increase_by_hand() -> None:
    x = torch.ones(2, 3, 4, 4)
    maps = torch.stack([torch.full((4, 4), 0.5), torch.ones(4, 4)])
    drop, inc = confidence_change(Bright(), x, maps, 1)
    y = torch.sigmoid(torch.tensor(40.0))
    o = torch.sigmoid(torch.tensor(20.0))
    assert float(drop[0]) == pytest.approx(float((y - o) / y), abs=1e-6)
    assert float(drop[1]) == 0.0 and inc.tolist() == [0.0, 0.0]


def test_imputation_matches_pytorch_grad_cam() -> None:
    pgc_road = pytest.importorskip("pytorch_grad_cam.metrics.road")
    rng = np.random.default_rng(0)
    img = rng.random((3, 20, 24)).astype(np.float32)
    removed = rng.random((20, 24)) < 0.4
    ours = impute(img.astype(np.float64), removed, noise=0.0)
    ref = pgc_road.NoisyLinearImputer(noise=0.0)(torch.from_numpy(img),
                                                 torch.from_numpy(~removed).float()).numpy()
    assert np.abs(ours - ref).max() < 1e-5
    assert np.array_equal(ours[:, ~removed], img[:, ~removed])


def test_road_orders() -> None:
    x = torch.zeros(1, 3, 12, 12)
    x[..., :6] = 1  # a bright left half, a dark right half
    m = torch.zeros(1, 12, 12)
    m[0, :, :6] = 1 + torch.rand(12, 6)  # the left half (what Bright uses) is most relevant
    r = road(Bright(scale=4.0), x, m, 1, fractions=(0.25, 0.5), noise=0.0)
    # removing the right half (LeRF) imputes it from the bright border; the left is untouched
    assert float(r["lerf"][0]) == pytest.approx(float(torch.sigmoid(torch.tensor(4.0))))
    assert float(r["morf"][0]) < float(r["lerf"][0]) - 0.05 and float(r["road"][0]) > 0


def test_pointing_game() -> None:
    maps = torch.zeros(2, 50, 60)
    maps[0, 10, 20] = 1  # (x=20, y=10)
    maps[1, 40, 28] = 1  # (x=28, y=40): 12 px left of the second box
    boxes = [[15, 5, 30, 12], [[30, 0, 59, 20], [40, 30, 59, 49]]]
    assert pointing_game(maps, boxes, tolerance=0).tolist() == [True, False]
    assert pointing_game(maps, boxes, tolerance=15).tolist() == [True, True]


def test_evaluate_tiny(tiny) -> None:
    x = torch.rand(2, 3, 16, 16)
    r = evaluate("gradcam", tiny, x, layer="act2", steps=4, random_baseline=True,
                 boxes=[[0, 0, 15, 15]] * 2)
    assert len(r["per_image"]) == 2 and r["method"] == "gradcam"
    for key in ("deletion", "insertion", "road", "drop", "increase", "random_deletion"):
        assert 0 <= r["mean"][key] <= 1 or key == "road"
    assert r["mean"]["pointing"] == 1.0


def test_perturbation_curve_bad_settings() -> None:
    from oculi.core.errors import ParameterError

    x = torch.rand(1, 3, 8, 8)
    m = torch.rand(1, 8, 8)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(192, 3))
    with pytest.raises(ParameterError, match="mode"):
        perturbation_curve(model, x, m, 1, mode="delete")
    with pytest.raises(ParameterError, match="fill"):
        perturbation_curve(model, x, m, 1, fill="grey")
