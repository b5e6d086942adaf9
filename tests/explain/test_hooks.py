"""The model is left as it was, and bad inputs give clear errors."""

from __future__ import annotations

import gc
import os
import tracemalloc

import pytest
import torch
from torch import nn

from oculi.core.errors import ParameterError, ShapeError, UnknownNameError
from oculi.explain import explain, gradcam, methods

FAST = ["features", "cam", "gradcam", "gradcam++", "layercam", "hirescam", "saliency",
        "deconvnet", "guided-backprop", "guided-gradcam"]


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _state(model: nn.Module) -> tuple:
    return (
        [m.training for m in model.modules()],
        [p.requires_grad for p in model.parameters()],
        [getattr(m, "inplace", None) for m in model.modules()],
        [(len(m._forward_hooks), len(m._forward_pre_hooks), len(m._backward_hooks),
          len(getattr(m, "_backward_pre_hooks", {}))) for m in model.modules()],
        [p.grad is None for p in model.parameters()],
        {k: v.clone() for k, v in model.state_dict().items()},
    )


def _same(a: tuple, b: tuple) -> bool:
    return a[:5] == b[:5] and all(torch.equal(a[5][k], b[5][k]) for k in a[5])


def _tensor_count() -> int:
    """Tensors the collector tracks, counted by ``type`` (``isinstance`` on a dead
    ``weakref.proxy`` that another test left behind raises ReferenceError)."""
    return sum(issubclass(type(o), torch.Tensor) for o in gc.get_objects())


def test_thousand_calls_leave_the_model_untouched(tiny) -> None:
    tiny.train()  # a training-mode model with one frozen layer: both must come back
    tiny.conv1.weight.requires_grad_(False)
    before = _state(tiny)
    x = torch.rand(2, 3, 12, 12)
    for name in FAST:  # warm-up: allocator pools, lazy imports
        explain(name, tiny, x, layer="act2")
    gc.collect()
    tensors0 = _tensor_count()
    rss0 = _rss()
    tracemalloc.start()
    base, _ = tracemalloc.get_traced_memory()
    for i in range(1000):
        explain(FAST[i % len(FAST)], tiny, x, [i % 5, (i + 1) % 5], layer="act2")
    gc.collect()
    grown = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    assert _same(before, _state(tiny))
    assert tiny.training and not tiny.conv1.weight.requires_grad
    assert grown < 256 * 1024, f"python memory grew by {grown} bytes over 1,000 calls"
    assert _tensor_count() <= tensors0
    assert _rss() - rss0 < 32 * 2**20, "resident memory grew by more than 32 MB"


@pytest.mark.slow
def test_hundred_calls_on_efficientnet_leave_it_untouched(lite0_random) -> None:
    before = _state(lite0_random)
    x = torch.rand(1, 3, 64, 64)
    for i in range(100):
        explain(FAST[i % len(FAST)], lite0_random, x)
    assert _same(before, _state(lite0_random))


def test_hooks_removed_after_an_exception(tiny) -> None:
    before = _state(tiny)
    with pytest.raises(ParameterError):
        gradcam(tiny, torch.rand(1, 3, 12, 12), 99, layer="act2")
    boom = nn.Module()

    class Failing(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.net = tiny
            self.boom = boom

        def forward(self, x):
            self.net(x)
            raise RuntimeError("inside the model")

    with pytest.raises(RuntimeError, match="inside the model"):
        gradcam(Failing(), torch.rand(1, 3, 12, 12), layer="net.act2")
    with pytest.raises(RuntimeError, match="inside the model"):
        explain("guided-backprop", Failing(), torch.rand(1, 3, 12, 12))
    assert _same(before, _state(tiny))
    # no function mode is left active: F.relu backpropagates normally again
    t = torch.tensor([-1.0, 2.0], requires_grad=True)
    (g,) = torch.autograd.grad(torch.nn.functional.relu(t).sum() * -1, t)
    assert g.tolist() == [0.0, -1.0]


def test_unknown_layer_lists_close_names(tiny) -> None:
    with pytest.raises(UnknownNameError, match=r"close names: .*act2"):
        gradcam(tiny, torch.rand(1, 3, 12, 12), layer="act_2")


def test_unknown_method() -> None:
    with pytest.raises(UnknownNameError, match="gradcam"):
        methods.get("gradcamm")


def test_target_out_of_range(tiny) -> None:
    with pytest.raises(ParameterError, match=r"class 5 out of range .* 5 outputs"):
        gradcam(tiny, torch.rand(1, 3, 12, 12), 5)
    with pytest.raises(ShapeError, match="expected 2 classes"):
        gradcam(tiny, torch.rand(2, 3, 12, 12), [1, 2, 3])


def test_no_convolutional_layer_for_cam_methods() -> None:
    mlp = nn.Sequential(nn.Flatten(), nn.Linear(3 * 8 * 8, 16), nn.ReLU(), nn.Linear(16, 4))
    with pytest.raises(ShapeError, match="no layer with a spatial output"):
        gradcam(mlp, torch.rand(1, 3, 8, 8))
    with pytest.raises(ShapeError, match="CAM methods need a convolutional layer"):
        gradcam(mlp, torch.rand(1, 3, 8, 8), layer="1")


def test_cam_needs_a_gap_linear_head(tiny) -> None:
    class TwoLayerHead(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.net = tiny
            self.fc2 = nn.Linear(5, 5)

        def forward(self, x):
            return self.fc2(torch.relu(self.net(x)))

    with pytest.raises(ParameterError, match="global average pooling"):
        explain("cam", TwoLayerHead(), torch.rand(1, 3, 12, 12), layer="net.act2")


def test_grayscale_to_colour_model_and_bad_ranges(tiny) -> None:
    with pytest.raises(ShapeError, match=r"expects 3 channel.*convert gray to RGB"):
        gradcam(tiny, torch.rand(1, 1, 12, 12))
    with pytest.raises(ShapeError, match="divide by 255"):
        gradcam(tiny, torch.rand(1, 3, 12, 12) * 255)
    with pytest.raises(ShapeError, match="NxCxHxW"):
        gradcam(tiny, torch.rand(3, 12, 12))
