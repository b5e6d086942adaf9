"""The activity tab in the browser: the motion-history picture of the example clip is
oculi.action's; with a run folder the segments are oculi.action's timeline; a file that is not a
clip reads as an oculi error."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import oculi.ui.tabs.action  # noqa: F401  (registers the tab)
from tests.ui.conftest import UI
from tests.ui.test_track import open_tab, upload_file


def test_action_tab_shows_the_motion_history_of_the_library(ui: UI) -> None:
    from oculi.action import hu_moments, load_clip, motion_history, motion_masks
    from oculi.core.convert import ensure_uint8

    clip = ui.example("track-clip")
    open_tab(ui, "action")
    upload_file(ui, "action-in", clip)
    ui.page.locator("#action-trained textarea").fill("")
    assert ui.run("action") == ""
    mhi = motion_history(motion_masks(load_clip(clip), threshold=0.03))
    shown = ui.image("action-out")
    assert np.array_equal(shown[..., 0] if shown.ndim == 3 else shown, ensure_uint8(mhi))
    assert 0.01 < (mhi > 0).mean() < 0.9  # the moving patch, not the whole frame
    rows = ui.table("action-table")
    assert [float(r[2]) for r in rows] == [round(float(h), 4) for h in hu_moments(mhi)]
    ui.screenshot("action")


@pytest.fixture(scope="module")
def action_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3-D action model trained for one epoch on squares sliding left or right."""
    from oculi.action.config import ActionConfig
    from oculi.action.task import train_action
    from tests.action._synthetic import direction_clip

    root = tmp_path_factory.mktemp("action-run")
    lines = ["file,label,group"]
    for d in ("left", "right"):
        for i in range(4):
            np.savez_compressed(root / f"{d}{i}.npz", original=direction_clip(d, 50 * i))
            lines.append(f"{d}{i}.npz,{d},g{i % 2}")
    (root / "labels.csv").write_text("\n".join(lines) + "\n")
    cfg = ActionConfig(model="r2plus1d", size=32, clip_len=8, width=8, flip=False,
                       crop_scale=1.0, epochs=1, repeat=1, batch_size=8, warmup_epochs=0.0,
                       threads=1, device="cpu", holdout_groups=("g1",))
    train_action(root, cfg, root / "run", progress=False)
    return root / "run"


@pytest.mark.slow
def test_action_tab_timeline_is_the_library_one(ui: UI, action_run: Path) -> None:
    from oculi.action.predict import video_timeline
    from oculi.ui.tabs.action import segment_lines

    clip = ui.example("track-clip")
    open_tab(ui, "action")
    upload_file(ui, "action-in", clip)
    ui.page.locator("#action-trained textarea").fill(str(action_run))
    ui.page.locator("#action-window input[type=number]").fill("0.6")
    ui.page.locator("#action-stride input[type=number]").fill("0.3")
    assert ui.run("action") == ""
    ui.wait_image("action-out3")
    ref = video_timeline(action_run, clip, window=0.6, stride=0.3).json_dict()
    shown = json.loads(ui.fetch(ui.file_url("action-files", ".json")))["timeline"]
    assert len(shown["windows"]) == len(ref["windows"]) >= 3
    np.testing.assert_allclose([w["probabilities"] for w in shown["windows"]],
                               [w["probabilities"] for w in ref["windows"]], atol=1e-5)
    text = ui.page.locator("#action-text textarea").input_value()
    assert text == segment_lines(ref["segments"]) != ""
    ui.page.locator("#action-trained textarea").fill("")


def test_action_tab_bad_upload_reads_as_an_oculi_error(ui: UI, tmp_path: Path) -> None:
    bad = tmp_path / "dance.avi"
    bad.write_text("not a clip\n")
    open_tab(ui, "action")
    upload_file(ui, "action-in", bad)
    message = ui.run("action", expect_error=True)
    assert bad.name in message and "unexpected" not in message
