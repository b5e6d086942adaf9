"""Multi-clip test (the mean of the clips' softmax) and long-video timelines: ``oculi action
VIDEO --run RUN`` on a generated video whose square slides right, then left."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from oculi.action.clipdata import ClipTensors
from oculi.action.clips import clip_dataset
from oculi.action.config import ActionConfig
from oculi.action.models import ActionNet
from oculi.action.predict import clip_probabilities, video_timeline
from oculi.action.sampling import MultiSegments, UniformSegments
from oculi.action.task import evaluate_action, train_action
from oculi.cli.main import app
from oculi.core.errors import ParameterError
from tests.action._synthetic import direction_clip


def test_multi_segments_spread_inside_each_segment():
    for n in (8, 9, 31, 100):
        assert np.array_equal(MultiSegments(1, 8)(n)[0], UniformSegments(8)(n))
    idx = MultiSegments(3, 4)(100)
    assert idx.shape == (3, 4) and (np.diff(idx, axis=0) > 0).all()
    assert (idx // 25 == np.arange(4)).all()              # every pick inside its segment


def test_multi_clip_scores_are_the_mean_of_single_clip_scores():
    torch.manual_seed(0)
    net = ActionNet("tsm", ["a", "b", "c"], clip_len=4, channels=1, width=8).eval()
    clips = torch.rand(2, 3, 1, 4, 32, 32)                # 2 videos x 3 clips
    averaged = clip_probabilities(net, clips)
    single = torch.stack([clip_probabilities(net, clips[:, j]) for j in range(3)]).mean(0)
    assert averaged.shape == (2, 3)
    assert torch.allclose(averaged, single, atol=1e-6)
    assert torch.allclose(averaged.sum(1), torch.ones(2))
    assert not torch.allclose(averaged, clip_probabilities(net, clips[:, 0]))


@pytest.fixture(scope="module")
def direction_run(tmp_path_factory):
    """A 3-D model trained for seconds on 32x32 squares sliding left or right."""
    root = tmp_path_factory.mktemp("dir")
    lines = ["file,label,group"]
    for d in ("left", "right"):
        for i in range(24):
            np.savez_compressed(root / f"{d}{i}.npz", original=direction_clip(d, 50 * (d == "left") + i))
            lines.append(f"{d}{i}.npz,{d},g{i % 4}")
    (root / "labels.csv").write_text("\n".join(lines) + "\n")
    cfg = ActionConfig(model="r2plus1d", size=32, clip_len=8, width=8, flip=False, crop_scale=1.0,
                       epochs=6, repeat=2, batch_size=8, lr=3e-3, weight_decay=0.0, dropout=0.0,
                       warmup_epochs=0.0, threads=1, device="cpu", holdout_groups=("g3",))
    train_action(root, cfg, root / "run", progress=False)
    return root


def test_evaluate_with_several_clips_per_video(direction_run):
    ds = clip_dataset(direction_run, min_frames=8)
    one = evaluate_action(direction_run / "run", direction_run, groups="g3", clips=1)
    three = evaluate_action(direction_run / "run", direction_run, groups="g3", clips=3)
    assert one["test_clips"] == 1 and three["test_clips"] == 3
    assert len(three["clips"]) == sum(g == "g3" for g in ds.groups)
    item = ClipTensors(ds.items[:1], ["left", "right"], sampling="segments", clip_len=8,
                       stride=2, size=32, channels=1, clips=3)[0][0]
    assert item.shape == (3, 1, 8, 32, 32)


def _video(path, fps: float = 25.0):
    """48 frames: a square slides right for 24 frames, then left for 24 (an .avi file)."""
    from oculi.video import write_video

    frames = np.zeros((48, 32, 32, 3), np.uint8)
    for t in range(48):
        x = 4 + t if t < 24 else 4 + 47 - t
        frames[t, 12:17, x:x + 5] = 255
    write_video(path, frames, fps=fps)
    return path


def test_cli_action_timeline(direction_run, tmp_path):
    video = _video(tmp_path / "back_and_forth.avi")
    runner = CliRunner()
    res = runner.invoke(app, ["action", str(video), "--run", str(direction_run / "run"),
                              "--window", "0.64", "--stride", "0.32", "--json",
                              str(tmp_path / "t.json"), "-o", str(tmp_path / "strip.png")])
    assert res.exit_code == 0, res.output
    got = json.loads((tmp_path / "t.json").read_text())
    windows = got["windows"]
    assert [w["start_s"] for w in windows] == pytest.approx([0.0, 0.32, 0.64, 0.96, 1.28])
    for w in windows:
        assert sum(w["probabilities"]) == pytest.approx(1.0, abs=1e-5)
    assert windows[0]["label"] == "right" and windows[-1]["label"] == "left"
    segments = got["segments"]
    assert segments[0]["start_s"] == 0.0 and segments[-1]["end_s"] == pytest.approx(1.92)
    assert all(a["end_s"] == b["start_s"] for a, b in itertools.pairwise(segments))
    from oculi.io import read_image

    strip = read_image(tmp_path / "strip.png")
    assert strip.shape[1] == 960 and strip.shape[0] > 150


def test_timeline_refuses_a_window_shorter_than_the_clip(direction_run, tmp_path):
    video = _video(tmp_path / "v.avi")
    with pytest.raises(ParameterError, match="window"):
        video_timeline(direction_run / "run", video, window=0.1)


@pytest.mark.parametrize("bad", ["missing", "notvideo", "stride", "gradcam"])
def test_cli_action_bad_input_is_one_line_exit_2(direction_run, tmp_path, bad):
    video = _video(tmp_path / "v.avi")
    args = ["action", str(video), "--run", str(direction_run / "run")]
    if bad == "missing":
        args[1] = str(tmp_path / "nope.mp4")
    elif bad == "notvideo":
        (tmp_path / "x.avi").write_text("not a video")
        args[1] = str(tmp_path / "x.avi")
    elif bad == "gradcam":
        args += ["--gradcam", str(tmp_path / "cam.xyz")]  # not a picture format: refused first
    else:
        args += ["--stride", "0"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 2, res.output
    assert len(res.output.strip().splitlines()) == 1 and "Traceback" not in res.output
