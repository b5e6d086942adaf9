"""Input-gradient methods: saliency, deconvnet, guided backpropagation, guided Grad-CAM,
integrated gradients.

Gradients are taken with ``torch.autograd.grad`` with respect to a copy of the input; parameters
are frozen for the call (and restored), so no ``.grad`` is written. Attributions are
``(N, C, H, W)``; the map of an attribution is its largest absolute value over channels
(Simonyan et al.), min-max normalised.

    >>> import torch, timm
    >>> from oculi.explain import guided_backprop
    >>> net = timm.create_model("resnet18", pretrained=False, num_classes=10)
    >>> e = guided_backprop(net, torch.rand(1, 3, 64, 64), targets=4)
    >>> tuple(e.attributions.shape), tuple(e.maps.shape)
    ((1, 3, 64, 64), (1, 64, 64))
"""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from oculi.core.checks import check_positive
from oculi.core.errors import ParameterError
from oculi.explain._base import Explanation, finish, methods, upsample
from oculi.explain._hooks import (
    OutputSelector,
    check_images,
    make_targets,
    model_guard,
    select_output,
)
from oculi.explain._rules import SUPPORTED, ActivationRules
from oculi.explain.cam import layer_gradients

Targets = Any


def input_gradients(
    model: nn.Module,
    images: torch.Tensor,
    targets: Targets = None,
    *,
    output: OutputSelector = None,
    rule: str | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, bool]:
    """Gradients of the target logits with respect to the input.

    Args:
        rule: None (plain gradient), ``"guided"`` or ``"deconvnet"`` activation rules.

    Returns:
        ``(grads, logits, targets, multi)`` with ``grads`` ``(N, K, C, H, W)``.

    Raises:
        ParameterError: a rule was asked for and the model applies no activation it can hook.
    """
    check_images(images, model)
    with model_guard(model):
        x = images.detach().clone().requires_grad_(True)
        rules = ActivationRules(rule) if rule else contextlib.nullcontext()
        with torch.enable_grad(), rules:
            logits = select_output(model(x), output)
        if rule and rules.count == 0:
            raise ParameterError(
                f"{rule}: the model applies no activation the rule can hook "
                f"(supported: {', '.join(SUPPORTED)}, as modules or functional calls)"
            )
        tgt, multi = make_targets(targets, logits)
        scores = logits.gather(1, tgt)
        k = tgt.shape[1]
        grads = [
            torch.autograd.grad(scores[:, j].sum(), x, retain_graph=j < k - 1)[0]
            for j in range(k)
        ]
    return torch.stack(grads, 1), logits.detach(), tgt, multi


def reduce_channels(attr: torch.Tensor) -> torch.Tensor:
    """``(..., C, H, W)`` attributions -> ``(..., H, W)``: max of absolute values over channels."""
    return attr.abs().amax(-3)


def _size(images: torch.Tensor) -> tuple[int, int]:
    return (int(images.shape[-2]), int(images.shape[-1]))


def _gradient_method(name: str, rule: str | None, doc: str) -> Any:
    def method(
        model: nn.Module, images: torch.Tensor, targets: Targets = None,
        layer: str | nn.Module | None = None, *, output: OutputSelector = None,
    ) -> Explanation:
        grads, logits, tgt, multi = input_gradients(model, images, targets, output=output,
                                                    rule=rule)
        return finish(name, reduce_channels(grads), _size(images), tgt, logits, multi,
                      attributions=grads)

    method.__name__ = name.replace("-", "_")
    method.__doc__ = doc + "\n\n``layer`` is ignored (accepted for a uniform signature)."
    return method


saliency = methods.register(
    "saliency", _gradient_method(
        "saliency", None, "Vanilla gradients (Simonyan et al. 2014): d logit / d input."),
    family="gradient", gradients=True, aliases=("vanilla-gradients", "gradients"),
)
deconvnet = methods.register(
    "deconvnet", _gradient_method(
        "deconvnet", "deconvnet",
        "Deconvnet (Zeiler & Fergus 2014): gradients whose activations pass only the positive "
        "part of the upstream signal, ignoring the forward mask."),
    family="gradient", gradients=True,
)
guided_backprop = methods.register(
    "guided-backprop", _gradient_method(
        "guided-backprop", "guided",
        "Guided backpropagation (Springenberg et al. 2015): at every activation the local "
        "derivative times the positive part of the upstream gradient (ReLU, ReLU6, LeakyReLU, "
        "SiLU, GELU, Hardswish, ELU, Mish)."),
    family="gradient", gradients=True, aliases=("guided-backpropagation", "guidedbackprop"),
)


@methods.register("guided-gradcam", family="gradient", gradients=True,
                  aliases=("guided-grad-cam", "guidedgradcam"))
def guided_gradcam(
    model: nn.Module, images: torch.Tensor, targets: Targets = None,
    layer: str | nn.Module | None = None, *, output: OutputSelector = None,
) -> Explanation:
    """Guided Grad-CAM (Selvaraju et al. 2017): guided backpropagation times the Grad-CAM map
    (bilinearly upsampled, not normalised), like captum's ``GuidedGradCam``."""
    name, act, g, logits, tgt, multi = layer_gradients(model, images, targets, layer,
                                                       output=output)
    cam = F.relu(torch.einsum("nkc,nchw->nkhw", g.mean((-2, -1)), act))
    gb, _, _, _ = input_gradients(model, images, tgt, output=output, rule="guided")
    attr = gb * upsample(cam, _size(images))[:, :, None]
    return finish("guided-gradcam", reduce_channels(attr), _size(images), tgt, logits, multi,
                  name, attributions=attr)


def _quadrature(steps: int, rule: str) -> tuple[np.ndarray, np.ndarray]:
    """Nodes in [0, 1] and weights summing to 1 (captum's conventions)."""
    if rule == "gausslegendre":
        x, w = np.polynomial.legendre.leggauss(steps)
        return 0.5 * (x + 1), 0.5 * w
    if rule == "riemann_trapezoid":
        if steps < 2:
            raise ParameterError("steps: the trapezoid rule needs at least 2 steps")
        a = np.linspace(0, 1, steps)
        w = np.full(steps, 1 / (steps - 1))
        w[[0, -1]] /= 2
        return a, w
    offsets = {"riemann_left": 0.0, "riemann_right": 1.0, "riemann_middle": 0.5}
    if rule not in offsets:
        raise ParameterError(
            f"rule: expected gausslegendre, riemann_left, riemann_right, riemann_middle or "
            f"riemann_trapezoid, got {rule!r}"
        )
    a = (np.arange(steps) + offsets[rule]) / steps
    return a, np.full(steps, 1 / steps)


@methods.register("integrated-gradients", family="gradient", gradients=True, slow=True,
                  aliases=("ig", "integratedgradients"))
def integrated_gradients(
    model: nn.Module, images: torch.Tensor, targets: Targets = None,
    layer: str | nn.Module | None = None, *, output: OutputSelector = None,
    baseline: float | torch.Tensor = 0.0, steps: int = 50, rule: str = "gausslegendre",
    batch_size: int = 16,
) -> Explanation:
    """Integrated gradients (Sundararajan et al. 2017): ``(x - b) * integral_0^1 grad(b + a(x-b))``
    by quadrature (``rule``, ``steps``) in batches of ``batch_size`` images; ``baseline`` is an
    image-space value or ``(N, C, H, W)`` tensor (0 = black). Completeness: the attributions sum
    to ``f(x) - f(b)`` up to the quadrature error."""
    check_positive(steps, "steps")
    check_positive(batch_size, "batch_size")
    check_images(images, model)
    alphas, weights = _quadrature(int(steps), rule)
    base = torch.as_tensor(baseline, dtype=images.dtype, device=images.device)
    base = base.expand_as(images)
    with model_guard(model), torch.no_grad():
        logits = select_output(model(images), output)
    tgt, multi = make_targets(targets, logits)
    n, k = tgt.shape
    diff = images - base
    total = torch.zeros(n, k, *images.shape[1:], device=images.device)
    per = max(1, batch_size // n)
    for s0 in range(0, len(alphas), per):
        a = torch.as_tensor(alphas[s0 : s0 + per], dtype=images.dtype, device=images.device)
        w = torch.as_tensor(weights[s0 : s0 + per], dtype=images.dtype, device=images.device)
        steps_in = (base[None] + a.view(-1, 1, 1, 1, 1) * diff[None]).flatten(0, 1)
        tg = tgt.repeat(len(a), 1)
        g, _, _, _ = input_gradients(model, steps_in, tg, output=output)
        g = g.view(len(a), n, k, *images.shape[1:])
        total += (g * w.view(-1, 1, 1, 1, 1, 1)).sum(0)
    attr = total * diff[:, None]
    return finish("integrated-gradients", reduce_channels(attr), _size(images), tgt, logits,
                  multi, attributions=attr)
