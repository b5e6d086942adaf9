"""The restoration tab in the browser: the denoised example equals oculi.restore's result;
without it, a lowlight run enhances and an SRMD run upscales with blur/noise through the tab's
handler exactly as oculi.restore does, and bad input gives the library's one-line error."""

from __future__ import annotations

import numpy as np
import pytest

from oculi.core.errors import DataError, ParameterError
from oculi.io import read_image, write_image
from oculi.ui.context import make_context
from oculi.ui.tabs.restore import run
from tests.restore.conftest import photo_folder
from tests.ui.conftest import UI
from tests.ui.test_track import open_tab


def test_restore_tab_denoises_like_the_library(ui: UI) -> None:
    from oculi.io import decode_image, read_image
    from oculi.restore import denoise, estimate_noise, psnr

    path = ui.example("restore-noisy")
    open_tab(ui, "restore")
    ui.upload("restore-in", path)
    assert ui.run("restore") == ""
    ui.wait_image("restore-out2")
    shown = decode_image(ui.fetch(ui.file_url("restore-files", ".png")))
    noisy = read_image(path, mode="unchanged")
    ref = denoise(noisy, estimate_noise(noisy), "nlm")
    assert np.array_equal(shown, ref)
    assert np.array_equal(ui.image("restore-out"), ref)
    assert psnr(ref, noisy) < 25  # it did change the picture
    ui.screenshot("restore")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A tiny Zero-DCE++ run of ``oculi train lowlight`` and a tiny SRMD run of ``oculi train
    restore`` (a few seconds each), and a small dark / low-resolution input image."""
    from oculi.restore.config import RestoreConfig
    from oculi.restore.lowlight_config import LowlightConfig
    from oculi.restore.lowlight_task import train_lowlight
    from oculi.restore.task import train_restorer

    photos = photo_folder(tmp_path_factory.mktemp("photos"), 48)
    root = tmp_path_factory.mktemp("runs")
    train_lowlight(photos, LowlightConfig(model="zero-dce++", scale_factor=4, epochs=1,
                                          image_size=32, crop_min=32, crop_max=48, repeat=2,
                                          batch_size=4, val_size=32, val_images=1,
                                          threads=1), root / "lowlight", progress=False)
    train_restorer(photos, RestoreConfig(model="srmd", features=8, depth=3, epochs=1, repeat=2,
                                         batch_size=4, image_size=32, val_size=32,
                                         val_images=1, threads=1), root / "srmd",
                   progress=False)
    train_restorer(photos, RestoreConfig(problem="denoise", features=8, depth=3, epochs=1,
                                         repeat=2, batch_size=4, image_size=32, val_size=32,
                                         val_images=1, threads=1), root / "dncnn",
                   progress=False)
    image = root / "small.png"
    write_image(image, np.rint(read_image(photos / "val" / "b.png", mode="rgb") * 0.3)
                .astype(np.uint8)[:24, :20])
    return root / "lowlight", root / "srmd", image


def test_tab_enhances_with_a_lowlight_run(runs, tmp_path) -> None:
    from oculi.restore import enhance

    lowlight, _, image = runs
    out, _, rows, files = run(str(image), "enhance", "lime", 2, None, "", str(lowlight),
                              make_context(tmp_path))
    ref = enhance(read_image(image, mode="unchanged"), run=lowlight, method=None)
    assert np.array_equal(read_image(out, mode="unchanged"), ref)
    assert rows[0][1] == "the run's" and len(files) == 2
    assert not np.array_equal(ref, read_image(image, mode="unchanged"))


def test_tab_upscales_with_an_srmd_run_and_its_degradation(runs, tmp_path) -> None:
    from oculi.restore import upscale

    _, srmd, image = runs
    ctx = make_context(tmp_path)
    low = read_image(image, mode="unchanged")
    for blur, noise in ((1.2, 5.0), (0.0, None)):  # None: the noise is estimated
        out, *_ = run(str(image), "upscale", "bicubic", 2, None, "", str(srmd), ctx, blur,
                      noise)
        ref = upscale(low, 2, run=srmd, blur=blur, noise=noise)
        assert ref.shape == (48, 40, 3)
        assert np.array_equal(read_image(out, mode="unchanged"), ref)
    other = upscale(low, 2, run=srmd, blur=2.5, noise=5.0)
    assert not np.array_equal(other, ref)  # the degradation reaches the network


def test_tab_denoises_with_a_dncnn_run_under_the_default_method(runs, tmp_path) -> None:
    from oculi.restore import denoise

    lowlight, _, image = runs
    dncnn = lowlight.parent / "dncnn"
    out, _, rows, _ = run(str(image), "denoise", "nlm", 2, None, "", str(dncnn),
                          make_context(tmp_path))
    ref = denoise(read_image(image, mode="unchanged"), run=dncnn)  # method None: dncnn
    assert np.array_equal(read_image(out, mode="unchanged"), ref)
    assert rows[0][1] == "the run's"


def test_tab_refuses_bad_runs_and_degradations(runs, tmp_path) -> None:
    lowlight, srmd, image = runs
    ctx = make_context(tmp_path)
    with pytest.raises(ParameterError, match="blur"):   # an srmd run needs its blur
        run(str(image), "upscale", "bicubic", 2, None, "", str(srmd), ctx)
    with pytest.raises(ParameterError, match="blur"):
        run(str(image), "upscale", "bicubic", 2, None, "", str(srmd), ctx, -1.0)
    with pytest.raises(ParameterError, match="blur: expected a width"):
        run(str(image), "upscale", "bicubic", 2, None, "", str(srmd), ctx, "wide")
    with pytest.raises(ParameterError, match="blur"):   # bicubic takes no degradation
        run(str(image), "upscale", "bicubic", 2, None, "", "", ctx, 1.0)
    with pytest.raises(DataError, match="not a lowlight checkpoint"):  # a run of the other kind
        run(str(image), "enhance", "lime", 2, None, "", str(srmd), ctx)
    with pytest.raises(DataError, match="restore"):
        run(str(image), "upscale", "bicubic", 2, None, "", str(lowlight), ctx, 1.0)
