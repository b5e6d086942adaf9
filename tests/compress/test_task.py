"""The ``compress`` task (a tiny run on the embedded photos) and ``oculi compress`` /
``oculi decompress`` with it."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from oculi.cli.main import app
from oculi.compress import CompressConfig, find_codec, quality_lambda, reconstruct_image
from oculi.core.errors import DataError, ParameterError
from oculi.data import load
from oculi.io import read_image, write_image

runner = CliRunner()
TINY = dict(channels=8, latent_channels=12, image_size=64, val_size=64, val_images=1, repeat=1,
            batch_size=4, device="cpu", quality=3, lr=2e-3)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    from oculi.compress import train_codec

    out = tmp_path_factory.mktemp("runs") / "q3"
    result = train_codec(None, CompressConfig(epochs=2, **TINY), out, progress=False)
    return out, result


def test_training_lowers_the_rd_loss_and_resumes(run, tmp_path):
    out, result = run
    first, last = result.history[0], result.history[-1]
    assert last["val_loss"] < first["val_loss"]
    assert {"val_bpp", "val_psnr", "bpp", "aux_loss"} <= set(last)
    # the monitor is λ·255²·MSE + bpp of the real streams
    mse = 10 ** (-last["val_psnr"] / 10)
    assert last["val_loss"] >= last["val_bpp"] > 0
    assert last["val_loss"] == pytest.approx(quality_lambda(3) * 255 ** 2 * mse + last["val_bpp"],
                                             rel=0.5)
    model = find_codec(out, 3)
    assert model.quality == 3 and model.lmbda == quality_lambda(3)


def test_resume_and_init(run, tmp_path):
    from oculi.compress import train_codec

    out, _ = run
    copy = tmp_path / "q3"
    import shutil

    shutil.copytree(out, copy)
    resumed = train_codec(None, CompressConfig(epochs=3, **TINY), copy, resume=True,
                          progress=False)
    assert [h["epoch"] for h in resumed.history] == [0, 1, 2]
    init = train_codec(None, CompressConfig(epochs=1, init=str(out), model="factorized",
                                            **TINY), tmp_path / "fact", progress=False)
    summary = json.loads((tmp_path / "fact" / "data.json").read_text())
    assert summary["init_tensors"] > 10 and init.history


def test_cli_compress_decompress(run, tmp_path):
    out, _ = run
    image = load("chelsea", mode="rgb")[:200, :260]
    write_image(tmp_path / "in.png", image)
    res = runner.invoke(app, ["compress", str(tmp_path / "in.png"), "-o",
                              str(tmp_path / "x.oculi"), "--run", str(out.parent),
                              "--quality", "3", "--json", str(tmp_path / "c.json")])
    assert res.exit_code == 0, res.output
    summary = json.loads((tmp_path / "c.json").read_text())
    assert summary["bpp"] == pytest.approx(8 * (tmp_path / "x.oculi").stat().st_size
                                           / (200 * 260))
    assert 0 < summary["ms_ssim"] <= 1 and summary["quality"] == 3
    res = runner.invoke(app, ["decompress", str(tmp_path / "x.oculi"), "-o",
                              str(tmp_path / "out.png"), "--run", str(out.parent)])
    assert res.exit_code == 0, res.output
    decoded = read_image(tmp_path / "out.png", mode="rgb")
    assert np.array_equal(decoded, reconstruct_image(image, find_codec(out)))
    from oculi.restore import psnr

    assert psnr(image, decoded) == pytest.approx(summary["psnr"])


def test_cli_bad_inputs(run, tmp_path):
    out, _ = run
    (tmp_path / "junk.oculi").write_bytes(b"OCUL\x01\x01")
    res = runner.invoke(app, ["decompress", str(tmp_path / "junk.oculi"), "-o",
                              str(tmp_path / "o.png"), "--run", str(out)])
    assert res.exit_code == 2 and "junk.oculi: truncated" in res.output
    res = runner.invoke(app, ["compress", str(tmp_path / "none.png"), "-o",
                              str(tmp_path / "x.oculi"), "--run", str(out)])
    assert res.exit_code == 2 and "none.png" in res.output
    res = runner.invoke(app, ["compress", str(tmp_path / "none.png"), "-o", "x.oculi",
                              "--run", str(out.parent)])
    assert res.exit_code == 2
    write_image(tmp_path / "in.png", load("chelsea", mode="rgb")[:64, :64])
    res = runner.invoke(app, ["compress", str(tmp_path / "in.png"), "-o",
                              str(tmp_path / "x.png"), "--run", str(out)])
    assert res.exit_code == 2 and "x.png" in res.output and ".oculi" in res.output
    assert not (tmp_path / "x.png").exists()  # no bit stream under an image's name
    with pytest.raises(DataError, match="pick one with --quality"):
        find_codec(out.parent)
    with pytest.raises(DataError, match="no run for quality 5"):
        find_codec(out.parent, 5)
    with pytest.raises(ParameterError, match="quality-3 run"):
        find_codec(out, 4)
    with pytest.raises(ParameterError, match="quality"):
        find_codec(out, 9)
    with pytest.raises(ParameterError, match="gan: the GAN codec is a hyperprior"):
        CompressConfig(gan=True, model="factorized").validate()
    CompressConfig(gan=True).validate()


def test_eval_compress_cli(run, tmp_path):
    out, _ = run
    data = tmp_path / "refs"
    data.mkdir()
    image = load("astronaut", mode="rgb")[:192, :256]
    write_image(data / "a.png", image)
    res = runner.invoke(app, ["eval", "compress", str(out), str(data), "-o",
                              str(tmp_path / "ev")])
    assert res.exit_code == 0, res.output
    report = json.loads((tmp_path / "ev" / "report.json").read_text())
    row = report["details"]["images"][0] if "details" in report else report["images"][0]
    model = find_codec(out)
    from oculi.compress import compress_image
    from oculi.restore import psnr

    assert row["bpp"] == pytest.approx(8 * len(compress_image(image, model)) / (192 * 256))
    assert row["psnr"] == pytest.approx(psnr(image, reconstruct_image(image, model)))
    assert abs(row["baseline_bpp"] - row["bpp"]) < 0.5
    assert "a.png" in (tmp_path / "ev" / "per_image.csv").read_text()


def test_bad_training_files_are_skipped_and_reported(tmp_path):
    from oculi.compress import train_codec

    data = tmp_path / "photos"
    data.mkdir()
    for i, name in enumerate(("astronaut", "coffee", "chelsea", "rocket")):
        write_image(data / f"{i}.png", load(name, mode="rgb")[:128, :128])
    (data / "2b_broken.png").write_bytes(b"not a png")
    write_image(data / "2c_tiny.png", np.zeros((20, 20, 3), np.uint8))
    cfg = CompressConfig(epochs=1, **dict(TINY, with_embedded=False, val_split=0.2))
    result = train_codec(data, cfg, tmp_path / "run", progress=False)
    assert sorted(k.split("/")[-1] for k in result.skipped) == ["2b_broken.png", "2c_tiny.png"]
    assert result.history and np.isfinite(result.history[-1]["val_loss"])


def test_eval_compress_scores_images_too_small_for_ms_ssim(run, tmp_path):
    """A 160-pixel reference ended the whole evaluation with 'MS-SSIM needs at least 176', an
    unreadable file with its read error."""
    out, _ = run
    data = tmp_path / "refs"
    data.mkdir()
    write_image(data / "a.png", load("astronaut", mode="rgb")[:192, :256])
    write_image(data / "small.png", load("coffee", mode="rgb")[:160, :160])
    (data / "broken.png").write_bytes(b"not a png")  # skipped and reported, not the end
    res = runner.invoke(app, ["eval", "compress", str(out), str(data), "-o",
                              str(tmp_path / "ev")])
    assert res.exit_code == 0, res.output
    report = json.loads((tmp_path / "ev" / "report.json").read_text())
    rows = {r["image"]: r for r in report["images"]}
    assert rows["small.png"]["ms_ssim"] is None and rows["small.png"]["psnr"] > 0
    assert report["val_ms_ssim"] == pytest.approx(rows["a.png"]["ms_ssim"])
    assert "small.png," in (tmp_path / "ev" / "per_image.csv").read_text()
    assert "broken.png" in report["skipped"] and "skipped broken.png" in res.output


def test_decompress_with_a_single_run_goes_by_the_model_not_the_quality_byte(run, tmp_path):
    """A file whose header names another quality than the single run passed with --run was
    refused with 'drop --quality', an option decompress does not have; the model id decides."""
    from oculi.compress import compress_image
    from oculi.compress.bitstream import Header, pack, unpack

    out, _ = run
    image = load("chelsea", mode="rgb")[:64, :64]
    model = find_codec(out)
    header, streams = unpack(compress_image(image, model))
    other = Header(header.kind, 5, header.model_id, header.height, header.width)
    (tmp_path / "x.oculi").write_bytes(pack(other, streams))
    res = runner.invoke(app, ["decompress", str(tmp_path / "x.oculi"), "-o",
                              str(tmp_path / "o.png"), "--run", str(out)])
    assert res.exit_code == 0, res.output
    assert np.array_equal(read_image(tmp_path / "o.png", mode="rgb"),
                          reconstruct_image(image, model))
