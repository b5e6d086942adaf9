"""SRMD: blur kernels, the PCA kernel code, the degradation, the network's condition maps, a tiny
run that trains and upscales, and bad options/inputs (library and CLI)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import ndimage
from typer.testing import CliRunner

from oculi.cli.main import app
from oculi.core.errors import ParameterError, ShapeError
from oculi.data import load
from oculi.io import write_image
from oculi.restore import imresize, psnr, upscale
from oculi.restore import kernels as K
from oculi.restore.config import RestoreConfig
from oculi.restore.nets import build_network
from oculi.restore.patches import Patches
from oculi.restore.task import evaluate_restorer, train_restorer
from oculi.restore.trained import Y_NOISE, rgb_to_ycbcr
from oculi.train import read_metrics

TINY: dict = {"model": "srmd", "features": 16, "depth": 4, "epochs": 4, "repeat": 16,
              "batch_size": 8, "image_size": 32, "val_size": 48, "val_images": 1, "lr": 3e-3,
              "threads": 1, "schedule": "constant"}


def test_gaussian_kernel_moments():
    k = K.gaussian_kernel(21, 2.0, 1.0, np.pi / 6)
    assert k.shape == (21, 21) and k.sum() == pytest.approx(1.0)
    r = np.arange(21) - 10
    yy, xx = np.meshgrid(r, r, indexing="ij")
    cov = np.array([[np.sum(k * xx * xx), np.sum(k * xx * yy)],
                    [np.sum(k * xx * yy), np.sum(k * yy * yy)]])
    c, s = np.cos(np.pi / 6), np.sin(np.pi / 6)
    rot = np.array([[c, -s], [s, c]])
    expected = rot @ np.diag([4.0, 1.0]) @ rot.T  # widths 2 and 1 along the rotated axes
    np.testing.assert_allclose(cov, expected, atol=0.02)
    delta = K.gaussian_kernel(15, 0.0)
    assert delta[7, 7] == pytest.approx(1.0) and delta.sum() == pytest.approx(1.0)


def test_kernel_sampling_is_seeded():
    a = K.sample_kernel(np.random.default_rng(3), 15, (0.2, 2.0), 0.5)
    b = K.sample_kernel(np.random.default_rng(3), 15, (0.2, 2.0), 0.5)
    c = K.sample_kernel(np.random.default_rng(4), 15, (0.2, 2.0), 0.5)
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - c).max() > 1e-4
    iso = K.sample_kernel(np.random.default_rng(5), 15, (0.5, 2.0), 0.0)
    np.testing.assert_allclose(iso, iso.T, atol=1e-12)  # isotropic: symmetric


def test_pca_basis_deterministic_and_reconstructs():
    basis, mean = K.kernel_basis(15, 15)
    K._basis.cache_clear()
    again, mean2 = K.kernel_basis(15, 15)
    np.testing.assert_array_equal(basis, again)
    np.testing.assert_array_equal(mean, mean2)
    np.testing.assert_allclose(basis @ basis.T, np.eye(15), atol=1e-5)
    # the subspace is the top eigenspace of the sample covariance (an independent route)
    sample = K.basis_sample(15)
    assert sample.shape == (K.BASIS_SAMPLES, 225)
    np.testing.assert_allclose(sample.sum(axis=1), 1.0)
    u, _, _ = np.linalg.svd(np.cov(sample.T))            # descending singular values
    top = u[:, :15]
    np.testing.assert_allclose(basis.T @ basis, top @ top.T, atol=1e-3)
    # unseen kernels (another seed, the training range at x2) come back from 15 numbers
    rng = np.random.default_rng(123)
    for _ in range(20):
        k = K.sample_kernel(rng, 15, (0.6, 2.0), 0.5).ravel()
        back = mean + basis.T @ (basis @ (k - mean))
        assert np.linalg.norm(back - k) < 0.08 * np.linalg.norm(k)


def test_blur_downsample_against_references():
    image = load("camera", mode="gray")[100:164, 200:264].astype(np.float32) / 255
    k = K.gaussian_kernel(15, 1.3, 0.7, 0.4)
    blurred = ndimage.convolve(image.astype(np.float64), k, mode="reflect")
    direct = K.blur_downsample(image, k, 2, "direct")
    np.testing.assert_allclose(direct, blurred[::2, ::2], atol=1e-5)
    bic = K.blur_downsample(image, k, 2, "bicubic")
    np.testing.assert_allclose(bic, imresize(np.clip(blurred, 0, 1), 0.5), atol=1e-5)
    plain = K.blur_downsample(image, K.gaussian_kernel(15, 0.0), 3)
    np.testing.assert_allclose(plain, imresize(image, 1 / 3), atol=1e-6)
    rgb = np.dstack([image] * 3)[..., :1]
    assert K.blur_downsample(rgb, k, 2).shape == (32, 32, 1)


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_srmd_shapes_and_config(scale):
    net = build_network("srmd", scale, channels=3, features=8, depth=3, kernel_size=9,
                        components=6)
    deg = torch.rand(2, 82)
    with torch.no_grad():
        assert net(torch.rand(2, 3, 7, 5), deg).shape == (2, 3, 7 * scale, 5 * scale)
    again = build_network(**net.config())
    assert again.config() == net.config() and again.basis.shape == (6, 81)
    paper = build_network("srmd", 2, channels=3)
    assert sum(isinstance(m, torch.nn.Conv2d) for m in paper.modules()) == 12
    assert paper.body[0].out_channels == 128 and paper.body[0].in_channels == 3 + 15 + 1


def test_degradation_maps():
    net = build_network("srmd", 2, channels=3, features=8, depth=3).eval()
    k = K.gaussian_kernel(15, 1.6, 0.9, 1.0)
    deg = torch.from_numpy(np.stack([K.degradation_vector(k, 10.0),
                                     K.degradation_vector(K.gaussian_kernel(15, 0.5), 0.0)]))
    seen = {}
    net.body[0].register_forward_hook(lambda m, i, o: seen.update(x=i[0]))
    x = torch.rand(2, 3, 6, 5)
    with torch.no_grad():
        net(x, deg)
    maps = seen["x"]
    assert maps.shape == (2, 3 + 15 + 1, 6, 5)
    torch.testing.assert_close(maps[:, :3], x)
    basis, mean = K.kernel_basis()
    code = basis @ (k.ravel().astype(np.float32) - mean)
    for c in range(15):  # each code value stretched over the whole map
        torch.testing.assert_close(maps[0, 3 + c], torch.full((6, 5), float(code[c])),
                                   atol=1e-5, rtol=0)
    torch.testing.assert_close(maps[0, -1], torch.full((6, 5), 10 / 255))
    assert bool(torch.all(maps[1, -1] == 0))


def test_training_items_and_y_noise():
    cfg = RestoreConfig(model="srmd", image_size=30, scale=3, repeat=2)
    cfg.validate()
    items = Patches(["astronaut"], cfg, seed=0)
    lr, deg, hr = items[0]
    assert lr.shape == (3, 10, 10) and hr.shape == (3, 30, 30) and deg.shape == (226,)
    kernel = deg[:-1].numpy().reshape(15, 15)
    assert kernel.sum() == pytest.approx(1.0, abs=1e-5) and 0 <= deg[-1] * 255 <= 55
    again = Patches(["astronaut"], cfg, seed=0)[0]
    torch.testing.assert_close(again[1], deg)
    noise = np.random.default_rng(0).normal(0, 0.1, (200, 200, 3))
    y = rgb_to_ycbcr(0.5 + noise)[..., 0]
    assert y.std() == pytest.approx(0.1 * Y_NOISE, rel=0.02)


@pytest.fixture(scope="module")
def srmd_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("srmd_photos")
    image = load("astronaut", mode="rgb")
    write_image(root / "train" / "a.png", image[40:136, 160:256])
    write_image(root / "val" / "b.png", image[300:396, 200:296])
    out = tmp_path_factory.mktemp("runs") / "srmd"
    train_restorer(root, RestoreConfig(**TINY), out, progress=False)
    return out, root


def test_tiny_srmd_trains_and_upscales(srmd_run):
    out, root = srmd_run
    history = read_metrics(out)
    assert history[-1]["train_loss"] < history[0]["train_loss"]
    assert max(h["val_psnr"] for h in history) > history[0]["val_psnr"]
    hr = load("astronaut", mode="rgb")[300:396, 200:296]
    low = K.synthesize_lr(hr, 2, K.gaussian_kernel(15, 1.6), 5, np.random.default_rng(0))
    up = upscale(low, 2, "srmd", run=out, blur=1.6, noise=5)
    assert up.shape == hr.shape and up.dtype == np.uint8
    assert psnr(hr, up, y_channel=True, shave=2) > 8  # four tiny epochs: far from bicubic
    tiled = upscale(low, 2, run=out, blur=1.6, noise=5, tile=24, overlap=4)
    assert psnr(up, tiled) > 30
    by_kernel = upscale(low, 2, run=out, kernel=K.gaussian_kernel(9, 1.6), noise=5)
    assert psnr(up, by_kernel) > 40  # a 9x9 kernel zero-padded to 15x15: nearly the same
    estimated = upscale(low, 2, run=out, blur=1.6)  # noise estimated from the image
    assert estimated.shape == hr.shape
    gray = upscale(low[..., 0], 2, run=out, blur=1.6, noise=5)
    assert gray.shape == hr.shape[:2]
    report = evaluate_restorer(out, root / "val", blur=1.6, noise=5)
    assert report["blur"] == 1.6 and report["images"][0]["psnr"] > 12


def test_bad_degradation_inputs(srmd_run):
    out, _ = srmd_run
    low = np.zeros((16, 16, 3), np.uint8)
    with pytest.raises(ParameterError, match="blur"):
        upscale(low, 2, run=out, noise=5)  # non-blind: no kernel given
    with pytest.raises(ParameterError, match="blur"):
        upscale(low, 2, run=out, blur=1.0, kernel=K.gaussian_kernel(15, 1.0))
    with pytest.raises(ParameterError, match="blur"):
        upscale(low, 2, run=out, blur=-1.0)
    with pytest.raises(ShapeError, match="kernel"):
        upscale(low, 2, run=out, kernel=np.ones((4, 4)))
    with pytest.raises(ShapeError, match="kernel"):
        upscale(low, 2, run=out, kernel=np.ones((17, 17)))
    with pytest.raises(ParameterError, match="kernel"):
        upscale(low, 2, run=out, kernel=-np.ones((3, 3)))
    with pytest.raises(ParameterError, match="noise"):
        upscale(low, 2, run=out, blur=1.0, noise=300)
    with pytest.raises(ParameterError, match="x2"):
        upscale(low, 3, run=out, blur=1.0, noise=0)
    with pytest.raises(ParameterError, match="run"):
        upscale(low, 2, "srmd", blur=1.0)
    with pytest.raises(ParameterError, match="blur"):
        upscale(low, 2, "bicubic", blur=1.0)


@pytest.mark.parametrize("bad", [
    {"blur": (2.0, 1.0)}, {"blur": (-1.0, 1.0)}, {"anisotropic": 1.5},
    {"downsample": "nearest"}, {"kernel_size": 14}, {"components": 0},
    {"components": 300}, {"target": "noisy"},
])
def test_bad_srmd_settings(bad):
    with pytest.raises(ParameterError, match=next(iter(bad))):
        RestoreConfig(model="srmd", **bad).validate()


@pytest.mark.parametrize(("model", "option"), [
    ("edsr", {"blur": (0.5, 2.0)}), ("espcn", {"kernel_size": 9}), ("edsr", {"components": 8}),
    ("srcnn", {"downsample": "direct"}), ("edsr", {"anisotropic": 0.0}),
])
def test_srmd_settings_need_srmd(model, option):
    RestoreConfig(model="srmd", **option).validate()
    with pytest.raises(ParameterError, match=f"{next(iter(option))}: .*srmd"):
        RestoreConfig(model=model, **option).validate()


def test_cli_upscale_srmd(srmd_run, tmp_path):
    out, _ = srmd_run
    runner = CliRunner()
    write_image(tmp_path / "lr.png", load("astronaut", mode="rgb")[40:72, 160:200])
    np.save(tmp_path / "k.npy", K.gaussian_kernel(7, 1.2))
    (tmp_path / "bad.txt").write_text("1 2\n3 4\n")
    base = ["upscale", str(tmp_path / "lr.png"), "--scale", "2", "--run", str(out), "-o",
            str(tmp_path / "up.png")]
    res = runner.invoke(app, [*base, "--blur", "1.6", "--noise", "10"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, [*base, "--kernel", str(tmp_path / "k.npy")])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, [*base, "--noise", "10"])
    assert res.exit_code == 2 and "blur" in res.output and "Traceback" not in res.output
    res = runner.invoke(app, [*base, "--kernel", str(tmp_path / "bad.txt")])
    assert res.exit_code == 2 and "kernel" in res.output
    res = runner.invoke(app, [*base[:4], "--blur", "1.0", "-o", str(tmp_path / "b.png")])
    assert res.exit_code == 2 and "srmd" in res.output


@pytest.mark.slow
def test_srmd_beats_bicubic_on_blurred_input(tmp_path):
    """A small SRMD trained ~1 minute on the embedded photos restores a blurred x2 input
    (Gaussian 1.6, unseen image) better than bicubic upscaling and than a bicubic-trained
    ESPCN of the same budget."""
    cfg = {**TINY, "features": 32, "depth": 6, "epochs": 12, "repeat": 32, "batch_size": 16,
           "image_size": 48, "val_size": 96, "val_images": 2, "lr": 2e-3, "schedule": "cosine",
           "blur": (1.0, 2.2), "sigma": (0.0, 5.0)}
    train_restorer(None, RestoreConfig(**cfg), tmp_path / "srmd", progress=False)
    espcn = {**cfg, "model": "espcn", "features": 0, "depth": 0, "blur": None,
             "sigma": (0.0, 55.0)}
    train_restorer(None, RestoreConfig(**espcn), tmp_path / "espcn", progress=False)
    hr = load("chelsea", mode="rgb")[:288, :288]
    low = K.synthesize_lr(hr, 2, K.gaussian_kernel(15, 1.6), 0, np.random.default_rng(0))
    scores = {name: psnr(hr, fn(), y_channel=True, shave=2) for name, fn in {
        "bicubic": lambda: upscale(low, 2),
        "espcn": lambda: upscale(low, 2, run=tmp_path / "espcn"),
        "srmd": lambda: upscale(low, 2, run=tmp_path / "srmd", blur=1.6, noise=0)}.items()}
    assert scores["srmd"] > scores["bicubic"] + 1.0, scores
    assert scores["srmd"] > scores["espcn"] + 1.0, scores


def test_cli_empty_kernel_file_is_one_line(tmp_path):
    write_image(tmp_path / "lr.png", load("astronaut", mode="rgb")[40:72, 160:200])
    (tmp_path / "empty.npy").write_bytes(b"")
    res = CliRunner().invoke(app, ["upscale", str(tmp_path / "lr.png"), "--scale", "2",
                                   "--kernel", str(tmp_path / "empty.npy"),
                                   "-o", str(tmp_path / "up.png")])
    assert res.exit_code == 2, res.output
    assert "empty.npy" in res.output and "Traceback" not in res.output


def test_blur_is_a_convolution_for_an_asymmetric_kernel():
    """``down_s(image * kernel)``: a one-sided kernel blurs as scipy's convolution (reflected
    borders), not as the correlation (which mirrors it)."""
    rng = np.random.default_rng(0)
    image = rng.random((20, 24)).astype(np.float32)
    kernel = np.zeros((5, 5), np.float32)
    kernel[2, 2], kernel[2, 4], kernel[0, 3] = 0.5, 0.3, 0.2
    got = K.blur_downsample(image, kernel, 1)
    want = ndimage.convolve(image, kernel, mode="reflect")
    np.testing.assert_allclose(got, want, atol=1e-6)
    assert np.abs(got - ndimage.correlate(image, kernel, mode="reflect")).max() > 0.05
