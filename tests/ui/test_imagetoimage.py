"""The image-to-image tab in the browser: its compressed picture equals oculi.compress.at_bpp's,
its style transfer equals oculi.stylize.stylize's on the same inputs and settings."""

from __future__ import annotations

import numpy as np
import pytest

from tests.ui.conftest import UI


def _action(ui: UI, name: str) -> None:
    ui.page.locator("#img2img-action").get_by_text(name, exact=True).click()


def test_img2img_tab_compresses_like_the_library(ui: UI) -> None:
    from oculi.compress import at_bpp, ms_ssim
    from oculi.io import decode_image, read_image
    from oculi.restore import psnr

    path = ui.example("astronaut")
    ui.tab("img2img")
    ui.upload("img2img-in", path)
    _action(ui, "compression")
    ui.page.locator("#img2img-bpp input[type=number]").fill("0.4")
    try:
        assert ui.run("img2img") == ""
        ui.wait_image("img2img-out")
        rows = dict(ui.table("img2img-table"))
        shown = decode_image(ui.fetch(ui.file_url("img2img-files", ".png")))
        coded = ui.fetch(ui.file_url("img2img-files", ".jpeg"))
    finally:
        _action(ui, "style transfer")
    image = read_image(path, mode="rgb")
    ref = at_bpp("jpeg", image, 0.4)
    assert coded == ref.data
    assert np.array_equal(shown, ref.image)
    assert int(rows["quality"]) == ref.quality
    assert float(rows["bpp"]) == pytest.approx(ref.bpp, abs=1e-4)
    assert abs(ref.bpp - 0.4) < 0.1  # the search did reach the target
    assert float(rows["PSNR (dB)"]) == pytest.approx(psnr(image, ref.image), abs=1e-3)
    assert float(rows["MS-SSIM"]) == pytest.approx(ms_ssim(image, ref.image), abs=1e-5)


def test_img2img_tab_stylizes_like_the_library(ui: UI) -> None:
    from oculi.io import decode_image, read_image
    from oculi.stylize import stylize

    ui.tab("img2img")
    ui.use_example("img2img", 0)  # chelsea restyled by coffee
    ui.page.locator("#img2img-size input[type=number]").fill("64")
    ui.page.locator("#img2img-steps input[type=number]").fill("3")
    ui.page.locator("#img2img-color input[type=checkbox]").check()
    assert ui.run("img2img") == ""
    ui.wait_image("img2img-out")
    shown = decode_image(ui.fetch(ui.file_url("img2img-files", ".png")))
    rows = dict(ui.table("img2img-table"))
    content = read_image(ui.example("chelsea"), mode="rgb")
    ref = stylize(content, read_image(ui.example("coffee"), mode="rgb"), image_size=64,
                  steps=3, preserve_color="luminance", progress=False)
    assert np.array_equal(shown, ref.image)
    assert int(rows["loss evaluations"]) == 3
    assert max(ref.image.shape[:2]) == 64
    ui.screenshot("img2img")


def test_img2img_tab_translates_like_the_library(tmp_path) -> None:
    from oculi.core.errors import DataError, ParameterError
    from oculi.generate.img2img_apply import load_img2img, translate
    from oculi.generate.img2img_config import Pix2PixConfig
    from oculi.generate.img2img_task import train_pix2pix
    from oculi.io import read_image, write_image
    from oculi.ui.context import make_context
    from oculi.ui.tabs.imagetoimage import run

    rng = np.random.default_rng(0)
    for split in ("train", "val"):
        for i in range(8):
            a = rng.integers(0, 256, (16, 16, 3), np.uint8)
            write_image(tmp_path / "pairs" / split / "A" / f"{i}.png", a)
            write_image(tmp_path / "pairs" / split / "B" / f"{i}.png", 255 - a)
    train_pix2pix(tmp_path / "pairs", Pix2PixConfig(epochs=1, image_size=16, width=8,
                                                    critic_width=8, batch_size=8, threads=1,
                                                    val_images=8), tmp_path / "run",
                  progress=False)
    image = tmp_path / "in.png"
    write_image(image, rng.integers(0, 256, (20, 24, 3), np.uint8))
    ctx = make_context(tmp_path / "work")
    args = (str(image), None, "translation", 64, 3, False, "jpeg", 0.5, ctx)
    out, rows, files = run(*args, str(tmp_path / "run"))
    ref = translate(load_img2img(tmp_path / "run"), read_image(image, mode="rgb"))
    assert ref.shape == (20, 24, 3)
    assert np.array_equal(read_image(out, mode="unchanged"), ref)
    assert rows == [["size (WxH)", "24x20"]] and len(files) == 2
    with pytest.raises(ParameterError, match="run: translation needs"):
        run(*args, " ")
    with pytest.raises(DataError, match="pix2pix/cyclegan"):  # not a run of theirs
        run(*args, str(tmp_path / "pairs"))
