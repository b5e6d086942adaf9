"""The ``dcf`` tracker: its features against exact answers, tracking a synthetic target with
exact ground truth (motion, scale, rotation, occlusion), errors, determinism; and (slow) the
issue's acceptance comparison with OpenCV's CSRT on the shared OTB/VOT sequences."""

from __future__ import annotations

import math

import numpy as np
import pytest

from oculi.core.errors import DTypeError, ParameterError, ShapeError
from oculi.track import create_tracker, single_trackers
from oculi.track._dcf_kernels import scale_samples
from oculi.track.dcf import DCFTracker, peak_to_sidelobe
from oculi.track.evaluate import box_iou, evaluate_trackers, run_sequence
from oculi.track.features import ColourHistogram, colour_cells, hog
from oculi.track.synthetic import synthetic_sequence
from tests.conftest import shared_set


@pytest.fixture(scope="module")
def moving():
    """Moves (2.5 px/frame), scales 0.85-1.25 and rotates +-12 degrees; no occlusion."""
    return synthetic_sequence(80, seed=0)


@pytest.fixture(scope="module")
def occluded():
    """The target is fully hidden by a sweeping pillar on a few frames in 30..50."""
    return synthetic_sequence(70, seed=1, occlusion=(30, 50))


def _track(seq, **settings):
    res = run_sequence(DCFTracker(**settings), seq, progress=False)
    return res, box_iou(res.boxes, seq.boxes)


# ------------------------------------------------------------------------------ features
def test_hog_of_a_ramp_votes_in_the_gradient_direction():
    ramp = np.tile(np.linspace(0, 1, 32, dtype=np.float32), (32, 1))  # grows left to right
    f = hog(np.repeat(ramp[:, :, None], 3, axis=2), cell_size=4)
    assert f.shape == (8, 8, 31)
    inner = f[1:-1, 1:-1]
    # all the energy is at 0 degrees: signed bin 0 and unsigned bin 0 (18 + 0)
    assert np.all(np.argmax(inner[..., :18], axis=-1) == 0)
    assert np.allclose(np.delete(inner[..., :27], [0, 18], axis=-1), 0.0, atol=1e-6)
    assert hog(np.full((16, 16), 128, np.uint8)).max() == 0.0  # flat: no gradient at all


def test_hog_turns_with_the_image():
    """Rotating by 180 degrees flips the cell grid and moves every signed bin by 9."""
    img = np.random.default_rng(0).integers(0, 256, (40, 48, 3), dtype=np.uint8)
    a = hog(img)
    b = hog(np.ascontiguousarray(img[::-1, ::-1]))
    flipped = a[::-1, ::-1]
    np.testing.assert_allclose(b[..., :18], np.roll(flipped[..., :18], 9, axis=-1), atol=1e-5)
    np.testing.assert_allclose(b[..., 18:27], flipped[..., 18:27], atol=1e-5)


def test_colour_cells_are_opponent_means():
    img = np.zeros((8, 8, 3), np.uint8)
    img[:, :4] = (255, 0, 0)  # red left half
    img[:, 4:] = (128, 128, 128)  # grey right half
    f = colour_cells(img, cell_size=4)
    np.testing.assert_allclose(f[:, 0], [[1 / 3 - 0.5, 0.5, 0.25]] * 2, atol=1e-6)
    np.testing.assert_allclose(f[:, 1], [[128 / 255 - 0.5, 0.0, 0.0]] * 2, atol=1e-6)


def test_colour_histogram_separates_object_and_background():
    patch = np.zeros((60, 60, 3), np.uint8)
    patch[:] = (20, 40, 200)  # blue background
    patch[20:40, 20:40] = (220, 30, 30)  # red object
    model = ColourHistogram(bits=5, inner_padding=0.2)
    model.fit(patch, (29.5, 29.5), (20.0, 20.0))
    lik = model.likelihood(patch)
    assert lik[30, 30] > 0.99 and lik[5, 5] < 0.01
    never_seen = np.full((2, 2, 3), 255, np.uint8)
    assert np.all(model.likelihood(never_seen) == 0.0)


def test_scale_samples_average_areas_exactly():
    """An 8x8 region at integer pixel edges resampled to 4x4 is the 2x2 block means."""
    rng = np.random.default_rng(1)
    frame = rng.integers(0, 256, (20, 20, 3), dtype=np.uint8)
    lik = rng.random(1 << 15).astype(np.float32)
    # region rows/columns 6..13 (edges 5.5..13.5 in pixel-centre coordinates)
    feats = scale_samples(frame, 9.5, 9.5, np.array([8.0]), np.array([8.0]), 4, 4, 4, lik, 5,
                          2, 1.0, 0.0, np.ones(1, np.float32))
    bins = (((frame[..., 0] >> 3).astype(int) << 10) | ((frame[..., 1] >> 3).astype(int) << 5)
            | (frame[..., 2] >> 3))
    block = lik[bins][6:14, 6:14].reshape(2, 4, 2, 4).mean(axis=(1, 3))
    np.testing.assert_allclose(feats[0], (block - 0.5).ravel(), atol=1e-5)


def test_peak_to_sidelobe():
    resp = np.random.default_rng(2).normal(0, 0.01, (32, 32))
    resp[3, 30] = 1.0
    assert peak_to_sidelobe(resp) > 50
    noise = np.random.default_rng(3).normal(0, 1, (32, 32))
    assert peak_to_sidelobe(noise) < 5


# ------------------------------------------------------------------------------ tracking
def test_registered_and_created_by_name():
    entry = single_trackers.entry("dcf")
    assert entry.meta["family"] == "oculi" and entry.meta["scored"]
    assert isinstance(create_tracker("dcf"), DCFTracker)
    assert isinstance(create_tracker("dcf", merge=0.0), DCFTracker)


def test_follows_a_moving_scaling_rotating_target(moving):
    res, iou = _track(moving)
    # measured: mean IoU 0.90, min 0.74 (rotation makes the axis-aligned truth grow)
    assert iou.mean() > 0.85
    assert iou.min() > 0.65
    assert not res.lost.any()
    assert np.all(res.scores[1:] > 15)  # confident: PSR (measured min 21) far from loss
    # the estimated size follows the truth's, which changes by 1.66x over the sequence
    # (measured: within 17% on every frame)
    size = np.sqrt(np.prod(res.boxes[:, 2:] - res.boxes[:, :2], axis=1))
    truth = np.sqrt(np.prod(moving.boxes[:, 2:] - moving.boxes[:, :2], axis=1))
    assert truth.max() / truth.min() > 1.5
    assert np.abs(np.log(size / truth)).max() < 0.2


def test_reports_lost_under_full_occlusion(occluded):
    res, iou = _track(occluded)
    vis = occluded.meta["visibility"]
    hidden = vis < 0.02
    assert hidden.sum() >= 4
    assert res.lost[hidden].all()  # measured: lost on frames 36..46, hidden on 37..42
    assert not res.lost[:30].any()  # never before the occlusion
    assert not res.lost[-10:].any()  # found again once it reappears
    assert iou[-10:].mean() > 0.7  # measured 0.82


def test_deterministic(moving):
    a, _ = _track(moving)
    b, _ = _track(moving)
    np.testing.assert_array_equal(a.boxes, b.boxes)
    np.testing.assert_array_equal(a.scores[1:], b.scores[1:])


def test_rejects_bad_boxes_frames_and_settings(moving):
    frame = moving.read(0)
    t = DCFTracker()
    with pytest.raises(ParameterError, match="zero-size"):
        t.init(frame, [50, 50, 50, 80])
    with pytest.raises(ParameterError, match="outside"):
        t.init(frame, [400, 10, 450, 60])
    with pytest.raises(ParameterError, match="finite"):
        t.init(frame, [math.nan, 10, 50, 60])
    with pytest.raises(ParameterError, match="2x2"):
        t.init(frame, [10, 10, 11.5, 40])
    with pytest.raises(ShapeError):
        t.init(frame, [10, 10, 50])
    with pytest.raises(ParameterError, match="before init"):
        t.update(frame)
    with pytest.raises(DTypeError):
        t.init(frame.astype(np.float32) / 255, moving.boxes[0])
    t.init(frame, moving.boxes[0])
    with pytest.raises(ShapeError, match="like the first frame"):
        t.update(frame[:100])
    with pytest.raises(ParameterError, match="unknown setting"):
        DCFTracker(padding=2)
    with pytest.raises(ParameterError, match="merge"):
        DCFTracker(merge=1.5)
    with pytest.raises(ParameterError, match="odd"):
        DCFTracker(n_scales=16)


def test_box_partly_outside_the_frame_is_clipped(moving):
    t = DCFTracker()
    frame = moving.read(0)
    t.init(frame, [-20, -10, 30, 40])
    r = t.update(moving.read(1))
    assert np.all(np.isfinite(r.box))


# ------------------------------------------------------------------------------ acceptance
@pytest.mark.slow
def test_as_accurate_as_csrt_and_three_times_faster_on_the_shared_sequences():
    """The issue's acceptance test: mean success AUC over the shared sequences >= CSRT's, at
    >= 3x CSRT's frames per second, both measured in this one run."""
    from oculi.track.datasets import Sequence, load_sequence

    if "csrt" not in single_trackers:
        pytest.skip("this cv2 build has no CSRT")
    seqs = []
    for name in ("track_otb_crossing", "track_vot_bag"):
        seq = load_sequence(shared_set(name))
        frames = [seq.read(i) for i in range(len(seq))]  # decode once, outside the timing
        seqs.append(Sequence(seq.name, frames, seq.boxes, seq.polygons, seq.source, seq.meta))
    cmp = evaluate_trackers(["dcf", "csrt"], seqs, progress=False)
    auc = {n: np.mean([cmp.reports[n][s]["val_auc"] for s in cmp.sequences]) for n in cmp.trackers}
    fps = {n: cmp.overall(n)["fps"] for n in cmp.trackers}
    print(cmp.format_table())
    assert auc["dcf"] >= auc["csrt"]
    assert fps["dcf"] >= 3 * fps["csrt"]
    for s in cmp.sequences:  # and on each sequence
        assert cmp.reports["dcf"][s]["val_auc"] >= cmp.reports["csrt"][s]["val_auc"] - 0.02
