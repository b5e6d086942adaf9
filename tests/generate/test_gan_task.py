"""The gan task end to end on tiny synthetic image folders: training writes its artifacts, a bad
file is skipped, NaN and collapse stop the run naming the step, resume is exact, and
``oculi generate`` draws from the run."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from oculi.core.errors import DataError
from oculi.generate import generate, run_task_name
from oculi.generate.gan_config import GanConfig
from oculi.generate.gan_task import GanTask, separation, sliced_distance, train_gan
from oculi.io import read_image, write_image

TINY = {"epochs": 2, "batch_size": 16, "width": 8, "latent": 8, "val_images": 8, "grid": 8,
        "threads": 1, "divergence_steps": 0}


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """Two classes of 20 grey images: bright discs and bright bars (plus one broken file)."""
    root = tmp_path_factory.mktemp("gan_data")
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:28, :28]
    for c, name in enumerate(("disc", "bar")):
        (root / name).mkdir()
        for i in range(20):
            cy, cx = rng.integers(9, 19, 2)
            mask = ((yy - cy) ** 2 + (xx - cx) ** 2 < 25) if c == 0 else (abs(xx - cx) < 3)
            write_image(root / name / f"{i:02d}.png", (mask * 255).astype(np.uint8))
    (root / "bar" / "broken.png").write_bytes(b"not a png")
    return root


def _train(folder: Path, out: Path, **kw):
    return train_gan(folder, GanConfig(**{**TINY, **kw}), out, progress=False)


def test_training_writes_grids_curves_and_skips_a_bad_file(folder, tmp_path):
    res = _train(folder, tmp_path / "run", conditional=True)
    run = tmp_path / "run"
    assert len(res.history) == 2
    assert all(np.isfinite(h["val_swd_error"]) for h in res.history)
    assert any("broken.png" in k for k in res.skipped)
    grid = read_image(run / "samples" / "epoch_002.png", mode="unchanged")
    assert grid.shape == (4 * 28 + 3 * 2, 2 * 28 + 2)  # 8 samples, rows of the 2 classes
    assert (run / "losses.png").is_file() and (run / "curves.png").is_file()
    assert json.loads((run / "data.json").read_text())["classes"] == ["bar", "disc"]
    assert run_task_name(run) == "gan"


def test_sliced_distance_and_separation_against_hand_values():
    a = torch.zeros(50, 3)
    assert sliced_distance(a, a) == 0.0
    # every direction is a unit vector: shifting all points by v moves each projection by <d, v>
    b = a + torch.tensor([0.0, 0.0, 2.0])
    g = torch.Generator().manual_seed(0)
    d = torch.randn(3, 128, generator=g)
    d = d / d.norm(dim=0, keepdim=True)
    assert sliced_distance(a, b) == pytest.approx(float((2 * d[2]).abs().mean()), rel=1e-5)
    assert separation(torch.tensor([2.0, 3.0]), torch.tensor([0.0, 1.0])) == 1.0
    assert separation(torch.tensor([0.5, 3.0]), torch.tensor([0.0, 1.0])) == 0.75


def test_nan_data_stops_at_step_zero_naming_the_loss(folder, tmp_path, monkeypatch):
    from oculi.generate import gan_data

    real = gan_data.GanImages.__getitem__

    def poisoned(self, i):
        x, y = real(self, i)
        return x * float("nan"), y

    monkeypatch.setattr(gan_data.GanImages, "__getitem__", poisoned)
    with pytest.raises(DataError, match=r"epoch 1, step 0: the critic loss became nan"):
        _train(folder, tmp_path / "run")


def test_infinite_lr_stops_with_the_step(folder, tmp_path):
    # the critic's first update makes its weights non-finite: the generator's loss on that
    # critic, in the same step, is the first non-finite one
    with pytest.raises(DataError, match=r"epoch 1, step 0: the generator loss became nan"):
        _train(folder, tmp_path / "run", lr=float("inf"))


def test_collapsed_critic_stops_the_run():
    task = GanTask()
    task.cfg = GanConfig(divergence_steps=3)

    class _Step:
        epoch, index = 0, 0

    step = _Step()
    for i in range(2):
        step.index = i
        task._watch(step, 1.0, 0.01, 9.0)
    task._watch(step, 0.9, 0.01, 9.0)  # one imperfect step resets the count
    with pytest.raises(DataError, match=r"step 12: the critic has separated .* for 3 steps"):
        for i in range(10, 13):
            step.index = i
            task._watch(step, 1.0, 0.01, 9.0)


@pytest.mark.parametrize("extra", [
    {"conditional": True, "info_categorical": 2, "info_continuous": 1, "loss": "hinge",
     "feature_matching": 0.1},
    {"arch": "stylegan", "loss": "wgan-gp", "grow_epochs": 1.0, "critic_steps": 2,
     "r1_weight": 1.0, "spectral_norm": True},
], ids=["dcgan-cond-info", "stylegan-grow"])
def test_resume_is_exact(folder, tmp_path, extra):
    from oculi.models.weights import load_weights  # noqa: F401 - the loader the runs use

    _train(folder, tmp_path / "straight", epochs=3, **extra)
    _train(folder, tmp_path / "split", epochs=1, **extra)
    train_gan(folder, GanConfig(**{**TINY, "epochs": 3, **extra}), tmp_path / "split",
              resume=True, progress=False)
    a = torch.load(tmp_path / "straight" / "state.pt", weights_only=True)
    b = torch.load(tmp_path / "split" / "state.pt", weights_only=True)
    for k, v in a["model"].items():
        torch.testing.assert_close(b["model"][k], v, rtol=0, atol=0, msg=k)
    for k, v in a["hooks"]["ema"]["weights"].items():
        torch.testing.assert_close(b["hooks"]["ema"]["weights"][k], v, rtol=0, atol=0, msg=k)
    for name in ("critic", "generator"):
        sa, sb = a["optimizers"][name]["state"], b["optimizers"][name]["state"]
        for i in sa:
            torch.testing.assert_close(sb[i]["exp_avg"], sa[i]["exp_avg"], rtol=0, atol=0)
    assert a["history"][-1]["val_swd_error"] == b["history"][-1]["val_swd_error"]
    if extra.get("grow_epochs"):
        assert int(a["model"]["stage"]) == 2


def test_cli_generate_on_a_tiny_run_and_bad_run_folder(folder, tmp_path):
    from oculi.cli.main import app

    run = tmp_path / "run"
    _train(folder, run, epochs=1, batch_size=16, train_images=32, conditional=True)
    runner = CliRunner()
    out, js = tmp_path / "grid.png", tmp_path / "g.json"
    res = runner.invoke(app, ["generate", str(run), "-n", "6", "-o", str(out), "--seed", "3",
                              "--labels", "1", "--columns", "3", "--json", str(js)])
    assert res.exit_code == 0, res.output
    assert read_image(out, mode="unchanged").shape == (2 * 28 + 2, 3 * 28 + 4)
    assert json.loads(js.read_text())["labels"] == [1] * 6
    same = generate(run, 6, seed=3, labels=[1] * 6)
    other = generate(run, 6, seed=4, labels=[1] * 6)
    assert same.shape == (6, 28, 28) and same.dtype == np.uint8
    assert np.array_equal(same, generate(run, 6, seed=3, labels=[1] * 6))
    assert not np.array_equal(same, other)
    for bad_args in (["generate", str(tmp_path / "nope"), "-o", str(out)],
                     ["generate", str(folder), "-o", str(out)],
                     ["generate", str(run), "-o", str(out), "--labels", "7"]):
        res = runner.invoke(app, bad_args)
        assert res.exit_code == 2, res.output
        assert len(res.output.strip().splitlines()) == 1 and "Traceback" not in res.output


def test_conditional_needs_labels(tmp_path):
    flat = tmp_path / "flat"
    flat.mkdir()
    for i in range(10):
        write_image(flat / f"{i}.png", np.full((28, 28), 25 * i, np.uint8))
    with pytest.raises(DataError, match="conditional needs labelled images"):
        _train(flat, tmp_path / "run", conditional=True)


def test_evaluate_gan_passes_samples_real_images_and_labels_to_the_metrics(folder, tmp_path,
                                                                           monkeypatch):
    from oculi.core.errors import MissingDependencyError
    from oculi.generate import gan_eval

    run = tmp_path / "run"
    _train(folder, run, epochs=1, conditional=True)
    seen = {}

    class Metrics:
        @staticmethod
        def generator_scores(fake, real, *, set_name, fake_labels=None):
            seen.update(fake=fake, real=real, set_name=set_name, labels=fake_labels)
            return {"fid_lenet": 6.0, "kid_lenet": 0.01, "precision": 0.5, "recall": 0.4,
                    "class_accuracy": 0.9, "mode_coverage": 1.0, "feature_accuracy": 0.99}

        @staticmethod
        def real_baseline(set_name, *, n=None, seed=0):
            seen["baseline_n"] = n
            return {"fid_lenet": 2.0}

    monkeypatch.setattr(gan_eval, "_metrics", lambda: Metrics)
    report = gan_eval.evaluate_gan(run, folder, samples=30, feature_set="mnist")
    assert seen["fake"].shape == (30, 28, 28) and seen["fake"].dtype == np.uint8
    assert seen["real"].shape == (30, 28, 28) and seen["set_name"] == "mnist"
    assert seen["labels"].shape == (30,) and set(seen["labels"]) <= {0, 1}
    assert seen["baseline_n"] == 30  # the samples' N (FID's bias depends on N)
    assert report["val_fid_ratio"] == pytest.approx(3.0)
    assert [k.endswith("broken.png") for k in report.details["skipped"]] == [True]  # reported
    assert report["val_class_accuracy"] == 0.9 and "val_feature_accuracy" not in report.metrics
    with pytest.raises(DataError, match="feature_set"):
        gan_eval.evaluate_gan(run, folder, samples=30)

    def too_many(set_name, *, n=None, seed=0):
        raise DataError(f"n: expected 129..2500 samples per half, got {n}")

    monkeypatch.setattr(Metrics, "real_baseline", staticmethod(too_many))
    with pytest.raises(DataError, match=r"samples: 30 is too many.*--no-baseline"):
        gan_eval.evaluate_gan(run, folder, samples=30, feature_set="mnist")
    monkeypatch.setattr(gan_eval, "_metrics", lambda: (_ for _ in ()).throw(
        MissingDependencyError("no metrics")))
    with pytest.raises(MissingDependencyError):
        gan_eval.evaluate_gan(run, folder, samples=30, feature_set="mnist")
