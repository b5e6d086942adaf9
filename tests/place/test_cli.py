"""``oculi place`` and ``oculi place candidates`` through the root command."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from oculi.cli.main import app
from oculi.data import load
from oculi.io import read_image, write_image
from oculi.place import make_sequence
from oculi.place.harness import plane_mask
from oculi.video import open_video, write_video

runner = CliRunner()
SIZE = (180, 320)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("place")
    seq = make_sequence(16, SIZE, "perspective", occluders=False, seed=4)
    write_video(d / "in.mp4", seq.frames, 25.0)
    write_image(d / "insert.png", load("coffee", mode="rgb"))
    write_image(d / "plane.png", seq.plane_texture)
    (d / "broken.png").write_bytes(b"not an image")
    write_image(d / "noise.png", np.random.default_rng(0).integers(0, 255, (72, 96, 3),
                                                                    dtype=np.uint8))
    return d, seq


def _corners(seq, i=0):
    return ",".join(f"{v:.3f}" for v in seq.corners_true[i].ravel())


def test_place_writes_the_video_the_track_and_the_debug_video(files):
    d, seq = files
    res = runner.invoke(app, ["place", str(d / "in.mp4"), str(d / "insert.png"), "--corners",
                              _corners(seq, 4), "--frame", "4", "-o", str(d / "out.mp4"),
                              "--json", str(d / "track.json"),
                              "--debug-video", str(d / "debug.mp4")])
    assert res.exit_code == 0, res.output
    assert "16 frames (16 with the insert)" in res.output
    track = json.loads((d / "track.json").read_text())
    assert track["start"] == 4 and len(track["tracks"]) == 16
    est = np.array([t["corners"] for t in track["tracks"]])
    # through H.264 compression the corners stay within a pixel of the truth
    assert np.abs(est - seq.corners_true).max() < 1.5
    with open_video(d / "out.mp4") as out, open_video(d / "debug.mp4") as dbg:
        assert len(out) == 16 and len(dbg) == 16
        frame = out.read(8)
    inside = plane_mask(seq.H_true[8], seq.canvas_size, SIZE)
    changed = np.abs(frame.astype(int) - seq.frames[8].astype(int)).max(axis=2) > 25
    assert changed[inside].mean() > 0.7 and changed[~inside].mean() < 0.05


def test_place_by_reference_image(files):
    d, seq = files
    res = runner.invoke(app, ["place", str(d / "in.mp4"), str(d / "insert.png"), "--reference",
                              str(d / "plane.png"), "-o", str(d / "ref.mp4"), "--json",
                              str(d / "ref.json")])
    assert res.exit_code == 0, res.output
    est = np.array([t["corners"] for t in json.loads((d / "ref.json").read_text())["tracks"]])
    assert np.abs(est - seq.corners_true).max() < 1.5


@pytest.mark.parametrize(("args", "message"), [
    (["--corners", "10,10,100,100,100,10,10,100"], "not convex"),
    (["--corners", "10,10,100,10,100"], "8 numbers"),
    (["--corners", "10,10,a,10,100,80,10,80"], "8 numbers"),
    (["--corners", "60,40,250,40,250,140,60,140", "--frame", "40"], "only 16 frame"),
    (["--reference", "{d}/noise.png"], "never found"),
    ([], "either as --corners"),
])
def test_bad_input_exits_2_with_one_line(files, args, message):
    d, _ = files
    args = [a.format(d=d) for a in args]
    res = runner.invoke(app, ["place", str(d / "in.mp4"), str(d / "insert.png"), *args,
                              "-o", str(d / "bad.mp4")])
    assert res.exit_code == 2, res.output
    assert message in res.output and len(res.output.strip().splitlines()) == 1
    assert not (d / "bad.mp4").exists()


def test_unreadable_insert(files):
    d, seq = files
    res = runner.invoke(app, ["place", str(d / "in.mp4"), str(d / "broken.png"), "--corners",
                              _corners(seq), "-o", str(d / "bad.mp4")])
    assert res.exit_code == 2 and "broken.png" in res.output
    assert not (d / "bad.mp4").exists()


def test_candidates(files):
    d, _ = files
    res = runner.invoke(app, ["place", "candidates", str(d / "in.mp4"), "-o",
                              str(d / "cands.png"), "--json", str(d / "cands.json")])
    assert res.exit_code == 0, res.output
    found = json.loads((d / "cands.json").read_text())
    assert found["frames"] == 16
    assert f"{len(found['candidates'])} candidate(s) in 16 frames" in res.output
    assert read_image(d / "cands.png", mode="rgb").shape[:2] == SIZE
