"""BoxKalmanFilter: convergence on known motion, batching, and one step against the textbook
equations."""

from __future__ import annotations

import numpy as np
import pytest

from oculi.core.errors import ParameterError, ShapeError
from oculi.track.kalman import BoxKalmanFilter, cxcywh_to_xyxy, xyxy_to_cxcywh


def _moving(t: np.ndarray, start: np.ndarray, velocity: np.ndarray) -> np.ndarray:
    """xyxy boxes at frames ``t`` of a box moving at ``velocity`` (dx0, dy0, dx1, dy1)."""
    return start[None, :] + t[:, None] * velocity[None, :]


def test_box_conversions_round_trip():
    boxes = np.array([[10.0, 20.0, 30.0, 60.0], [0.5, 1.5, 2.5, 9.5]])
    c = xyxy_to_cxcywh(boxes)
    np.testing.assert_allclose(c[0], [20, 40, 20, 40])
    np.testing.assert_allclose(cxcywh_to_xyxy(c), boxes)


def test_learns_constant_velocity_and_predicts_ahead():
    kf = BoxKalmanFilter()
    start = np.array([100.0, 50.0, 140.0, 150.0])
    velocity = np.array([3.0, -1.0, 3.5, -0.5])  # moves and grows
    truth = _moving(np.arange(60), start, velocity)
    mean, cov = kf.initiate(truth[:1])
    for box in truth[1:]:
        mean, cov = kf.predict(mean, cov)
        mean, cov = kf.update(mean, cov, box[None])
    # velocities of cx, cy, w, h
    np.testing.assert_allclose(mean[0, 4:], [3.25, -0.75, 0.5, 0.5], atol=0.05)
    for _ in range(5):  # five frames without measurements
        mean, cov = kf.predict(mean, cov)
    expected = _moving(np.array([64.0]), start, velocity)
    np.testing.assert_allclose(kf.boxes(mean), expected, atol=0.5)


def test_noisy_measurements_are_smoothed():
    rng = np.random.default_rng(0)
    kf = BoxKalmanFilter()
    truth = _moving(np.arange(80), np.array([0.0, 0, 50, 100]), np.array([2.0, 1, 2, 1]))
    noisy = truth + rng.normal(0, 2.0, truth.shape)
    mean, cov = kf.initiate(noisy[:1])
    errors = []
    for k in range(1, len(truth)):
        mean, cov = kf.predict(mean, cov)
        mean, cov = kf.update(mean, cov, noisy[k : k + 1])
        errors.append(np.abs(kf.boxes(mean)[0] - truth[k]).mean())
    raw = np.abs(noisy[40:] - truth[40:]).mean()
    assert np.mean(errors[39:]) < 0.8 * raw  # the filter beats the raw measurements (0.74)


def test_batched_equals_one_track_at_a_time():
    rng = np.random.default_rng(1)
    kf = BoxKalmanFilter()
    starts = rng.uniform(0, 200, (5, 2))
    boxes = np.concatenate([starts, starts + rng.uniform(20, 80, (5, 2))], axis=1)
    mean, cov = kf.initiate(boxes)
    singles = [kf.initiate(b[None]) for b in boxes]
    for step in range(4):
        meas = boxes + step * 2.0 + rng.normal(0, 1, boxes.shape)
        mean, cov = kf.update(*kf.predict(mean, cov), meas)
        for k, (m, c) in enumerate(singles):
            singles[k] = kf.update(*kf.predict(m, c), meas[k : k + 1])
    np.testing.assert_allclose(mean, np.concatenate([m for m, _ in singles]), atol=1e-9)
    np.testing.assert_allclose(cov, np.concatenate([c for _, c in singles]), atol=1e-9)


def test_one_step_matches_textbook_equations():
    kf = BoxKalmanFilter(std_position=0.1, std_velocity=0.02)
    mean, cov = kf.initiate(np.array([[10.0, 20.0, 50.0, 100.0]]))
    mean, cov = kf.predict(mean, cov)
    z = np.array([13.0, 22.0, 54.0, 103.0])
    new_mean, new_cov = kf.update(mean, cov, z[None])
    # x' = x + K (z - H x), K = P Hᵀ (H P Hᵀ + R)⁻¹, P' = (I - K H) P
    x, p = mean[0], cov[0]
    h = np.hstack([np.eye(4), np.zeros((4, 4))])
    w, hh = x[2], x[3]
    r = np.diag((0.1 * np.array([w, hh, w, hh])) ** 2)
    gain = p @ h.T @ np.linalg.inv(h @ p @ h.T + r)
    zc = np.array([(13 + 54) / 2, (22 + 103) / 2, 41.0, 81.0])
    np.testing.assert_allclose(new_mean[0], x + gain @ (zc - h @ x), rtol=1e-10)
    np.testing.assert_allclose(new_cov[0], (np.eye(8) - gain @ h) @ p, rtol=1e-8, atol=1e-10)


def test_shrinking_box_keeps_a_positive_size():
    kf = BoxKalmanFilter()
    mean, cov = kf.initiate(np.array([[0.0, 0, 10, 10]]))
    mean[0, 6:] = -20.0  # would shrink below zero in one step
    mean, cov = kf.predict(mean, cov)
    assert (mean[0, 2:4] > 0).all()


def test_errors_name_the_input():
    kf = BoxKalmanFilter()
    with pytest.raises(ShapeError, match="boxes"):
        kf.initiate(np.zeros((2, 3)))
    mean, cov = kf.initiate(np.array([[0.0, 0, 10, 10]]))
    with pytest.raises(ShapeError, match="one box per track"):
        kf.update(mean, cov, np.zeros((2, 4)))
    with pytest.raises(ParameterError, match="std_position"):
        BoxKalmanFilter(std_position=0)
