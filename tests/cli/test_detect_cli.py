"""``oculi detect`` option checks through Typer's CliRunner."""

from __future__ import annotations

from typer.testing import CliRunner

from oculi.cli.main import app
from oculi.data import load
from oculi.io import write_image

runner = CliRunner()


def test_nan_or_inf_score_threshold_is_a_one_line_error(tmp_path):
    # --score-threshold nan was accepted (every comparison with NaN is false: no boxes, exit 0)
    src = write_image(tmp_path / "a.png", load("astronaut"))
    for bad in ("nan", "inf", "-inf"):
        res = runner.invoke(app, ["detect", str(src), "--model", "haar-face",
                                  "--score-threshold", bad, "-o", str(tmp_path / "o.png")])
        assert res.exit_code == 2, res.output
        lines = [ln for ln in res.output.splitlines() if ln.strip()]
        assert len(lines) == 1, res.output
        assert lines[0].startswith("oculi: error: --score-threshold: expected a finite number")
    assert not (tmp_path / "o.png").exists()
    res = runner.invoke(app, ["detect", str(src), "--model", "haar-face", "--score", "0"])
    assert res.exit_code == 0, res.output
