"""``oculi detect`` option checks through Typer's CliRunner."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from oculi.cli.main import app
from oculi.data import load
from oculi.io import write_image

runner = CliRunner()


def test_nan_or_inf_score_threshold_is_a_one_line_error(tmp_path):
    # --score-threshold nan was accepted (every comparison with NaN is false: no boxes, exit 0)
    src = write_image(tmp_path / "a.png", load("astronaut"))
    for bad in ("nan", "inf", "-inf"):
        res = runner.invoke(app, ["detect", str(src), "--model", "lbp-face",
                                  "--score-threshold", bad, "-o", str(tmp_path / "o.png")])
        assert res.exit_code == 2, res.output
        lines = [ln for ln in res.output.splitlines() if ln.strip()]
        assert len(lines) == 1, res.output
        assert lines[0].startswith("oculi: error: --score-threshold: expected a finite number")
    assert not (tmp_path / "o.png").exists()
    res = runner.invoke(app, ["detect", str(src), "--model", "lbp-face", "--score", "0"])
    assert res.exit_code == 0, res.output


def test_face_detector_files_by_weights(tmp_path):
    from tests.conftest import SHARED_DATA

    src = write_image(tmp_path / "a.png", load("astronaut"))
    # yunet without its file: one line, once, not once per input
    res = runner.invoke(app, ["detect", str(src), str(src), "--model", "yunet"])
    assert res.exit_code == 2, res.output
    assert res.output.strip().splitlines() == [
        "oculi: error: yunet: needs its ONNX file; pass weights=PATH (CLI --weights PATH), e.g. "
        "face_detection_yunet_2023mar.onnx from opencv_zoo models/face_detection_yunet"]
    # the old haar-face without a file still runs (the LBP cascade) and says so once
    res = runner.invoke(app, ["detect", str(src), str(src), "--model", "haar-face"])
    assert res.exit_code == 0, res.output
    assert res.output.count("oculi: warning: haar-face without weights is deprecated") == 1
    onnx = SHARED_DATA.parent / "models" / "face" / "face_detection_yunet_2026may.onnx"
    if not onnx.is_file():
        pytest.skip(f"shared YuNet model not found at {onnx}")
    res = runner.invoke(app, ["detect", str(src), "--model", "yunet", "--weights", str(onnx)])
    assert res.exit_code == 0, res.output
    line = res.output.splitlines()[1].split()
    assert line[0] == "face" and 0.6 <= float(line[1]) <= 1.0
    x0, y0, x1, y1 = map(float, line[2:])
    assert 170 < x0 < 190 and 55 < y0 < 75 and 260 < x1 < 280 and 165 < y1 < 185
