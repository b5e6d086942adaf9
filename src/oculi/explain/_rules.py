"""Modified backward rules for activations: guided backpropagation and deconvnet.

The rules are installed with a :class:`~torch.overrides.TorchFunctionMode` for the duration of one
forward pass, so they catch every way a network applies an activation — ``nn.ReLU`` modules (which
call ``F.relu``), functional calls (``F.relu``, ``F.silu``, ``torch.relu``), tensor methods
(``x.relu()``, ``x.relu_()``) and in-place variants — without touching the model's modules or
flags. Nothing is left behind when the ``with`` block ends.

Rules, for an activation ``y = f(x)`` and upstream gradient ``g = dL/dy``:

* guided backpropagation: ``dL/dx = max(g, 0) * f'(x)`` (for ReLU: ``g > 0`` and ``x > 0``);
* deconvnet: ``dL/dx = max(g, 0)`` (the forward mask is ignored).

For ReLU these are the rules of Springenberg et al. and Zeiler & Fergus; for smooth activations
(SiLU, GELU, Hardswish, ...) the guided rule keeps the local derivative and drops negative
upstream signal, which reduces to the ReLU rule when ``f = ReLU``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch.overrides import TorchFunctionMode

Deriv = Callable[[torch.Tensor, dict[str, Any]], torch.Tensor]


def _relu_d(x: torch.Tensor, kw: dict[str, Any]) -> torch.Tensor:
    return (x > 0).to(x.dtype)


def _hardtanh_d(x: torch.Tensor, kw: dict[str, Any]) -> torch.Tensor:
    lo, hi = kw.get("min_val", -1.0), kw.get("max_val", 1.0)
    return ((x > lo) & (x < hi)).to(x.dtype)


def _relu6_d(x: torch.Tensor, kw: dict[str, Any]) -> torch.Tensor:
    return ((x > 0) & (x < 6)).to(x.dtype)


def _leaky_d(x: torch.Tensor, kw: dict[str, Any]) -> torch.Tensor:
    slope = kw.get("negative_slope", 0.01)
    return torch.where(x > 0, 1.0, slope).to(x.dtype)


def _silu_d(x: torch.Tensor, kw: dict[str, Any]) -> torch.Tensor:
    s = torch.sigmoid(x)
    return s * (1 + x * (1 - s))


def _gelu_d(x: torch.Tensor, kw: dict[str, Any]) -> torch.Tensor:
    if kw.get("approximate", "none") == "tanh":
        k = math.sqrt(2 / math.pi)
        u = k * (x + 0.044715 * x**3)
        t = torch.tanh(u)
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * k * (1 + 3 * 0.044715 * x * x)
    cdf = 0.5 * (1 + torch.erf(x / math.sqrt(2)))
    pdf = torch.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
    return cdf + x * pdf


def _hardswish_d(x: torch.Tensor, kw: dict[str, Any]) -> torch.Tensor:
    mid = (2 * x + 3) / 6
    return torch.where(x <= -3, 0.0, torch.where(x >= 3, 1.0, mid)).to(x.dtype)


def _elu_d(x: torch.Tensor, kw: dict[str, Any]) -> torch.Tensor:
    alpha = kw.get("alpha", 1.0)
    return torch.where(x > 0, 1.0, alpha * torch.exp(x)).to(x.dtype)


def _mish_d(x: torch.Tensor, kw: dict[str, Any]) -> torch.Tensor:
    sp = F.softplus(x)
    t = torch.tanh(sp)
    return t + x * (1 - t * t) * torch.sigmoid(x)


# positional parameter names after the input, per functional
_POS = {
    "hardtanh": ("min_val", "max_val", "inplace"),
    "leaky_relu": ("negative_slope", "inplace"),
    "elu": ("alpha", "inplace"),
    "relu": ("inplace",),
    "relu6": ("inplace",),
    "silu": ("inplace",),
    "hardswish": ("inplace",),
    "mish": ("inplace",),
    "gelu": (),
}


def _table() -> dict[Any, tuple[str, Deriv, bool]]:
    """func -> (kind, derivative, in-place)."""
    t: dict[Any, tuple[str, Deriv, bool]] = {}

    def add(funcs: list[Any], kind: str, d: Deriv, inplace: bool) -> None:
        for f in funcs:
            if f is not None:
                t[f] = (kind, d, inplace)

    nn_ = torch._C._nn
    add([F.relu, torch.relu, torch.Tensor.relu], "relu", _relu_d, False)
    add([F.relu_, torch.relu_, torch.Tensor.relu_], "relu", _relu_d, True)
    add([F.relu6, getattr(nn_, "relu6", None)], "relu6", _relu6_d, False)
    add([getattr(nn_, "relu6_", None)], "relu6", _relu6_d, True)
    add([F.hardtanh, nn_.hardtanh], "hardtanh", _hardtanh_d, False)
    add([F.hardtanh_, nn_.hardtanh_], "hardtanh", _hardtanh_d, True)
    add([F.leaky_relu, nn_.leaky_relu], "leaky_relu", _leaky_d, False)
    add([F.leaky_relu_, nn_.leaky_relu_], "leaky_relu", _leaky_d, True)
    add([F.silu, nn_.silu], "silu", _silu_d, False)
    add([getattr(nn_, "silu_", None)], "silu", _silu_d, True)
    add([F.gelu], "gelu", _gelu_d, False)
    add([F.hardswish, nn_.hardswish], "hardswish", _hardswish_d, False)
    add([getattr(nn_, "hardswish_", None)], "hardswish", _hardswish_d, True)
    add([F.elu, nn_.elu], "elu", _elu_d, False)
    add([F.elu_, getattr(nn_, "elu_", None)], "elu", _elu_d, True)
    add([F.mish, getattr(nn_, "mish", None)], "mish", _mish_d, False)
    return t


_TABLE = _table()
_TABLE_D = {kind: d for kind, d, _ in _TABLE.values()}

#: activation kinds the rules understand (for messages and docs)
SUPPORTED = ("ReLU", "ReLU6", "Hardtanh", "LeakyReLU", "SiLU", "GELU", "Hardswish", "ELU", "Mish")


class _Rule(torch.autograd.Function):
    """``y = f(x)`` forward; guided (``max(g, 0) * f'(x)``) or deconvnet (``max(g, 0)``)
    backward."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, kind: str, kw: dict[str, Any], guided: bool) -> Any:
        ctx.guided = guided
        if guided:
            ctx.save_for_backward(_TABLE_D[kind](x, kw))
        return _apply(kind, x, kw)

    @staticmethod
    def backward(ctx: Any, g: torch.Tensor) -> tuple[torch.Tensor | None, None, None, None]:
        g = g.clamp_min(0)
        if ctx.guided:
            (d,) = ctx.saved_tensors
            g = g * d
        return g, None, None, None


class ActivationRules(TorchFunctionMode):
    """Within ``with ActivationRules("guided"):`` every supported activation backpropagates by
    the guided rule (``"deconvnet"``: the deconvnet rule). ``count`` says how many activations
    the forward pass applied the rule to."""

    def __init__(self, rule: str) -> None:
        super().__init__()
        self.guided = rule == "guided"
        self.count = 0
        self.kinds: set[str] = set()

    def __torch_function__(
        self,
        func: Any,
        types: Any,
        args: tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
    ) -> Any:
        kwargs = kwargs or {}
        spec = _TABLE.get(func)
        if (spec is None or not args or not isinstance(args[0], torch.Tensor)
                or not (args[0].requires_grad and torch.is_grad_enabled())):
            return func(*args, **kwargs)
        kind, _, inplace = spec
        x = args[0]
        kw = dict(kwargs)
        for name, value in zip(_POS.get(kind, ()), args[1:], strict=False):
            kw[name] = value
        inplace = inplace or bool(kw.pop("inplace", False))
        if kind == "relu6":
            kw.update(min_val=0.0, max_val=6.0)
        self.count += 1
        self.kinds.add(kind)
        out = _Rule.apply(x, kind, kw, self.guided)
        if inplace:
            return x.copy_(out)
        return out


def _apply(kind: str, x: torch.Tensor, kw: dict[str, Any]) -> torch.Tensor:
    """The activation itself, out of place."""
    if kind == "relu":
        return F.relu(x)
    if kind in ("relu6", "hardtanh"):
        return F.hardtanh(x, kw.get("min_val", -1.0), kw.get("max_val", 1.0))
    if kind == "leaky_relu":
        return F.leaky_relu(x, kw.get("negative_slope", 0.01))
    if kind == "silu":
        return F.silu(x)
    if kind == "gelu":
        return F.gelu(x, approximate=kw.get("approximate", "none"))
    if kind == "hardswish":
        return F.hardswish(x)
    if kind == "elu":
        return F.elu(x, kw.get("alpha", 1.0))
    return F.mish(x)
