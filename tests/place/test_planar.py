"""The planar tracker against the harness's exact ground truth."""

from __future__ import annotations

import numpy as np
import pytest

from oculi.core.errors import DataError, NoMatchError, ParameterError, ShapeError
from oculi.data import load
from oculi.place import PlaneTrackerConfig, make_sequence, track_plane
from oculi.place.metrics import corner_errors, error_summary, jitter, track_report
from oculi.place.smoothing import smooth_corners

SIZE = (180, 320)


@pytest.fixture(scope="module")
def pan_clip():
    return make_sequence(120, SIZE, "pan", seed=1)


def _run(seq, **cfg):
    return track_plane(seq.frames, corners=seq.corners_true[0], canvas_size=seq.canvas_size,
                       config=PlaneTrackerConfig(**cfg))


def test_short_clip_with_every_effect_stays_sub_pixel(pan_clip):
    tracks = _run(pan_clip)
    assert len(tracks) == len(pan_clip)
    summary = error_summary(corner_errors(tracks, pan_clip.H_true, pan_clip.canvas_size))
    assert summary["lost"] == 0
    assert summary["median"] < 0.3
    assert summary["p95"] < 1.0


def test_reanchoring_removes_the_drift_of_plain_klt(pan_clip):
    full = track_report(_run(pan_clip), pan_clip.H_true, pan_clip.canvas_size)
    klt = track_report(_run(pan_clip, mode="klt"), pan_clip.H_true, pan_clip.canvas_size)
    assert full["drift"] < 0.5
    assert klt["drift"] > 5 * full["drift"]


def test_oculi_estimator_agrees():
    seq = make_sequence(15, SIZE, "perspective", occluders=False)
    errs = corner_errors(_run(seq, estimator="oculi"), seq.H_true, seq.canvas_size)
    assert np.nanmax(errs) < 1.0


def test_recovery_after_full_cover():
    seq = make_sequence(45, SIZE, "pan", occluders=False, cover=(15, 25))
    tracks = _run(seq)
    visible = np.array([t.visible for t in tracks])
    assert not visible[16:25].any()  # covered: reported as not visible
    assert visible[26:].all()
    errs = corner_errors(tracks, seq.H_true, seq.canvas_size)
    assert np.nanmax(errs[27:]) < 1.0


def test_recovery_after_the_plane_leaves_the_frame():
    seq = make_sequence(90, SIZE, "exit", occluders=False)
    tracks = _run(seq)
    visible = np.array([t.visible for t in tracks])
    assert not visible[35:45].any()  # the plane is out of the frame
    assert visible[75:].all()
    errs = corner_errors(tracks, seq.H_true, seq.canvas_size)
    assert np.nanmax(errs[75:]) < 1.0


def test_reference_image_and_backward_tracking():
    seq = make_sequence(20, SIZE, "zoom", occluders=False)
    found = track_plane(seq.frames, reference=seq.plane_texture, config=PlaneTrackerConfig())
    errs = corner_errors(found, seq.H_true, seq.canvas_size)
    assert np.nanmax(errs) < 1.0
    back = track_plane(seq.frames, corners=seq.corners_true[10], frame_index=10,
                       canvas_size=seq.canvas_size)
    assert back[10].note == "start"
    errs = corner_errors(back, seq.H_true, seq.canvas_size)
    assert np.nanmax(errs) < 1.0


def test_corners_with_a_reference_image():
    seq = make_sequence(20, SIZE, "perspective", seed=2)
    tracks = track_plane(seq.frames, corners=seq.corners_true[5], frame_index=5,
                         reference=seq.plane_texture)
    assert np.nanmax(corner_errors(tracks, seq.H_true, seq.canvas_size)) < 1.0


def test_smoother_removes_noise_without_lag_on_a_step():
    rng = np.random.default_rng(0)
    n = 100
    truth = np.zeros((n, 4, 2))
    truth[:, :, 0] = np.arange(n)[:, None] * 1.5  # steady motion ...
    truth[50:, :, 1] += 20.0  # ... and a 20-px jump at frame 50
    noisy = truth + rng.normal(0, 0.1, truth.shape)
    smooth = smooth_corners(noisy)
    err_raw = np.linalg.norm(noisy - truth, axis=2).mean(axis=1)
    err_smooth = np.linalg.norm(smooth - truth, axis=2).mean(axis=1)
    steady = np.r_[5:45, 55:95]
    assert err_smooth[steady].mean() < 0.7 * err_raw[steady].mean()
    # no lag: around the step, the smoothed corners are as close to the truth as the raw ones
    assert np.abs(err_smooth[48:53] - err_raw[48:53]).max() < 0.05
    acc = lambda c: np.linalg.norm(np.diff(c - truth, 2, axis=0), axis=2)  # noqa: E731
    assert acc(smooth)[steady[:-2]].mean() < 0.7 * acc(noisy)[steady[:-2]].mean()


def test_smoothing_lowers_jitter_on_the_harness(pan_clip):
    smooth = _run(pan_clip)
    raw = _run(pan_clip, smooth=False)
    j_s = jitter(smooth, pan_clip.H_true, pan_clip.canvas_size)
    j_r = jitter(raw, pan_clip.H_true, pan_clip.canvas_size)
    assert j_s < j_r


def test_bad_inputs(pan_clip):
    frames = pan_clip.frames[:3]
    with pytest.raises(ParameterError, match="not convex"):
        track_plane(frames, corners=[10, 10, 100, 100, 100, 10, 10, 100])
    with pytest.raises(ShapeError, match="8 numbers"):
        track_plane(frames, corners=[10, 10, 100, 10, 100])
    with pytest.raises(DataError, match="start frame 5"):
        track_plane(frames, corners=pan_clip.corners_true[0], frame_index=5)
    with pytest.raises(ParameterError, match="or both"):
        track_plane(frames)
    noise = [np.random.default_rng(i).integers(0, 255, (*SIZE, 3), dtype=np.uint8)
             for i in range(3)]
    with pytest.raises(NoMatchError, match="never found"):
        track_plane(noise, reference=pan_clip.plane_texture)
    with pytest.raises(ParameterError):
        track_plane(frames, corners=pan_clip.corners_true[0],
                    config=PlaneTrackerConfig(mode="fast"))


def test_a_large_reference_is_sampled_down_to_the_canvas_cap():
    import cv2

    from oculi.place.planar import MAX_CANVAS

    seq = make_sequence(8, SIZE, "pan", occluders=False)
    big = cv2.resize(seq.plane_texture, (1600, 1200), interpolation=cv2.INTER_CUBIC)
    tracks = track_plane(seq.frames, reference=big)
    # the canvas is 600 x 800, not 1200 x 1600: corners are the same plane's
    assert tracks[0].corners[2, 0] == pytest.approx(
        (tracks[0].H @ [MAX_CANVAS - 1, 599, 1])[0] / (tracks[0].H @ [MAX_CANVAS - 1, 599, 1])[2])
    assert np.nanmax(corner_errors(tracks, seq.H_true, seq.canvas_size)) < 1.0


def _plain_patch_clip(n=20):
    """A camera panning over a photo with a plain grey panel on it: exact panel corners."""
    scene = load("astronaut", mode="rgb").copy()
    scene[150:230, 180:330] = (128, 128, 128)  # the panel: no texture at all
    frames, truth = [], []
    for i in range(n):
        dx, dy = 2 * i, i
        frames.append(np.ascontiguousarray(scene[40 + dy:40 + dy + 240, 60 + dx:60 + dx + 320]))
        c = np.array([[180, 150], [329, 150], [329, 229], [180, 229]], float)
        truth.append(c - [60 + dx, 40 + dy])
    return frames, np.array(truth)


def test_a_plain_quadrilateral_is_tracked_by_its_surroundings():
    frames, truth = _plain_patch_clip()
    tracks = track_plane(frames, corners=truth[0])
    est = np.stack([t.corners for t in tracks])
    assert all(t.visible for t in tracks)
    assert np.abs(est - truth).max() < 0.5
    alone = track_plane(frames, corners=truth[0], config=PlaneTrackerConfig(context=0))
    assert not alone[-1].visible  # without its surroundings the panel cannot be followed
