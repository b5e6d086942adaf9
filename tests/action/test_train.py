"""The ``action`` task: model shapes, a tiny run that learns and writes a run folder, the
direction test (a blob moving left or right: one frame cannot tell them apart, a clip can), the
generated CLI, bad clips skipped and reported, bad settings refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from oculi.action.clipdata import clip_tensor
from oculi.action.config import ActionConfig
from oculi.action.models import ActionNet, temporal_shift
from oculi.action.task import evaluate_action, train_action
from oculi.cli.main import app
from oculi.core.errors import ParameterError
from oculi.train import read_metrics
from tests.action._synthetic import direction_clip


@pytest.fixture(scope="module")
def direction_set(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("direction")
    lines = ["file,label,group"]
    for d in ("left", "right"):
        (root / d).mkdir()
        for i in range(24):
            name = f"{d}/{i:02d}.npz"
            np.savez_compressed(root / name, original=direction_clip(d, 100 * (d == "left") + i))
            lines.append(f"{name},{d},g{i % 4}")
    (root / "labels.csv").write_text("\n".join(lines) + "\n")
    return root


def _cfg(**kw) -> ActionConfig:
    base = {"size": 32, "clip_len": 8, "width": 8, "flip": False, "crop_scale": 1.0,
            "threads": 1, "device": "cpu", "batch_size": 8, "warmup_epochs": 0.0}
    return ActionConfig(**{**base, **kw})


@pytest.mark.parametrize("model", ["r2plus1d", "x3d", "tsm", "tsn", "frame"])
def test_model_shapes(model):
    net = ActionNet(model, ["a", "b", "c"], clip_len=8, channels=3, width=8).eval()
    assert net(torch.rand(2, 3, 8, 32, 32)).shape == (2, 3)
    again = ActionNet(**net.config())
    assert again.config() == net.config()


def test_temporal_shift_moves_one_eighth_each_way():
    x = torch.arange(2 * 3 * 16, dtype=torch.float32).view(2 * 3, 16, 1, 1)  # N=2, T=3
    y = temporal_shift(x, 3).view(2, 3, 16)
    v = x.view(2, 3, 16)
    assert torch.equal(y[:, :2, :2], v[:, 1:, :2]) and not y[:, 2, :2].any()
    assert torch.equal(y[:, 1:, 2:4], v[:, :2, 2:4]) and not y[:, 0, 2:4].any()
    assert torch.equal(y[:, :, 4:], v[:, :, 4:])


def test_clip_tensor_one_crop_and_flip_per_clip():
    frames = np.zeros((4, 20, 30), np.uint8)
    frames[:, :, :5] = 1                                      # a bar on the left of every frame
    x = clip_tensor(frames, 16, 1, np.random.default_rng(3), crop_scale=0.9, flip=True)
    assert x.shape == (1, 4, 16, 16) and x.dtype == torch.float32
    assert all(torch.equal(x[:, 0], x[:, t]) for t in range(4))   # same crop/flip for all
    rgb = clip_tensor(np.full((2, 8, 8, 3), 255, np.uint8), 8, 3)
    assert rgb.shape == (3, 2, 8, 8) and float(rgb.max()) == 1.0


def test_tiny_run_learns_writes_a_run_folder_and_skips_bad_clips(direction_set, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    csv = (direction_set / "labels.csv").read_text().splitlines()
    (data / "labels.csv").write_text("\n".join(
        [csv[0]] + [f"{direction_set / r.split(',')[0]},{r.split(',', 1)[1]}" for r in csv[1:]]
        + ["missing.npz,left,g0", "short.npz,right,g1"]) + "\n")
    np.savez_compressed(data / "short.npz", original=np.zeros((3, 32, 32), np.uint8))
    out = tmp_path / "run"
    train_action(data, _cfg(model="r2plus1d", epochs=3, repeat=1), out, progress=False)
    rows = read_metrics(out)
    assert rows[-1]["train_loss"] < rows[0]["train_loss"]
    assert (out / "best.safetensors").is_file() and (out / "confusion.json").is_file()
    import json

    skipped = json.loads((out / "data.json").read_text())["skipped"]
    reasons = " ".join(s["reason"] for s in skipped)
    assert len(skipped) == 2 and "unreadable" in reasons and "shorter than" in reasons


@pytest.mark.parametrize("model", ["r2plus1d", "frame"])
def test_direction_needs_time(direction_set, tmp_path, model):
    """Held-out group g3 (12 clips). Measured with seeds 0-2: r2plus1d 1.0 every time, the
    centre-frame model 0.42-0.5 (chance: 0.5); with 20 clips a class or 5 epochs the 3-D model
    was unstable (0.5-1.0)."""
    cfg = _cfg(model=model, epochs=6, repeat=2, holdout_groups=("g3",), lr=3e-3,
               weight_decay=0.0, dropout=0.0)
    train_action(direction_set, cfg, tmp_path / model, progress=False)
    rep = evaluate_action(tmp_path / model / "last.safetensors", direction_set, groups="g3")
    if model == "r2plus1d":
        assert rep["val_accuracy"] >= 0.9, rep.metrics
    else:
        assert rep["val_accuracy"] <= 0.75, rep.metrics


def test_cli_train_and_eval(direction_set, tmp_path):
    runner = CliRunner()
    out = tmp_path / "run"
    res = runner.invoke(app, ["train", "action", str(direction_set), "-o", str(out), "--model",
                              "tsm", "--epochs", "1", "--repeat", "1", "--size", "32",
                              "--width", "8", "--threads", "1", "--device", "cpu"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["eval", "action", str(out), str(direction_set), "--groups", "g1",
                              "-o", str(tmp_path / "ev")])
    assert res.exit_code == 0, res.output
    assert "left" in res.output and (tmp_path / "ev" / "report.json").is_file()
    res = runner.invoke(app, ["train", "action", str(direction_set), "-o", str(out),
                              "--model", "c3d"])
    assert res.exit_code == 2 and "model" in res.output


@pytest.mark.parametrize("bad", [{"model": "c3d"}, {"sampling": "random"}, {"channels": 2},
                                 {"size": 8}, {"clip_len": 0}, {"crop_scale": 0.0},
                                 {"val_split": 0.0}, {"holdout_groups": "daria"}])
def test_bad_config_is_a_parameter_error(bad):
    with pytest.raises(ParameterError, match=next(iter(bad))):
        ActionConfig(**bad).validate()


def test_a_clip_that_fails_to_decode_raises_an_oculi_error_the_engine_skips(tmp_path):
    from oculi.action.clipdata import ClipTensors
    from oculi.action.clips import ClipItem
    from oculi.core.errors import OculiError

    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    data = ClipTensors([ClipItem(str(bad), "a", None, 8, "original")], ["a"],
                       sampling="segments", clip_len=4, stride=1, size=16, channels=1)
    with pytest.raises(OculiError, match=r"bad\.npz"):
        data[0]
