from __future__ import annotations

import cv2
import numpy as np
import pytest

from oculi.core.errors import ParameterError
from oculi.data import load
from oculi.track.synthetic import synthetic_sequence


def test_seeded_and_shaped():
    a = synthetic_sequence(6, size=(120, 160), target_size=(32, 28), seed=5)
    b = synthetic_sequence(6, size=(120, 160), target_size=(32, 28), seed=5)
    c = synthetic_sequence(6, size=(120, 160), target_size=(32, 28), seed=6)
    assert all(np.array_equal(a.read(i), b.read(i)) for i in range(6))
    assert np.array_equal(a.boxes, b.boxes) and not np.array_equal(a.boxes, c.boxes)
    assert a.read(0).dtype == np.uint8 and a.read(0).shape == (120, 160, 3)
    assert a.boxes.shape == (6, 4) and a.polygons.shape == (6, 8)
    assert a.meta["scale"].shape == (6,) and a.meta["centre"].shape == (6, 2)


def test_ground_truth_box_encloses_the_rendered_target():
    seq = synthetic_sequence(12, size=(180, 240), target_size=(40, 36), noise=0.0, seed=2)
    background = cv2.resize(load("coffee", mode="rgb"), (240, 180), interpolation=cv2.INTER_AREA)
    for i in (0, 5, 11):
        changed = np.abs(seq.read(i).astype(int) - background).max(axis=2) > 0
        ys, xs = np.nonzero(changed)
        found = [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]
        # the changed pixels span the box to within a pixel (edge pixels are partly covered)
        assert np.abs(np.array(found) - seq.boxes[i]).max() <= 1.0
        # the box's centre is the target's centre (+0.5: box convention) and polygon = box hull
        centre = (seq.boxes[i, :2] + seq.boxes[i, 2:]) / 2
        assert centre == pytest.approx(seq.meta["centre"][i] + 0.5, abs=1e-3)
        p = seq.polygons[i]
        assert [p[0::2].min(), p[1::2].min(), p[0::2].max(), p[1::2].max()] == pytest.approx(
            seq.boxes[i].tolist(), abs=1e-3)


def test_motion_ranges():
    seq = synthetic_sequence(60, scale_range=(0.8, 1.2), max_rotation=10, seed=0)
    assert seq.meta["scale"].min() >= 0.8 - 1e-9 and seq.meta["scale"].max() <= 1.2 + 1e-9
    assert np.abs(seq.meta["angle"]).max() <= 10 + 1e-9
    assert seq.meta["scale"].max() - seq.meta["scale"].min() > 0.2  # it does change
    step = np.linalg.norm(np.diff(seq.meta["centre"], axis=0), axis=1)
    assert 0.5 < step.mean() < 3.0  # about speed=2.5 px/frame
    h, w = 240, 320
    assert (seq.boxes[:, :2] >= 0).all() and (seq.boxes[:, 2] <= w).all()
    assert (seq.boxes[:, 3] <= h).all()


def test_occlusion_interval():
    seq = synthetic_sequence(40, occlusion=(20, 30), seed=0)
    vis = seq.meta["visibility"]
    assert (vis[:20] == 1).all() and (vis[30:] == 1).all()
    assert vis[24:26].max() < 0.05  # fully hidden in the middle of the interval
    assert 0 < vis[20] < 1 or 0 < vis[21] < 1  # partly at the start
    assert seq.meta["occlusion"] == (20, 30)


@pytest.mark.parametrize("kwargs", [
    {"n_frames": 1},
    {"target_size": (4, 4)},
    {"size": (60, 80)},
    {"scale_range": (1.2, 1.0)},
    {"occlusion": (0, 5)},
    {"occlusion": (5, 50)},
    {"speed": -1.0},
])
def test_bad_parameters(kwargs):
    args = {"n_frames": 10, **kwargs}
    with pytest.raises(ParameterError):
        synthetic_sequence(**args)
