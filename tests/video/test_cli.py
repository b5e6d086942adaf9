"""``oculi video info|frames|clip|sheet`` through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from oculi.cli.main import app
from oculi.video import open_video, write_video

runner = CliRunner()


def test_video_commands(tmp_path: Path) -> None:
    frames = [np.full((32, 48, 3), 8 * i, np.uint8) for i in range(20)]
    src = tmp_path / "in.mp4"
    write_video(src, frames, fps=20)
    res = runner.invoke(app, ["video", "info", str(src), "--json", str(tmp_path / "i.json")])
    assert res.exit_code == 0, res.output
    info = json.loads((tmp_path / "i.json").read_text())
    assert info["frames"] == 20 and info["fps"] == 20.0 and (info["height"], info["width"]) == (
        32, 48)
    res = runner.invoke(app, ["video", "clip", str(src), "-o", str(tmp_path / "c.mp4"),
                              "--start", "4", "--length", "5", "--stride", "2"])
    assert res.exit_code == 0, res.output
    with open_video(tmp_path / "c.mp4") as r:
        assert len(r) == 5 and r.fps == 10.0
        assert abs(float(r.read(1).mean()) - 8 * 6) < 3
    res = runner.invoke(app, ["video", "frames", str(src), "-o", str(tmp_path / "f"),
                              "--step", "10"])
    assert res.exit_code == 0 and sorted(p.name for p in (tmp_path / "f").iterdir()) == [
        "000000.png", "000010.png"]
    res = runner.invoke(app, ["video", "sheet", str(src), "-o", str(tmp_path / "s.png"),
                              "--count", "4", "--columns", "2", "--width", "48"])
    assert res.exit_code == 0 and (tmp_path / "s.png").is_file()


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    res = runner.invoke(app, ["video", "info", str(tmp_path / "none.mp4")])
    assert res.exit_code == 2 and "no such video" in res.output
    (tmp_path / "x.mp4").write_text("nope")
    res = runner.invoke(app, ["video", "clip", str(tmp_path / "x.mp4"), "-o",
                              str(tmp_path / "o.mp4")])
    assert res.exit_code == 2 and "not a" in res.output
    assert "Traceback" not in res.output
