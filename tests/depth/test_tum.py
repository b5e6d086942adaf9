"""Alignment and metrics on real sensor depth: TUM RGB-D (../shared/data/rgbd_depth/tum)."""

from __future__ import annotations

import numpy as np
import pytest

from oculi.depth import (
    align_scale,
    align_scale_shift,
    depth_metrics,
    load_depth_model,
    predict_depth,
    read_depth_map,
)


def test_png_and_npy_depth_agree(tum):
    png = read_depth_map(tum["folder"] / "TUM_depth.png")            # value / 5000
    np.testing.assert_array_equal(png, read_depth_map(tum["folder"] / "TUM_depth_m.npy"))
    known = png > 0
    assert 0.75 < known.mean() < 0.85 and 1.0 < float(png[known].min()) < float(png.max()) < 10.0


def test_affine_inverse_depth_with_noise_is_recovered(tum):
    gt = tum["depth"]
    known = gt > 0
    rng = np.random.default_rng(19)
    inv = np.where(known, 1.0 / np.where(known, gt, 1.0), 0.0)
    noise = rng.normal(0.0, 0.05 * float(inv[known].std()), gt.shape)
    pred = (3.5 * inv - 0.12 + noise).astype(np.float32)          # a network's relative output
    pred[~known] = rng.uniform(-1.0, 1.0, int((~known).sum()))     # no signal where gt is unknown
    depth, scale, shift = align_scale_shift(pred, gt)
    assert scale == pytest.approx(1 / 3.5, rel=2e-3)
    assert shift == pytest.approx(0.12 / 3.5, rel=2e-2)
    m = depth_metrics(depth, gt, max_depth=10.0)
    assert m.n_valid == int(known.sum())
    assert m.abs_rel < 0.005 and m.rmse < 0.02 and m.delta1 > 0.999   # measured 0.0021, 1.0 cm, 1.0
    # without the shift (median scale only) the same prediction scores far worse
    scaled = depth_metrics(align_scale(pred, gt).depth, gt, max_depth=10.0)
    assert scaled.abs_rel > 3 * m.abs_rel                               # measured 0.0134


def test_depth_space_alignment_on_tum(tum):
    gt = tum["depth"]
    pred = np.where(gt > 0, (gt - 0.4) / 2.0, 0.0)
    aligned = align_scale_shift(pred, gt, space="depth")
    m = depth_metrics(aligned.depth, gt)
    assert (aligned.scale, aligned.shift) == (pytest.approx(2.0, rel=1e-5),
                                              pytest.approx(0.4, rel=1e-4))
    assert m.abs_rel < 1e-5 and m.delta1 == 1.0


def test_tiny_network_on_tum(tum, model_files):
    """A random network predicts nothing useful, but its output comes back at 640x480 and the
    least-squares fit is never worse than the best constant (scale 0)."""
    inv = predict_depth(load_depth_model(model_files["onnx"]), tum["color"])
    assert inv.shape == (480, 640) and inv.dtype == np.float32 and np.isfinite(inv).all()
    gt = tum["depth"]
    known = gt > 0
    aligned = align_scale_shift(inv, gt)
    fitted = aligned.scale * inv[known] + aligned.shift
    target = 1.0 / gt[known]
    assert np.mean((fitted - target) ** 2) <= np.var(target) * (1 + 1e-9)
