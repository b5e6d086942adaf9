"""The evaluation harness renders what its ground truth says, and the metrics score exactly."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from oculi.core.errors import ParameterError, ShapeError
from oculi.place import make_sequence, metrics
from oculi.place.harness import plane_mask
from oculi.place.planar import make_track

SIZE = (180, 320)


def _rectified(seq, i):
    h, w = seq.canvas_size
    return cv2.warpPerspective(seq.frames[i], seq.H_true[i], (w, h),
                               flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP).astype(float)


@pytest.mark.parametrize("motion", ["pan", "zoom", "perspective", "shake"])
def test_frames_show_the_texture_where_h_true_says(motion):
    seq = make_sequence(12, SIZE, motion, occluders=False, lighting=False, blur=False)
    assert seq.H_true.shape == (12, 3, 3)
    assert len(seq.frames) == 12 and seq.frames[0].shape == (*SIZE, 3)
    tex = seq.plane_texture.astype(float)
    for i in (0, 11):
        diff = np.abs(_rectified(seq, i) - tex)[3:-3, 3:-3].mean()
        off = np.abs(_rectified(seq, i)[3:-3, 4:-2] - tex[3:-3, 3:-3]).mean()  # 1 px off
        assert diff < 6.0 and diff < 0.5 * off  # resampling only, far below a 1-px error
    # the truth moves: corners travel between the frames
    assert np.abs(seq.corners_true[11] - seq.corners_true[0]).max() > 1.0


def test_lighting_gain_and_blur():
    seq = make_sequence(30, SIZE, "pan", occluders=False, lighting=True, blur=True)
    i = 20
    assert seq.gain[i] == pytest.approx(1 + 0.25 * np.sin(2 * np.pi * i / 90))
    rect = _rectified(seq, i)[6:-6, 6:-6]
    tex = seq.plane_texture.astype(float)[6:-6, 6:-6]
    ok = tex.mean(axis=2) < 180  # away from saturation
    assert np.median(rect[ok] / np.maximum(tex[ok], 1)) == pytest.approx(seq.gain[i], abs=0.04)


def test_occluder_masks_are_exact_and_inside_the_plane():
    seq = make_sequence(60, SIZE, "pan", lighting=False, blur=False, cover=(50, 55))
    counts = seq.occluder_masks.sum(axis=(1, 2))
    assert (counts > 0).sum() > 10
    tex = seq.plane_texture.astype(float)
    for i in np.flatnonzero(counts > 200)[:5]:
        inside = plane_mask(seq.H_true[i], seq.canvas_size, SIZE)
        assert not (seq.occluder_masks[i] & ~inside).any()
        # the rendered frame differs from the plane where the mask says and matches elsewhere
        h, w = SIZE
        expect = cv2.warpPerspective(seq.plane_texture, seq.H_true[i], (w, h)).astype(float)
        d = np.abs(seq.frames[i].astype(float) - expect).mean(axis=2)
        free = cv2.erode((inside & ~seq.occluder_masks[i]).astype(np.uint8), np.ones((5, 5)))
        assert np.median(d[free > 0]) < 3
        assert np.median(d[seq.occluder_masks[i]]) > 10
    assert tex.shape == (*seq.canvas_size, 3)
    for i in range(50, 55):  # the cover hides the whole plane
        inside = plane_mask(seq.H_true[i], seq.canvas_size, SIZE)
        assert (seq.occluder_masks[i] == inside).all()


def test_bad_arguments():
    with pytest.raises(ParameterError):
        make_sequence(5, SIZE, "spin")
    with pytest.raises(ParameterError):
        make_sequence(0, SIZE)
    with pytest.raises(ParameterError):
        make_sequence(5, (16, 16))


def test_metrics_against_known_offsets():
    canvas = (30, 40)
    H = np.tile(np.eye(3), (6, 1, 1))
    H[:, 0, 2] = np.arange(6) * 2.0  # true motion: 2 px/frame to the right
    shifted = [make_track(h @ np.array([[1, 0, 3], [0, 1, 4], [0, 0, 1.0]]), canvas, True, 1, "")
               for h in H]
    errs = metrics.corner_errors(shifted, H, canvas)
    np.testing.assert_allclose(errs, 5.0)
    assert metrics.jitter(shifted, H, canvas) == pytest.approx(0.0, abs=1e-9)
    assert metrics.drift(errs) == pytest.approx(5.0)
    wobbly = list(shifted)
    wobbly[2] = make_track(H[2] @ np.array([[1, 0, 4], [0, 1, 4], [0, 0, 1.0]]), canvas, True, 1,
                           "")
    # second differences at frames 1, 2, 3 get +1, -2, +1 px in x: RMS over 4 triples
    assert metrics.jitter(wobbly, H, canvas) == pytest.approx(np.sqrt(6 / 4))
    lost = list(shifted)
    lost[5] = make_track(H[5], canvas, False, 0, "lost")
    summary = metrics.error_summary(metrics.corner_errors(lost, H, canvas))
    assert summary["lost"] == pytest.approx(1 / 6) and summary["max"] == pytest.approx(5.0)
    with pytest.raises(ShapeError):
        metrics.corner_errors(shifted[:3], H, canvas)


def test_mask_iou():
    a = np.zeros((10, 10), bool)
    b = np.zeros((10, 10), bool)
    a[:, :6] = True
    b[:, 3:] = True
    assert metrics.mask_iou(a, b) == pytest.approx(30 / 100)
    assert metrics.mask_iou(a & False, b & False) == 1.0
    with pytest.raises(ShapeError):
        metrics.mask_iou(a, b[:5])
