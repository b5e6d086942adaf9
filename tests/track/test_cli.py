from __future__ import annotations

import json

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from oculi.cli._common import OculiGroup
from oculi.io import write_image
from oculi.track import xyxy_to_xywh
from oculi.track.evaluate import box_iou
from oculi.track.synthetic import synthetic_sequence

runner = CliRunner()


def _app() -> typer.Typer:
    """``oculi`` itself once ``track`` is in its TOPICS; until then a root holding the topic."""
    from oculi.cli import main

    if any(t[0] == "track" for t in main.TOPICS):
        return main.app
    from oculi.cli.track import app as track_app

    root = typer.Typer(cls=OculiGroup, no_args_is_help=True)
    root.callback()(lambda: None)
    root.add_typer(track_app, name="track")
    return root


@pytest.fixture(scope="module")
def seq():
    return synthetic_sequence(16, size=(120, 160), target_size=(32, 28), scale_range=(1, 1),
                              max_rotation=0, seed=4)


def _folder(path, seq, *, otb=False):
    img = path / "img" if otb else path
    img.mkdir(parents=True)
    for i in range(len(seq)):
        write_image(img / f"{i + 1:04d}.png", seq.read(i))
    if otb:
        xywh = xyxy_to_xywh(seq.boxes).astype(np.float64)
        xywh[:, :2] += 1  # OTB is 1-based
        np.savetxt(path / "groundtruth_rect.txt", xywh, fmt="%.3f", delimiter="\t")
    return path


def _init(seq) -> str:
    return ",".join(f"{v:.2f}" for v in xyxy_to_xywh(seq.boxes[0]))


def test_track_a_folder_writes_video_and_json(tmp_path, seq):
    from oculi.video import open_video

    folder = _folder(tmp_path / "frames", seq)
    out, js = tmp_path / "out.mp4", tmp_path / "t.json"
    res = runner.invoke(_app(), ["track", str(folder), "--init", _init(seq), "--method",
                                 "medianflow", "-o", str(out), "--json", str(js)])
    assert res.exit_code == 0, res.output
    assert "16 frames, medianflow, lost on 0" in res.output
    data = json.loads(js.read_text())
    boxes = np.array(data["boxes_xyxy"])
    assert float(box_iou(boxes, seq.boxes).mean()) > 0.85  # measured 0.95
    with open_video(out) as video:
        assert len(video) == 16 and video.read(3).shape == (120, 160, 3)
        # the box is drawn in green on the output
        x1, y1 = (round(v) for v in boxes[3][:2])
        r, g, b = video.read(3)[y1 + 1, x1 + 10].tolist()
        assert g > 150 and r < 100 and b < 100


def test_track_a_video_file(tmp_path, seq):
    from oculi.video import VideoWriter

    src = tmp_path / "clip.mp4"
    with VideoWriter(src, fps=10) as vw:
        for frame in seq:
            vw.write(frame)
    res = runner.invoke(_app(), ["track", str(src), "--init", _init(seq), "--method", "csrt",
                                 "--json", str(tmp_path / "t.json")])
    assert res.exit_code == 0, res.output
    data = json.loads((tmp_path / "t.json").read_text())
    assert data["video_fps"] == pytest.approx(10)
    assert float(box_iou(np.array(data["boxes_xyxy"]), seq.boxes).mean()) > 0.75


def test_corrupt_frame_is_skipped_and_reported(tmp_path, seq):
    folder = _folder(tmp_path / "frames", seq)
    bad = folder / "0006.png"
    bad.write_bytes(bad.read_bytes()[:80])
    out, js = tmp_path / "out.mp4", tmp_path / "t.json"
    res = runner.invoke(_app(), ["track", str(folder), "--init", _init(seq), "--method",
                                 "medianflow", "-o", str(out), "--json", str(js)])
    assert res.exit_code == 2
    assert "1 frame(s) failed" in res.output and "frame 5" in res.output
    data = json.loads(js.read_text())
    assert list(data["skipped"]) == ["5"] and len(data["boxes_xyxy"]) == 16
    assert out.is_file()


@pytest.mark.parametrize(("args", "words"), [
    (["no/such/clip.mp4", "--init", "1,1,5,5"], "no such video"),
    (["FRAMES", "--init", "500,10,20,20"], "outside the 160x120 frame"),
    (["FRAMES", "--init", "10,10,0,20"], "zero-size"),
    (["FRAMES", "--init", "10,10,20"], "four numbers"),
    (["FRAMES", "--init", "10,10,20,20", "--method", "csrtt"], "did you mean 'csrt'"),
    (["FRAMES", "--init", "10,10,20,20", "--method", "nanotrack"], "model-dir"),
])
def test_bad_input_is_one_line_exit_2(tmp_path, seq, args, words):
    folder = _folder(tmp_path / "frames", seq)
    args = [str(folder) if a == "FRAMES" else a for a in args]
    res = runner.invoke(_app(), ["track", *args])
    assert res.exit_code == 2, res.output
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("oculi: error:") and words in lines[0]


def test_eval_prints_the_otb_table(tmp_path, seq):
    from oculi.track.datasets import load_sequence
    from oculi.track.evaluate import evaluate_trackers

    a = _folder(tmp_path / "seqA", seq, otb=True)
    other = synthetic_sequence(16, size=(120, 160), target_size=(32, 28), scale_range=(1, 1),
                               max_rotation=0, seed=9)
    b = _folder(tmp_path / "seqB", other, otb=True)
    png, js = tmp_path / "success.png", tmp_path / "e.json"
    res = runner.invoke(_app(), ["track", "eval", str(a), str(b), "--methods",
                                 "mosse,medianflow", "-o", str(png), "--json", str(js)])
    assert res.exit_code == 0, res.output
    assert "AUC" in res.output and "P@20" in res.output and "mosse" in res.output
    assert png.is_file()
    data = json.loads(js.read_text())
    direct = evaluate_trackers(["medianflow"], [load_sequence(a), load_sequence(b)])
    assert data["trackers"]["medianflow"]["auc"] == pytest.approx(
        direct.overall("medianflow")["auc"])
    assert data["trackers"]["medianflow"]["auc"] > 0.7
    res = runner.invoke(_app(), ["track", "eval", str(tmp_path / "nope")])
    assert res.exit_code == 2 and "no such sequence folder" in res.output
