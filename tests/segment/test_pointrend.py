"""PointRend: uncertain-point sampling, subdivision, the point head learning a shape, the
architecture through the segmentation task and CLI; the per-image boundary F1."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import yaml
from typer.testing import CliRunner

from oculi.core.errors import ParameterError
from oculi.segment import create_segmenter, rebuild, write_shapes
from oculi.segment.pointrend import (
    PointHead,
    point_loss,
    point_sample,
    sample_points,
    subdivide,
    uncertain_pixels,
    uncertainty,
)
from oculi.train.metrics import BoundaryF1


def _band_logits(h: int = 32, w: int = 32) -> torch.Tensor:
    """One sigmoid channel: 8 everywhere except a vertical band (x in [0.5, 0.625)) at 0."""
    logits = torch.full((1, 1, h, w), 8.0)
    logits[..., w // 2 : w // 2 + w // 8] = 0.0
    return logits


def test_uncertainty_is_the_margin():
    two = torch.tensor([[[1.0]], [[3.0]], [[2.5]]])[None]  # (1, 3, 1, 1): top1 3, top2 2.5
    assert float(uncertainty(two)) == pytest.approx(-0.5)
    assert float(uncertainty(torch.tensor([[[[-2.0]]]]))) == pytest.approx(-2.0)


def test_sample_points_keeps_the_most_uncertain():
    g = torch.Generator().manual_seed(0)
    coarse = _band_logits()
    pts = sample_points(coarse, 200, oversample=6, importance=1.0, generator=g)
    assert pts.shape == (1, 200, 2)
    x = pts[0, :, 0]
    # the band covers 1/8 of the width, 6 x 200 candidates: ~150 fall in it, all of them kept;
    # the rest are the next most uncertain (nearest the band: bilinear ramps on its two sides)
    inside = ((x >= 0.5) & (x < 0.625)).float().mean()
    assert inside > 0.6
    # the same candidates again: the kept ones are exactly the 200 most uncertain of the 1200
    cand = torch.rand(1, 1200, 2, generator=torch.Generator().manual_seed(0))
    unc = uncertainty(point_sample(coarse, cand))[0]
    kept = uncertainty(point_sample(coarse, pts))[0]
    assert torch.allclose(kept.sort().values, unc.topk(200).values.sort().values)
    g = torch.Generator().manual_seed(0)
    mixed = sample_points(coarse, 200, oversample=6, importance=0.5, generator=g)
    far = ((mixed[0, :, 0] - 0.5625).abs() > 0.2).float().sum()
    # the 100 uniform points: about 60 % of the width lies further than 0.2 from the band
    assert 35 <= far <= 85
    with pytest.raises(ParameterError, match="importance"):
        sample_points(coarse, 10, importance=1.5)


def test_uncertain_pixels_and_point_sample_agree():
    logits = torch.randn(2, 1, 5, 7, generator=torch.Generator().manual_seed(1))
    idx, coords = uncertain_pixels(logits, 6)
    want = logits.abs().reshape(2, -1).argsort(dim=1)[:, :6]
    assert torch.equal(idx.sort(dim=1).values, want.sort(dim=1).values)
    # the coordinates are the pixel centres: sampling there gives the pixels' own values
    at = point_sample(logits, coords)[:, 0]
    assert torch.allclose(at, logits.reshape(2, -1).gather(1, idx), atol=1e-5)


def test_subdivide_reaches_the_output_size_and_rewrites_count_pixels():
    coarse = torch.randn(1, 3, 5, 6, generator=torch.Generator().manual_seed(2))
    calls = []

    def predict(coords, at):
        calls.append(coords.shape[1])
        return torch.full_like(at, 50.0) * torch.tensor([1.0, 0.0, 0.0])[None, :, None]

    out = subdivide(coarse, (37, 45), predict, count=20)
    assert out.shape == (1, 3, 37, 45)
    # 5x6 -> 10x12 -> 20x24 -> 37x45: three steps of 20 points
    assert calls == [20, 20, 20]
    # the last step's 20 points carry the head's value exactly
    assert int((out[0, 0] == 50.0).sum()) >= 20
    same = subdivide(torch.zeros(1, 1, 4, 4), (4, 4), lambda c, a: a + 1.0, count=3)
    assert same.shape == (1, 1, 4, 4) and int((same == 1.0).sum()) == 3


def test_point_head_learns_a_disc():
    torch.manual_seed(0)
    head = PointHead(fine_channels=2, classes=1, hidden=32, layers=3)
    opt = torch.optim.Adam(head.parameters(), lr=1e-2)
    target = torch.zeros(1, 64, 64, dtype=torch.long)
    yy, xx = torch.meshgrid(torch.arange(64), torch.arange(64), indexing="ij")
    target[0][(xx - 32) ** 2 + (yy - 32) ** 2 < 20**2] = 1
    for _ in range(300):
        coords = torch.rand(1, 256, 2)
        logits = head(coords.permute(0, 2, 1) * 2 - 1, torch.zeros(1, 1, 256))
        loss = point_loss(logits, coords, target)
        opt.zero_grad()
        loss.backward()
        opt.step()
    coords = torch.rand(1, 2000, 2, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        pred = head(coords.permute(0, 2, 1) * 2 - 1, torch.zeros(1, 1, 2000))[0, 0] > 0
    truth = point_sample(target[:, None].float(), coords, mode="nearest")[0, 0] > 0.5
    assert float((pred == truth).float().mean()) > 0.95


def test_point_loss_leaves_out_ignored_points():
    target = torch.tensor([[[0, 1], [255, 255]]])
    coords = torch.tensor([[[0.25, 0.25], [0.75, 0.25], [0.25, 0.75]]])
    logits = torch.tensor([[[0.0, 0.0, 100.0], [2.0, 0.0, -100.0], [0.0, 2.0, 0.0]]])
    got = point_loss(logits, coords, target, ignore_index=255)
    want = torch.nn.functional.cross_entropy(logits[0, :, :2].T, torch.tensor([0, 1]))
    assert float(got) == pytest.approx(float(want))


def test_pointrend_architecture_shapes_and_rebuild():
    model = create_segmenter("pointrend", num_classes=3, pretrained=False, points=64,
                             subdivision_points=50, decoder_channels=[32, 16, 16, 8, 8])
    x = torch.rand(2, 3, 64, 64)
    out = model.train()(x)
    assert out["out"].shape == (2, 3, 64, 64)
    assert out["point_logits"].shape == (2, 3, 64) and out["point_coords"].shape == (2, 64, 2)
    assert model.eval()(x).shape == (2, 3, 64, 64)
    again = rebuild(model.config())
    assert again.net.points == 64 and again.net.subdivision_points == 50
    fpn = create_segmenter("pointrend", base="fpn", num_classes=2, pretrained=False).eval()
    assert fpn(x).shape == (2, 1, 64, 64)  # FPN's quarter-resolution logits subdivided x4
    with pytest.raises(ParameterError, match="smp"):
        create_segmenter("pointrend", base="enet", pretrained=False)


def test_train_and_eval_pointrend_through_the_cli(tmp_path):
    from oculi.cli.main import app

    torch.set_num_threads(1)
    data = write_shapes(tmp_path / "shapes", 8, 64, seed=0)
    cfg = tmp_path / "run.yaml"
    cfg.write_text(yaml.safe_dump({
        "model": "pointrend", "epochs": 3, "batch_size": 6, "lr": 0.01, "image_size": 64,
        "scale_min": 0.9, "monitor": "val_loss", "warmup_epochs": 0.0, "schedule": "constant",
        "threads": 1, "val_split": 0.25, "loss": "ce+dice", "repeat": 2, "pretrained": False,
        "arch_options": {"decoder_channels": [32, 16, 16, 8, 8], "points": 128,
                         "subdivision_points": 256},
    }))
    runner = CliRunner()
    res = runner.invoke(app, ["train", "segment", str(data), "--out", str(tmp_path / "run"),
                              "--config", str(cfg)])
    assert res.exit_code == 0, res.output
    hist = [json.loads(x) for x in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert hist[-1]["train_loss"] < hist[0]["train_loss"]
    assert hist[-1]["point_loss"] > 0 and "val_bf1_image" in hist[-1]
    res = runner.invoke(app, ["eval", "segment", str(tmp_path / "run"), str(data)])
    assert res.exit_code == 0, res.output
    assert "IoU" in res.output


def test_boundary_f1_per_image_hand_case():
    # image A: a 6x6 square predicted exactly (20 boundary pixels, F1 1); image B: a 4x4 square
    # shifted one pixel (12 boundary pixels each, 6 exact hits: F1 0.5) at tolerance 0
    a = np.zeros((10, 10), np.int64)
    a[2:8, 2:8] = 1
    b = np.zeros((10, 10), np.int64)
    b[1:5, 1:5] = 1
    target = torch.from_numpy(np.stack([a, b]))
    pred = target.clone()
    pred[1] = torch.roll(pred[1], 1, dims=1)
    bf = BoundaryF1(2, tolerance=0, classes=[1])
    bf.update(pred, target)
    r = bf.compute()
    assert r["bf1_image"] == pytest.approx((1.0 + 0.5) / 2)
    # pooled: (20 + 6) hits of 32 boundary pixels both ways
    assert r["bf1"] == pytest.approx(26 / 32)
