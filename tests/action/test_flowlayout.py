"""The motion layout: direction histograms point the way a blob moves, time bins keep the order
of motion that a time mean loses, each clip's flow is computed once, and the layout model trains
the same whatever the seed when nothing random is left."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from oculi.action import twostream
from oculi.action.clipdata import ClipTensors
from oculi.action.flowlayout import flow_histogram, layout_size, motion_layout
from oculi.action.task import evaluate_action, load_action_model, train_action
from oculi.action.twostream import FlowStream, clip_flow
from oculi.core.errors import ParameterError
from tests.action.test_train import _cfg, direction_set  # noqa: F401  (fixture)
from tests.action.test_twostream import _moving_square


def _uniform_flow(u: float, v: float, t: int = 4, side: int = 8) -> torch.Tensor:
    flow = torch.zeros(1, 2, t, side, side)
    flow[:, 0], flow[:, 1] = u, v
    return flow


@pytest.mark.parametrize(("u", "v", "peak"), [(1, 0, 0), (0, 1, 2), (-1, 0, 4), (0, -1, 6)])
def test_histogram_votes_the_magnitude_into_the_direction_bin(u, v, peak):
    hist = flow_histogram(_uniform_flow(2 * u, 2 * v), 8)[0, :, 0, 0, 0]
    assert int(hist.argmax()) == peak and hist[peak] == pytest.approx(2.0)
    assert float(hist.sum()) == pytest.approx(2.0)


def test_histogram_splits_a_direction_between_two_bins():
    a = math.radians(30)                             # a third of the way from bin 0 to bin 1
    hist = flow_histogram(_uniform_flow(math.cos(a), math.sin(a)), 4)[0, :, 0, 0, 0]
    assert hist.tolist() == pytest.approx([2 / 3, 1 / 3, 0.0, 0.0], abs=1e-6)


def test_histogram_of_a_dis_flow_square_moving_down_the_rows_peaks_at_down():
    clip = _moving_square(3).transpose(-1, -2)              # the square moves down, 3 px/frame
    layout = motion_layout(clip_flow(clip, "dis"), grid=1, orientations=8).view(8)
    assert int(layout.argmax()) == 2                          # +y: image rows down
    assert layout[2] > 4 * layout[[0, 4, 6]].max()


def test_time_bins_keep_the_order_that_the_time_mean_loses():
    there_and_back = torch.cat([_uniform_flow(1, 0, 3), _uniform_flow(-1, 0, 3)], 2)
    back_and_there = there_and_back.flip(2)
    mean = [motion_layout(f, grid=2) for f in (there_and_back, back_and_there)]
    assert torch.allclose(mean[0], mean[1])
    prof = [motion_layout(f, grid=2, bins=2).view(4, 2, 2, 2) for f in (there_and_back,
                                                                       back_and_there)]
    assert (prof[0][0, 0] > 0.9).all() and (prof[0][0, 1] < -0.9).all()   # u: right, then left
    assert torch.equal(prof[1][0], prof[0][0].flip(0))
    assert (prof[0][2] == 1).all()                                         # |u| the same
    hof = motion_layout(there_and_back, grid=1, bins=2, orientations=4).view(4, 2)
    assert hof[:, 0].tolist() == [1, 0, 0, 0] and hof[:, 1].tolist() == [0, 0, 1, 0]


def test_layout_cells_are_rows_then_columns():
    flow = torch.zeros(1, 2, 2, 8, 8)
    flow[0, 1, :, :4, 4:] = 1.0                         # top-right cell moves down
    cells = motion_layout(flow, grid=2).view(4, 2, 2)
    assert cells[1].tolist() == [[0, 1], [0, 0]]
    assert layout_size(2) == 16 and layout_size(4, 3, 8) == 8 * 3 * 16


def test_layout_refuses_bad_shapes_and_settings():
    with pytest.raises(Exception, match="flow"):
        motion_layout(torch.zeros(1, 3, 2, 8, 8), grid=2)
    with pytest.raises(ParameterError, match="bins"):
        motion_layout(torch.zeros(1, 2, 2, 8, 8), grid=2, bins=3)
    with pytest.raises(ParameterError, match="orientations"):
        flow_histogram(torch.zeros(1, 2, 2, 8, 8), 1)
    for bad in ({"flow": "dis", "flow_grid": 2, "flow_bins": 8},           # clip_len 8: 7 max
                {"flow": "dis", "flow_grid": 2, "flow_orientations": 1},
                {"flow_bins": 2}, {"flow": "dis", "flow_orientations": 8}):  # no layout
        with pytest.raises(ParameterError, match="flow_"):
            _cfg(**bad).validate()


def test_stream_computes_each_clips_flow_once(monkeypatch):
    calls = []

    def counting(clips, method="dis"):
        calls.append(len(clips))
        return clip_flow(clips, method)

    monkeypatch.setattr(twostream, "clip_flow", counting)
    stream = FlowStream(2, 4, grid=2, bins=3, orientations=8).eval()
    a, b = _moving_square(2), _moving_square(-2, x0=40)
    first = stream(torch.cat([a, b]))
    assert torch.equal(stream(torch.cat([b, a])), first.flip(0)) and calls == [2]
    stream(torch.cat([a, a + 0.01]))                          # new pixels: new flow
    assert calls == [2, 1]
    assert first.abs().max() == 0                             # zero-initialised classifier


def test_training_sampler_without_jitter_gives_the_test_frames(direction_set):  # noqa: F811
    from oculi.action.clips import clip_dataset

    items = clip_dataset(direction_set).items[:3]
    common = {"sampling": "segments", "clip_len": 8, "stride": 1, "size": 16, "channels": 1}
    test = ClipTensors(items, ["left", "right"], **common)
    fixed = ClipTensors(items, ["left", "right"], train=True, jitter=False, seed=5, **common)
    moving = ClipTensors(items, ["left", "right"], train=True, seed=5, **common)
    assert all(torch.equal(fixed[i][0], test[i][0]) for i in range(3))
    assert not all(torch.equal(moving[i][0], test[i][0]) for i in range(3))


def test_layout_model_trains_the_same_whatever_the_seed(direction_set, tmp_path):  # noqa: F811
    """Frames fixed (no jitter, crop or flip), no dropout, one batch holding every training
    clip, a zero-initialised classifier: the seed changes nothing; the model learns direction."""
    weights = []
    for seed in (0, 1):
        cfg = _cfg(model="flow", flow="dis", flow_grid=2, flow_bins=2, flow_orientations=4,
                   jitter=False, dropout=0.0, repeat=1, batch_size=64, epochs=4, lr=0.05,
                   holdout_groups=("g3",), seed=seed)
        run = tmp_path / f"s{seed}"
        train_action(direction_set, cfg, run, progress=False)
        net = load_action_model(run / "last.safetensors")
        weights.append(net.flow_net.head[1].weight.detach().clone())
        rep = evaluate_action(run / "last.safetensors", direction_set, groups="g3")
        assert rep["val_accuracy"] >= 0.9, rep.metrics
    assert weights[0].abs().max() > 0 and np.isfinite(weights[0].numpy()).all()
    assert torch.allclose(weights[0], weights[1], atol=1e-6)
