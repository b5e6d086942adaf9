"""Noise2Noise training of the denoiser: synthetic pairs never hand the clean crop to the loss,
real pairs are found in both folder layouts, bad pairs are skipped and reported, bad options are
refused (library and CLI)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from oculi.cli.main import app
from oculi.core.errors import DataError, ParameterError
from oculi.data import load
from oculi.io import write_image
from oculi.restore import denoise, psnr
from oculi.restore import patches as P
from oculi.restore import task as T
from oculi.restore.config import RestoreConfig
from oculi.restore.pairs import NoisyPairs, find_pairs
from oculi.restore.task import train_restorer
from oculi.train import read_metrics

TINY: dict = {"problem": "denoise", "depth": 4, "features": 16, "sigma": (20.0, 30.0),
              "epochs": 3, "repeat": 16, "batch_size": 8, "image_size": 32, "val_size": 48,
              "val_images": 1, "lr": 3e-3, "threads": 1, "schedule": "constant"}


def test_noisy_targets_are_independent_noise():
    cfg = RestoreConfig(**{**TINY, "target": "noisy", "sigma": (25.0, 25.0), "image_size": 64})
    cfg.validate()
    seen = []
    original = P.training_pair

    def spy(clean, cfg, rng):
        seen.append(clean.copy())
        return original(clean, cfg, rng)

    P.training_pair = spy
    try:
        a, b = P.Patches(["astronaut"], cfg, seed=0)[0]
    finally:
        P.training_pair = original
    clean = torch.from_numpy(seen[0].transpose(2, 0, 1))
    na, nb = (a - clean).flatten().numpy() * 255, (b - clean).flatten().numpy() * 255
    assert na.std() == pytest.approx(25, rel=0.05) and nb.std() == pytest.approx(25, rel=0.05)
    assert abs(np.corrcoef(na, nb)[0, 1]) < 0.05  # two independent draws


def test_loss_never_sees_the_clean_crop(monkeypatch, tmp_path):
    cleans, targets = [], []
    original_pair, original_loss = P.training_pair, T.nn.functional.l1_loss

    def pair_spy(clean, cfg, rng):
        cleans.append(torch.from_numpy(clean.transpose(2, 0, 1).copy()))
        return original_pair(clean, cfg, rng)

    def loss_spy(out, target, *args, **kw):
        if torch.is_grad_enabled() and out.requires_grad:
            targets.append(target.detach().clone())
        return original_loss(out, target, *args, **kw)

    monkeypatch.setattr(P, "training_pair", pair_spy)
    monkeypatch.setattr(T.nn.functional, "l1_loss", loss_spy)
    image = load("astronaut", mode="rgb")
    write_image(tmp_path / "photos" / "train" / "a.png", image[40:136, 160:256])
    write_image(tmp_path / "photos" / "val" / "b.png", image[300:396, 200:296])
    cfg = RestoreConfig(**{**TINY, "target": "noisy", "epochs": 2, "repeat": 24})
    train_restorer(tmp_path / "photos", cfg, tmp_path / "n2n", progress=False)
    assert cleans and targets
    clean = torch.stack(cleans)                                # every clean crop made
    for batch in targets:
        for target in batch:
            # the nearest clean crop is still 20-30 grey levels (rms) of noise away
            rms = ((clean - target) ** 2).mean(dim=(1, 2, 3)).sqrt().min() * 255
            assert rms > 15
    assert len(targets) == len(cleans) // cfg.batch_size == 6


@pytest.fixture
def pair_folders(tmp_path):
    image = load("astronaut", mode="rgb")[100:196, 150:246]
    rng = np.random.default_rng(0)

    def noisy():
        return np.clip(np.rint(image + rng.normal(0, 20, image.shape)), 0, 255).astype(np.uint8)

    named = tmp_path / "named"
    write_image(named / "scene1_a.png", noisy())
    write_image(named / "scene1_b.png", noisy())
    write_image(named / "more" / "scene2_A.jpg", noisy())
    write_image(named / "more" / "scene2_b.png", noisy())
    write_image(named / "lonely_a.png", noisy())
    write_image(named / "odd_a.png", noisy())
    write_image(named / "odd_b.png", noisy()[:64])              # sizes differ
    split = tmp_path / "split"
    for side in ("first", "second"):
        write_image(split / side / "x.png", noisy())
        write_image(split / side / "y.png", noisy())
    write_image(split / "first" / "z.png", noisy())
    return named, split, image


def test_find_pairs_both_layouts(pair_folders, tmp_path):
    named, split, _ = pair_folders
    pairs, unmatched = find_pairs(named)
    names = sorted(f"{a.rsplit('/', 1)[-1]}+{b.rsplit('/', 1)[-1]}" for a, b in pairs)
    assert names == ["odd_a.png+odd_b.png", "scene1_a.png+scene1_b.png",
                     "scene2_A.jpg+scene2_b.png"]
    assert [u.rsplit("/", 1)[-1] for u in unmatched] == ["lonely_a.png"]
    pairs, unmatched = find_pairs(split)
    assert [(a.split("/")[-2:], b.split("/")[-2:]) for a, b in pairs] == [
        (["first", "x.png"], ["second", "x.png"]), (["first", "y.png"], ["second", "y.png"])]
    assert [u.rsplit("/", 1)[-1] for u in unmatched] == ["z.png"]
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="empty"):
        find_pairs(tmp_path / "empty")


def test_pair_crops_align(pair_folders):
    named, _, _ = pair_folders
    cfg = RestoreConfig(**{**TINY, "target": "noisy", "pairs": str(named)})
    data = NoisyPairs(named, cfg, seed=0)
    k = next(i for i, (a,) in enumerate(data.samples) if "scene1" in a)
    a, b = data[k]
    assert a.shape == b.shape == (3, 32, 32)
    # the same place of the same scene: the difference is noise only (sqrt(2) * 20 levels)
    assert float((a - b).std()) * 255 == pytest.approx(20 * 2 ** 0.5, rel=0.2)
    with pytest.raises(DataError, match="differ in size"):
        data[next(i for i, (s,) in enumerate(data.samples) if "odd" in s)]


def test_training_on_real_pairs_skips_bad_pair(pair_folders, tmp_path):
    named, _, image = pair_folders
    val = tmp_path / "val"
    write_image(val / "v.png", load("astronaut", mode="rgb")[300:396, 200:296])
    cfg = RestoreConfig(**{**TINY, "target": "noisy", "pairs": str(named), "epochs": 4})
    result = train_restorer(val, cfg, tmp_path / "run", progress=False)
    assert any("odd_a.png" in name for name in result.skipped)
    history = read_metrics(tmp_path / "run")
    assert history[-1]["train_loss"] < history[0]["train_loss"]
    noisy = np.clip(np.rint(image + np.random.default_rng(1).normal(0, 20, image.shape)), 0,
                    255).astype(np.uint8)
    out = denoise(noisy, run=tmp_path / "run")
    assert out.shape == image.shape and psnr(image, out) > psnr(image, noisy) - 3


@pytest.mark.parametrize(("bad", "name"), [
    ({"problem": "sr", "target": "noisy"}, "target"),
    ({"target": "blurry"}, "target"),
    ({"pairs": "."}, "pairs"),
    ({"target": "noisy", "pairs": "/no/such/folder"}, "pairs"),
])
def test_bad_n2n_settings(bad, name):
    cfg = {**TINY, **bad}
    with pytest.raises(ParameterError, match=name):
        RestoreConfig(**cfg).validate()


def test_cli_n2n(pair_folders, tmp_path):
    named, _, _ = pair_folders
    runner = CliRunner()
    common = ["train", "restore", "-", "-o", str(tmp_path / "run"), "--problem", "denoise",
              "--depth", "3", "--features", "8", "--epochs", "1", "--repeat", "2",
              "--image-size", "24", "--val-size", "48", "--val-images", "1", "--threads", "1"]
    res = runner.invoke(app, [*common, "--target", "noisy", "--pairs", str(named)])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "run" / "best.safetensors").is_file()
    res = runner.invoke(app, [*common, "--pairs", str(named)])
    assert res.exit_code == 2 and "--target noisy" in res.output
    res = runner.invoke(app, [*common[:-2], "--problem", "sr", "--target", "noisy"])
    assert res.exit_code == 2 and "target" in res.output
