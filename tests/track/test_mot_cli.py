"""``oculi mot`` and ``oculi mot eval`` through Typer's CliRunner (the topic app itself)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest
from bench.mot import perturbed_results
from typer.testing import CliRunner

import oculi.cli.mot as cli
from oculi.track.mot_io import MOTRows, read_mot, read_sequence, write_mot
from oculi.track.mot_metrics import MOTMetrics, evaluate_mot
from tests.conftest import shared_set

runner = CliRunner()


@pytest.fixture(scope="module")
def mot17():
    return shared_set("mot17_mini")


def test_eval_one_sequence(mot17, tmp_path):
    seq = read_sequence(mot17 / "MOT17-02-FRCNN")
    res = perturbed_results(seq.gt, np.random.default_rng(0))
    write_mot(tmp_path / "res.txt", res)
    out = runner.invoke(cli.app, ["eval", str(seq.folder), str(tmp_path / "res.txt"),
                                  "--json", str(tmp_path / "m.json")])
    assert out.exit_code == 0, out.output
    assert "MOTA" in out.output and "MOT17-02-FRCNN" in out.output
    expected = evaluate_mot(seq.gt, read_mot(tmp_path / "res.txt"), motchallenge=True)
    got = json.loads((tmp_path / "m.json").read_text())["results"]["MOT17-02-FRCNN"]["summary"]
    for key in ("MOTA", "IDF1", "HOTA", "IDSW"):
        assert got[key] == pytest.approx(expected.summary()[key])
    assert f"{expected.mota:6.3f}" in out.output


def test_eval_folder_of_sequences_pools(mot17, tmp_path):
    names = ["MOT17-05-FRCNN", "MOT17-09-FRCNN"]
    scored = []
    for k, name in enumerate(names):
        seq = read_sequence(mot17 / name)
        write_mot(tmp_path / "res" / f"{name}.txt",
                  perturbed_results(seq.gt, np.random.default_rng(k)))
        scored.append(evaluate_mot(seq.gt, read_mot(tmp_path / "res" / f"{name}.txt"),
                                   motchallenge=True))
    out = runner.invoke(cli.app, ["eval", str(mot17), str(tmp_path / "res"),
                                  "--json", str(tmp_path / "m.json")])
    assert out.exit_code == 0, out.output
    combined = json.loads((tmp_path / "m.json").read_text())["results"]["COMBINED"]["summary"]
    assert combined["HOTA"] == pytest.approx(MOTMetrics.combine(scored).hota)
    assert combined["MOTA"] == pytest.approx(MOTMetrics.combine(scored).mota)


def test_eval_unknown_sequence_is_one_line_and_exit_2(mot17, tmp_path):
    write_mot(tmp_path / "MOT17-99.txt", MOTRows.empty())
    out = runner.invoke(cli.app, ["eval", str(mot17), str(tmp_path / "MOT17-99.txt")])
    assert out.exit_code == 2
    assert "no sequence 'MOT17-99'" in out.output


def test_eval_bad_result_file_names_it_and_exits_2(mot17, tmp_path):
    dup = tmp_path / "dup.txt"
    dup.write_text("1,7,10,10,20,20,1,-1,-1,-1\n1,7,40,40,20,20,1,-1,-1,-1\n")
    out = runner.invoke(cli.app, ["eval", str(mot17 / "MOT17-02-FRCNN"), str(dup)])
    assert out.exit_code == 2
    assert "dup.txt" in out.output and "an id appears twice in frame 1" in out.output


def _gt_detector(seq):
    """A fake ``frame -> Detections``: the sequence's pedestrian boxes, frame after frame."""
    people = seq.gt.select(seq.gt.classes == 1)
    by_frame = iter([rows for _, rows in people.by_frame(np.arange(1, seq.num_frames + 1))])

    def detect(frame):
        assert frame.ndim == 3 and frame.dtype == np.uint8
        rows = next(by_frame)
        return SimpleNamespace(boxes=rows.boxes, scores=np.full(len(rows), 0.9),
                               labels=np.ones(len(rows), np.int64))

    return detect


@pytest.mark.parametrize("tracker", ["sort", "bytetrack"])
def test_track_sequence_folder(mot17, tmp_path, monkeypatch, tracker):
    seq = read_sequence(mot17 / "MOT17-09-FRCNN")
    monkeypatch.setattr(cli, "_load_detector", lambda name, thr: _gt_detector(seq))
    out = runner.invoke(cli.app, [str(seq.folder), "--detector", "fake", "-o",
                                  str(tmp_path / "t.txt"), "--tracker", tracker,
                                  "--json", str(tmp_path / "s.json")])
    assert out.exit_code == 0, out.output
    res = read_mot(tmp_path / "t.txt")
    m = evaluate_mot(seq.gt, res, motchallenge=True)
    assert m.idsw == 0 and m.fp == 0 and m.mota > 0.9  # perfect boxes: only the births lag
    summary = json.loads((tmp_path / "s.json").read_text())
    assert summary["frames"] == 4 and summary["tracker"] == tracker


def test_track_video_file(tmp_path, monkeypatch):
    from oculi.video import write_video

    frames = [np.full((64, 96, 3), 40 * k, np.uint8) for k in range(5)]
    write_video(tmp_path / "clip.mp4", frames, fps=10)
    boxes = [np.array([[5.0 + 4 * k, 10, 25 + 4 * k, 50]]) for k in range(5)]
    it = iter(boxes)
    monkeypatch.setattr(cli, "_load_detector", lambda name, thr: lambda f: (next(it), [0.9]))
    out = runner.invoke(cli.app, [str(tmp_path / "clip.mp4"), "-d", "fake", "-o",
                                  str(tmp_path / "t.txt"), "--tracker", "bytetrack"])
    assert out.exit_code == 0, out.output
    res = read_mot(tmp_path / "t.txt")
    np.testing.assert_array_equal(res.frames, [1, 2, 3, 4, 5])
    assert set(res.ids.tolist()) == {1}
    np.testing.assert_allclose(res.boxes[-1], boxes[-1][0], atol=1.5)


def test_track_with_hog_people(mot17, tmp_path):
    """A real detector end to end: OpenCV's HOG people detector on MOT17-05 (640x480)."""
    seq = read_sequence(mot17 / "MOT17-05-FRCNN")
    out = runner.invoke(cli.app, [str(seq.folder), "--detector", "hog-people", "-o",
                                  str(tmp_path / "t.txt")])
    assert out.exit_code == 0, out.output
    m = evaluate_mot(seq.gt, read_mot(tmp_path / "t.txt"), motchallenge=True)
    assert m.tp > 5 and m.hota > 0.15  # HOG finds some of the pedestrians
