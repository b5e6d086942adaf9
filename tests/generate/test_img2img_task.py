"""pix2pix and CycleGAN end to end on tiny synthetic folders: learning, bad files skipped and
reported, the history buffer, the cycle and identity losses against hand computation, exact
resume (both optimizers, history buffers, EMA), the data layouts, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from oculi.core.errors import DataError, ShapeError
from oculi.generate.img2img_apply import evaluate_img2img, load_img2img, translate
from oculi.generate.img2img_config import CycleGanConfig, Pix2PixConfig
from oculi.generate.img2img_data import edge_map, load_domains, read_half
from oculi.generate.img2img_task import (
    CycleGanTask,
    ImageHistory,
    train_cyclegan,
    train_pix2pix,
)
from oculi.io import read_image, write_image

TINY = {"image_size": 16, "width": 8, "critic_width": 8, "batch_size": 8, "threads": 1,
        "val_images": 8}


def _shape(rng: np.random.Generator) -> np.ndarray:
    """A 16x16 grey picture: a bright disc of random centre and radius on a dark ground."""
    yy, xx = np.mgrid[:16, :16]
    cy, cx, r = rng.integers(4, 12), rng.integers(4, 12), rng.integers(3, 6)
    return np.where((yy - cy) ** 2 + (xx - cx) ** 2 < r * r, 220, 30).astype(np.uint8)


def _b_of(a: np.ndarray) -> np.ndarray:
    """The true B of an A: the disc in red on a blue ground (RGB)."""
    return np.stack([a, np.zeros_like(a), 250 - a], -1).astype(np.uint8)


@pytest.fixture(scope="module")
def paired(tmp_path_factory) -> Path:
    """train/ and val/ with A/ and B/ of matching names; train/A/lonely.png has no B;
    train/A/zz.png is not an image."""
    root = tmp_path_factory.mktemp("pairs")
    rng = np.random.default_rng(0)
    for split, n in (("train", 32), ("val", 8)):
        for side in "AB":
            (root / split / side).mkdir(parents=True)
        for i in range(n):
            a = _shape(rng)
            write_image(root / split / "A" / f"{i:02d}.png", np.stack([a] * 3, -1))
            write_image(root / split / "B" / f"{i:02d}.png", _b_of(a))
    write_image(root / "train" / "A" / "lonely.png", np.zeros((16, 16), np.uint8))
    (root / "train" / "A" / "zz.png").write_bytes(b"not a png")
    write_image(root / "train" / "B" / "zz.png", np.zeros((16, 16, 3), np.uint8))
    return root


@pytest.fixture(scope="module")
def unpaired(tmp_path_factory, paired) -> Path:
    """trainA/ and trainB/ of different pictures (CycleGAN layout), testA/ testB/."""
    root = tmp_path_factory.mktemp("unpaired")
    rng = np.random.default_rng(1)
    for name, n in (("trainA", 24), ("trainB", 20), ("testA", 6), ("testB", 6)):
        (root / name).mkdir()
        for i in range(n):
            a = _shape(rng)
            img = np.stack([a] * 3, -1) if name.endswith("A") else _b_of(a)
            write_image(root / name / f"{name}{i:02d}.png", img)
    return root


def test_pix2pix_learns_and_skips_bad_files(paired, tmp_path):
    cfg = Pix2PixConfig(epochs=4, lr=2e-3, **TINY)
    res = train_pix2pix(paired, cfg, tmp_path / "run", progress=False)
    l1 = [h["val_l1_error"] for h in res.history]
    assert l1[-1] < 0.7 * l1[0]
    assert all(np.isfinite([h["val_psnr"] for h in res.history]))
    assert any("zz.png" in k for k in res.skipped)  # unreadable: skipped by the engine
    data = json.loads((tmp_path / "run" / "data.json").read_text())
    assert any("lonely" in k for k in data["skipped"]) and data["val_pairs"] == 8
    assert data["train_items"] == 33  # 32 pairs + zz (whose A cannot be read)
    strip = read_image(tmp_path / "run" / "examples.png")
    assert strip.shape == (8 * 18, 3 * 16 + 4, 3)
    # the evaluation API scores the same pairs as the last validation
    rep = evaluate_img2img(tmp_path / "run", paired, checkpoint="last")
    assert rep["val_l1_error"] == pytest.approx(l1[-1], rel=1e-4)
    out = translate(load_img2img(tmp_path / "run"), np.zeros((40, 30, 3), np.uint8))
    assert out.shape == (40, 30, 3) and out.dtype == np.uint8


def test_l1_only_recipe_has_no_critic(paired, tmp_path):
    res = train_pix2pix(paired, Pix2PixConfig(epochs=1, recipe="pixel", **TINY),
                        tmp_path / "run", progress=False)
    assert "critic_loss" not in res.history[0]
    assert load_img2img(tmp_path / "run").critic is None


def test_history_buffer():
    torch.manual_seed(0)
    h = ImageHistory(4, seed=3)
    first = torch.arange(3.0).view(3, 1, 1, 1)
    assert torch.equal(h.query(first), first)  # filling: the new fakes pass through
    assert len(h.images) == 3
    new = torch.arange(10.0, 210.0).view(200, 1, 1, 1)
    out = h.query(new)
    assert len(h.images) == 4 and out.shape == new.shape
    # once full, about half the returned images are older fakes, each at most once per swap
    old = (out.flatten() != new.flatten()).float().mean()
    assert 0.35 < float(old) < 0.65
    stored = {float(v) for v in out.flatten()} | {float(v) for v in torch.stack(h.images)}
    assert stored <= {float(v) for v in torch.cat([first, new]).flatten()}
    # the state restores the images and the random draw exactly
    copy = ImageHistory(4, seed=99)
    copy.load_state_dict(h.state_dict())
    probe = torch.arange(500.0, 540.0).view(40, 1, 1, 1)
    assert torch.equal(copy.query(probe), h.query(probe))
    assert torch.equal(ImageHistory(0).query(probe), probe)


class _Scale(torch.nn.Module):
    def __init__(self, k: float, c: float) -> None:
        super().__init__()
        self.k, self.c = k, c

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.k * x + self.c


class _Mean(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean(1, keepdim=True)


def test_cycle_and_identity_losses_by_hand():
    cfg = CycleGanConfig(cycle_weight=10.0, identity=0.5, gan_loss="lsgan")
    task = CycleGanTask(None)
    task.cfg = cfg
    from oculi.train.losses.gan import GANLoss

    task.gan = GANLoss("lsgan")
    model = torch.nn.Module()
    model.generator, model.generator_ba = _Scale(0.5, 0.1), _Scale(2.0, -0.3)
    model.critic, model.critic_a = _Mean(), _Mean()
    rng = np.random.default_rng(0)
    a_np, b_np = rng.uniform(-1, 1, (2, 1, 4, 4)), rng.uniform(-1, 1, (2, 1, 4, 4))
    loss, terms, _, _ = task.losses(model, torch.tensor(a_np), torch.tensor(b_np))
    g = lambda x: 0.5 * x + 0.1  # noqa: E731
    f = lambda x: 2.0 * x - 0.3  # noqa: E731
    adv = 0.5 * np.mean((g(a_np) - 1) ** 2) + 0.5 * np.mean((f(b_np) - 1) ** 2)
    cycle = np.mean(np.abs(f(g(a_np)) - a_np)) + np.mean(np.abs(g(f(b_np)) - b_np))
    ident = np.mean(np.abs(g(b_np) - b_np)) + np.mean(np.abs(f(a_np) - a_np))
    assert float(terms["adversarial"]) == pytest.approx(adv, rel=1e-9)
    assert float(terms["cycle"]) == pytest.approx(cycle, rel=1e-9)
    assert float(terms["identity"]) == pytest.approx(ident, rel=1e-9)
    assert float(loss) == pytest.approx(adv + 10 * cycle + 5 * ident, rel=1e-9)
    task.cfg = CycleGanConfig(identity=0.0)
    loss0, terms0, _, _ = task.losses(model, torch.tensor(a_np), torch.tensor(b_np))
    assert "identity" not in terms0
    assert float(loss0) == pytest.approx(adv + 10 * cycle, rel=1e-9)


def _weights(path: Path) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    return load_file(path)


def test_cyclegan_resume_is_exact(unpaired, tmp_path):
    cfg = CycleGanConfig(epochs=2, history=6, ema_decay=0.5, generator="resnet", res_blocks=1,
                         **TINY)
    full = train_cyclegan(unpaired, cfg, tmp_path / "full", progress=False)
    train_cyclegan(unpaired, CycleGanConfig(**{**cfg.to_dict(), "epochs": 1}),
                   tmp_path / "part", progress=False)
    part = train_cyclegan(unpaired, cfg, tmp_path / "part", resume=True, progress=False)
    assert part.history[-1]["val_cycle_error"] == full.history[-1]["val_cycle_error"]
    assert "val_l1_error" not in full.history[-1]  # unpaired test images: no truth
    for name in ("last.safetensors", "last_ema.safetensors"):
        a, b = _weights(tmp_path / "full" / name), _weights(tmp_path / "part" / name)
        assert a.keys() == b.keys()
        assert all(torch.equal(a[k], b[k]) for k in a), name
    sa = torch.load(tmp_path / "full" / "state.pt", weights_only=True)
    sb = torch.load(tmp_path / "part" / "state.pt", weights_only=True)
    assert set(sa["optimizers"]) == {"generator", "critic"}
    for key in ("history_a", "history_b"):
        assert torch.equal(sa["task"][key]["images"], sb["task"][key]["images"])
        assert len(sa["task"][key]["images"]) == 6
    for name in ("generator", "critic"):
        ea = sa["optimizers"][name]["state"]
        eb = sb["optimizers"][name]["state"]
        assert all(torch.equal(ea[k]["exp_avg"], eb[k]["exp_avg"]) for k in ea)


def test_layouts(tmp_path, paired):
    side = tmp_path / "side"
    side.mkdir()
    left = np.full((8, 8, 3), 10, np.uint8)
    right = np.full((8, 8, 3), 200, np.uint8)
    write_image(side / "p.png", np.concatenate([left, right], 1))
    write_image(side / "odd.png", np.zeros((8, 9, 3), np.uint8))
    assert (read_half(side / "p.png", 0) == 10).all() and (read_half(side / "p.png", 1) == 200
                                                           ).all()
    d = load_domains(side, val_images=1)
    assert (d.in_channels, d.out_channels) == (3, 3) and len(d.pairs) + len(d.val_pairs) == 2
    readers = {name: read_a for name, read_a, _ in d.pairs + d.val_pairs}
    with pytest.raises(ShapeError, match="even width"):  # an oculi error: the engine skips it
        readers[str(side / "odd.png")]()
    photos = tmp_path / "photos"
    photos.mkdir()
    img = np.zeros((20, 20, 3), np.uint8)
    img[5:15, 5:15] = (200, 50, 10)
    for i in range(5):
        write_image(photos / f"{i}.png", img)
    d = load_domains(photos, derive="edges", val_images=1)
    assert (d.in_channels, d.out_channels) == (1, 3) and len(d.val_pairs) == 1
    edges = d.pairs[0][1]()
    assert edges.shape == (20, 20) and set(np.unique(edges)) == {0, 255}
    assert (edges == edge_map(img)).all() and edges[10, 4:6].max() == 255  # the square's side
    assert edges[8:12, 8:12].max() == 0 and edges[:3].max() == 0  # flat inside and outside
    grey = load_domains(photos, derive="grey", val_images=1).pairs[0]
    assert grey[1]().shape == (20, 20) and grey[1]()[10, 10] == round(
        0.299 * 200 + 0.587 * 50 + 0.114 * 10)  # ITU-R 601 luma of the square's colour
    assert grey[2]().shape == (20, 20, 3)
    with pytest.raises(DataError, match="not a built-in"):
        load_domains(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="no training pairs"):
        load_domains(tmp_path / "empty")


def test_cli(paired, tmp_path):
    from oculi.cli.main import app

    runner = CliRunner()
    out = runner.invoke(app, ["train", "pix2pix", str(tmp_path / "missing"), "-o",
                              str(tmp_path / "r")])
    assert out.exit_code == 2 and "missing" in out.output
    assert len(out.output.strip().splitlines()) == 1
    out = runner.invoke(app, ["train", "cyclegan", str(paired), "-o", str(tmp_path / "r"),
                              "--patch", "15"])
    assert out.exit_code == 2 and "patch" in out.output
    run = tmp_path / "run"
    out = runner.invoke(app, ["train", "pix2pix", str(paired), "-o", str(run), "--epochs", "1",
                              "--image-size", "16", "--width", "4", "--critic-width", "4",
                              "--val-images", "4", "--threads", "1"])
    assert out.exit_code == 0, out.output
    src = paired / "val" / "A"
    out = runner.invoke(app, ["generate", str(run), "--input", str(src), "-o",
                              str(tmp_path / "outs")])
    assert out.exit_code == 0, out.output
    written = sorted(p.name for p in (tmp_path / "outs").iterdir())
    assert written == sorted(p.name for p in src.iterdir())
    assert read_image(tmp_path / "outs" / "00.png").shape == (16, 16, 3)
    out = runner.invoke(app, ["generate", str(run), "--input", str(paired / "train" / "A"),
                              "-o", str(tmp_path / "outs2")])
    assert out.exit_code == 2 and "zz.png" in out.output  # the rest are written
    assert (tmp_path / "outs2" / "lonely.png").is_file()
    out = runner.invoke(app, ["generate", str(run), "--input", str(tmp_path / "nope.png"),
                              "-o", str(tmp_path / "o.png")])
    assert out.exit_code == 2 and "no such file" in out.output


def test_cli_input_folder_not_created_when_the_run_does_not_load(tmp_path):
    """A bad run leaves no empty output folder behind; a folder of one image is written into
    the output folder (not to a file named like the folder)."""
    from oculi.cli.main import app

    src = tmp_path / "in"
    src.mkdir()
    write_image(src / "a.png", np.zeros((16, 16, 3), np.uint8))
    (tmp_path / "notarun").mkdir()
    out = CliRunner().invoke(app, ["generate", str(tmp_path / "notarun"), "--input", str(src),
                                   "-o", str(tmp_path / "outs")])
    assert out.exit_code == 2, out.output
    assert not (tmp_path / "outs").exists()


def test_translate_files_one_input_into_a_folder(paired, tmp_path):
    from oculi.generate.img2img_apply import translate_files
    from oculi.generate.img2img_task import train_pix2pix

    run = tmp_path / "run"
    train_pix2pix(paired, Pix2PixConfig(epochs=1, image_size=16, width=4, critic_width=4,
                                        val_images=4, threads=1), run, progress=False)
    one = sorted((paired / "val" / "A").iterdir())[0]
    res = translate_files(run, [one], tmp_path / "outs", into_folder=True)
    assert (tmp_path / "outs" / f"{one.stem}.png").is_file()
    assert list(res.results.values()) == [str(tmp_path / "outs" / f"{one.stem}.png")]


@pytest.mark.parametrize("extra", [["--json", "s.json"], ["--labels", "1,2"],
                                   ["--columns", "4"], ["-n", "8"], ["--seed", "3"]])
def test_cli_grid_options_are_refused_with_input(tmp_path, extra):
    from oculi.cli.main import app

    write_image(tmp_path / "a.png", np.zeros((16, 16, 3), np.uint8))
    out = CliRunner().invoke(app, ["generate", str(tmp_path), "--input", str(tmp_path / "a.png"),
                                   "-o", str(tmp_path / "b.png"), *extra])
    assert out.exit_code == 2, out.output
    assert extra[0] in out.output and "--input" in out.output


@pytest.mark.slow
def test_pix2pix_on_edges2mnist_keeps_the_class(tmp_path):
    """Edge maps of MNIST digits -> digits: after a short training most outputs are classified
    as their input's digit by the LeNet feature network, and L1 is far below a blank output's."""
    from oculi.data.digits import available

    if not available("mnist", "test"):
        pytest.skip("the MNIST test digits (OCULI_SHARED_DATA/mnist_5k) are not here")
    cfg = Pix2PixConfig(epochs=3, train_images=1500, val_images=200, threads=1)
    train_pix2pix("edges2mnist", cfg, tmp_path / "run", progress=False)
    rep = evaluate_img2img(tmp_path / "run", "edges2mnist", images=300, checkpoint="last")
    assert rep["class_accuracy"] >= 0.8
    from oculi.data.digits import load_digits

    x, _ = load_digits("mnist", "test", limit=300)
    blank = float(x.mean()) / 255 * (28 * 28) / (32 * 32)  # L1 of an all-black 32x32 output
    assert rep["val_l1_error"] < 0.5 * blank
