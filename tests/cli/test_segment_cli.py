"""``oculi segment`` option checks through Typer's CliRunner (the model is a small untrained
network; training and prediction end to end are in tests/segment/test_cli.py)."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from oculi.cli.main import app
from oculi.io import read_image, write_image

runner = CliRunner()


@pytest.fixture(scope="module")
def net():
    import torch

    from oculi.segment import create_segmenter

    torch.manual_seed(0)
    return create_segmenter("unet", num_classes=2, pretrained=False).eval()


def _error(res) -> str:
    assert res.exit_code == 2, res.output
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("oculi: error:"), res.output
    assert "Traceback" not in res.output
    return lines[0]


def test_tile_below_the_model_stride_and_nan_threshold_are_errors(tmp_path, monkeypatch, net):
    # --tile 0 was accepted (silently: whole image), --threshold nan too
    import oculi.segment

    monkeypatch.setattr(oculi.segment, "load_segmenter", lambda run: net)
    stride = max(net.stride)
    src = write_image(tmp_path / "a.png", np.full((80, 80, 3), 120, np.uint8))
    base = ["segment", str(src), "--run", str(tmp_path / "run"), "-o", str(tmp_path / "m.png")]
    assert "--tile: expected a number > 0, got 0" in _error(runner.invoke(app, [*base, "--tile",
                                                                                 "0"]))
    assert "got -5" in _error(runner.invoke(app, [*base, "--tile", "-5"]))
    line = _error(runner.invoke(app, [*base, "--tile", str(stride - 1)]))
    assert f"--tile: expected at least the model's stride, {stride} pixels" in line
    for bad in ("nan", "-0.1", "1.5"):
        line = _error(runner.invoke(app, [*base, "--threshold", bad]))
        assert "--threshold: expected a number in [0, 1]" in line
    assert not (tmp_path / "m.png").exists()
    res = runner.invoke(app, [*base, "--tile", str(stride)])
    assert res.exit_code == 0, res.output
    assert read_image(tmp_path / "m.png", mode="unchanged").shape == (80, 80)
