"""The two-stream variant: the flow of consecutive frames from oculi.flow (direction and scale
of a moving square, flip reverses it), and a stream that sees motion lets the model that sees one
frame tell left from right."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from oculi.action.models import ActionNet
from oculi.action.task import evaluate_action, train_action
from oculi.action.twostream import FlowStream, clip_flow
from oculi.core.errors import DataError, ParameterError
from tests.action.test_train import _cfg, direction_set  # noqa: F401  (fixture)


def _moving_square(step: int, frames: int = 4, size: int = 64, y: int = 24,
                   x0: int = 16) -> torch.Tensor:
    """``(1, 3, T, size, size)``: a textured 16 x 16 square, top-left corner at ``(x0, y)``,
    moving ``step`` pixels right per frame."""
    rng = np.random.default_rng(0)
    tex = rng.uniform(0.2, 1.0, (16, 16)).astype(np.float32)
    out = np.zeros((frames, size, size), np.float32)
    for t in range(frames):
        x = x0 + step * t
        out[t, y:y + 16, x:x + 16] = tex
    return torch.from_numpy(out)[None, None].repeat(1, 3, 1, 1, 1)


@pytest.mark.parametrize("method", ["dis", "farneback"])
def test_flow_of_a_moving_square_points_its_way_in_frame_units(method):
    clip = _moving_square(3)
    flow = clip_flow(clip, method)
    assert flow.shape == (1, 2, 3, 64, 64) and flow.dtype == torch.float32
    inside = flow[0, :, :, 28:36, 24:32]                   # the square's middle, every pair
    u, v = inside[0].median().item(), inside[1].median().item()
    assert u == pytest.approx(3 * 32 / 64, abs=0.25) and abs(v) < 0.2
    back = clip_flow(clip.flip(-1), method)[0, 0, :, 28:36, 32:40].median().item()
    assert back == pytest.approx(-u, abs=0.25)              # mirrored clip: motion reversed


def test_flow_needs_two_frames():
    with pytest.raises(DataError, match="clips"):
        clip_flow(torch.rand(1, 3, 1, 16, 16))


def test_two_stream_model_adds_a_flow_stream():
    one = ActionNet("tsm", ["a", "b"], clip_len=4, channels=1, width=8)
    two = ActionNet("tsm", ["a", "b"], clip_len=4, channels=1, width=8, flow="dis").eval()
    x = torch.rand(2, 1, 4, 32, 32)
    assert two(x).shape == (2, 2)
    assert torch.allclose(two(x), two.net(x) + two.flow_net(x))
    assert ActionNet(**two.config()).config() == two.config() and two.config()["flow"] == "dis"
    assert len(two.head_parameters()) == 2 * len(one.head_parameters())
    with pytest.raises(ParameterError, match="flow"):
        _cfg(flow="optical").validate()


def test_flow_stream_lets_the_one_frame_model_see_direction(direction_set, tmp_path):  # noqa: F811
    """Held-out group g3 (12 clips). Measured with seeds 0-2: 1.0 every time; alone, the
    centre-frame model scores about chance (0.42-0.5, tests/action/test_train.py)."""
    cfg = _cfg(model="frame", flow="dis", epochs=6, repeat=2, holdout_groups=("g3",), lr=3e-3,
               weight_decay=0.0, dropout=0.0)
    train_action(direction_set, cfg, tmp_path / "run", progress=False)
    rep = evaluate_action(tmp_path / "run" / "last.safetensors", direction_set, groups="g3")
    assert rep["val_accuracy"] >= 0.9, rep.metrics


def test_motion_layout_is_the_cells_mean_flow_and_magnitude():
    stream = FlowStream(3, 4, "dis", grid=2)
    clip = _moving_square(3, y=6, x0=4)                      # inside the top-left cell
    flow = clip_flow(clip, "dis")
    cells = stream.layout(flow).view(4, 2, 2)                # u, v, |u|, |v| x 2 x 2 cells
    assert torch.allclose(cells[:, 0, 0], torch.cat([flow, flow.abs()], 1)[0, :, :, :32, :32]
                          .mean((1, 2, 3)), atol=1e-5)
    assert cells[0, 0, 0] > 0.1 and cells[2, 1, 1] < 0.05   # moving right there, still here
    assert stream.eval()(clip).shape == (1, 3)
    assert sum(p.numel() for p in stream.parameters()) == 16 * 3 + 3


def test_flow_model_is_the_flow_stream_alone_and_needs_a_method():
    net = ActionNet("flow", ["a", "b"], clip_len=4, channels=3, flow="dis", flow_grid=2).eval()
    x = _moving_square(2)
    assert net.net is None and torch.equal(net(x), net.flow_net(x))
    assert [tuple(p.shape) for p in net.head_parameters()] == [(2, 16), (2,)]
    with pytest.raises(ParameterError, match="flow"):
        ActionNet("flow", ["a", "b"], clip_len=4)
    with pytest.raises(ParameterError, match="flow"):
        _cfg(model="flow").validate()


def test_each_stream_is_trained_on_its_own_loss():
    from types import SimpleNamespace

    from oculi.action.task import ActionTask

    torch.manual_seed(0)
    task = ActionTask(".")
    task.cfg = _cfg(label_smoothing=0.1)
    labels = torch.tensor([0, 1])
    x = torch.rand(2, 1, 4, 32, 32)
    two = ActionNet("tsm", ["a", "b"], clip_len=4, width=8, flow="dis", flow_grid=2).train()
    out = task.train_step(SimpleNamespace(model=two, to_device=lambda b: b), (x, labels))
    rgb, flow = two.last_streams
    ce = torch.nn.functional.cross_entropy
    want = ce(rgb, labels, label_smoothing=0.1) + ce(flow, labels, label_smoothing=0.1)
    assert torch.allclose(out.loss, want) and not torch.allclose(out.loss, ce(rgb + flow, labels,
                                                                            label_smoothing=0.1))
    one = ActionNet("tsm", ["a", "b"], clip_len=4, width=8).train()
    out = task.train_step(SimpleNamespace(model=one, to_device=lambda b: b), (x, labels))
    assert torch.allclose(out.loss, ce(one.last_streams[0], labels, label_smoothing=0.1))
    assert not one.eval()(x).requires_grad or one.last_streams == []
