"""place_insert: the insert lands on the tracked plane and stays behind the occluders."""

from __future__ import annotations

import numpy as np
import pytest

from oculi.core.errors import ShapeError
from oculi.data import load
from oculi.place import make_sequence
from oculi.place.harness import plane_mask
from oculi.place.metrics import corner_errors, mask_iou
from oculi.place.pipeline import place_insert

SIZE = (180, 320)


@pytest.fixture(scope="module")
def clip():
    return make_sequence(40, SIZE, "pan", seed=3)


def test_insert_lands_on_the_plane_behind_the_occluders(clip):
    insert = load("coffee", mode="rgb")
    placement = place_insert(clip.frames, insert, corners=clip.corners_true[0],
                             reference=clip.plane_texture)
    assert placement.start == 0 and len(placement) == len(clip)
    assert np.nanmax(corner_errors(placement.tracks, clip.H_true, clip.canvas_size)) < 1.0
    outs = list(placement)
    assert [p.index for p in outs] == list(range(len(clip)))
    ious = []
    for p in outs[5:]:
        i = p.index
        inside = plane_mask(clip.H_true[i], clip.canvas_size, SIZE)
        changed = np.abs(p.image.astype(int) - clip.frames[i].astype(int)).max(axis=2) > 12
        shown = inside & ~clip.occluder_masks[i]
        assert changed[shown].mean() > 0.8  # the insert replaced the plane ...
        assert changed[~inside].mean() < 0.02  # ... and nothing outside it
        if clip.occluder_masks[i].sum() > 500:  # (a sliver leaving the plane is often missed)
            ious.append(mask_iou(p.mask, clip.occluder_masks[i]))
            # what the occlusion model flags stays as it was (in front of the insert)
            assert changed[p.mask & clip.occluder_masks[i]].mean() < 0.02
    assert len(ious) > 5 and np.mean(ious) > 0.75


def test_rgba_insert_and_bad_insert(clip):
    rgba = np.zeros((40, 60, 4), np.uint8)
    rgba[..., 0] = 255
    rgba[:, :30, 3] = 255  # left half opaque red, right half transparent
    placement = place_insert(clip.frames[:3], rgba, corners=clip.corners_true[0],
                             canvas_size=clip.canvas_size, occlusion=False)
    out = next(iter(placement)).image.astype(int)
    src = clip.frames[0].astype(int)
    c = clip.corners_true[0]
    y = int((c[0, 1] + c[3, 1]) / 2)
    x_left = int(c[0, 0] + 0.2 * (c[1, 0] - c[0, 0]))
    x_right = int(c[0, 0] + 0.8 * (c[1, 0] - c[0, 0]))
    assert np.abs(out[y, x_left] - src[y, x_left]).max() > 20  # opaque half replaced
    assert np.abs(out[y, x_right] - src[y, x_right]).max() < 12  # transparent half kept
    with pytest.raises(ShapeError, match="insert"):
        place_insert(clip.frames[:3], np.zeros((10, 10), np.float32),
                     corners=clip.corners_true[0])


def test_tour_section_quick(tmp_path):
    from oculi.place.tour import section
    from oculi.report import Report

    report = Report("t", "")
    section(report, tmp_path, quick=True)
    page = report.write(tmp_path / "out")
    html = page.read_text()
    assert "Product placement" in html and "place-mask" in html
    # the full tracker's row beats plain KLT's on median error in the table
    assert html.count("<tr>") >= 3


def test_frames_without_the_plane_pass_through_and_the_insert_returns():
    seq = make_sequence(26, SIZE, "pan", occluders=False, cover=(8, 14))
    placement = place_insert(seq.frames, load("coffee", mode="rgb"),
                             corners=seq.corners_true[0], reference=seq.plane_texture)
    outs = list(placement)
    hidden = [p.index for p in outs if not p.track.visible]
    assert set(hidden) >= set(range(9, 14)) and max(hidden) < 16
    for i in hidden:
        assert np.array_equal(outs[i].image, seq.frames[i]) and not outs[i].mask.any()
    last = outs[-1]
    inside = plane_mask(seq.H_true[-1], seq.canvas_size, SIZE)
    changed = np.abs(last.image.astype(int) - seq.frames[-1].astype(int)).max(axis=2) > 12
    assert changed[inside].mean() > 0.8 and not last.mask.any()
