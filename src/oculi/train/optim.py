"""Optimisers with weight-decay exclusion, the cosine-with-warmup schedule, and model EMA."""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable

import torch
from torch import nn

from oculi.core.checks import check_choice


def param_groups(model: nn.Module, weight_decay: float, *, decay_norm_bias: bool = False,
                 head_params: Iterable[nn.Parameter] = (),
                 head_lr_scale: float = 1.0) -> list[dict]:
    """Parameter groups: weights that decay, and (unless ``decay_norm_bias``) biases and
    normalisation parameters — every parameter with fewer than 2 dimensions — that do not.

    With ``head_params``, the (new, randomly initialised) head gets its
    own groups whose ``lr_scale`` multiplies the learning rate (discriminative fine-tuning).
    """
    head_ids = {id(p) for p in head_params}
    buckets: dict[tuple[bool, bool], list[nn.Parameter]] = {}
    for _, p in model.named_parameters():
        if not p.requires_grad:
            continue
        no_decay = p.ndim <= 1 and not decay_norm_bias
        buckets.setdefault((id(p) in head_ids, no_decay), []).append(p)
    groups = []
    for (is_head, no_decay), params in sorted(buckets.items()):
        groups.append({"params": params, "weight_decay": 0.0 if no_decay else weight_decay,
                       "lr_scale": head_lr_scale if is_head else 1.0})
    return groups


def build_optimizer(model: nn.Module, name: str, lr: float, weight_decay: float, *,
                    momentum: float = 0.9, decay_norm_bias: bool = False,
                    head_params: Iterable[nn.Parameter] = (),
                    head_lr_scale: float = 1.0) -> torch.optim.Optimizer:
    """AdamW, or SGD with Nesterov momentum, over :func:`param_groups` (each group's ``lr`` is
    ``lr * lr_scale``)."""
    check_choice(name, ("adamw", "sgd"), "optimizer")
    groups = param_groups(model, weight_decay, decay_norm_bias=decay_norm_bias,
                          head_params=head_params, head_lr_scale=head_lr_scale)
    for g in groups:
        g["lr"] = lr * g["lr_scale"]
    if name == "adamw":
        return torch.optim.AdamW(groups, lr=lr)
    return torch.optim.SGD(groups, lr=lr, momentum=momentum, nesterov=momentum > 0)


def lr_factor(step: int, total_steps: int, warmup_steps: int, schedule: str,
              min_ratio: float = 0.0) -> float:
    """LR multiplier at optimizer ``step`` (0-based): linear warm-up from ~0 to 1 over
    ``warmup_steps``, then constant or cosine down to ``min_ratio`` at ``total_steps``."""
    if warmup_steps > 0 and step < warmup_steps:
        return (step + 1) / warmup_steps
    if schedule == "constant":
        return 1.0
    span = max(1, total_steps - warmup_steps)
    t = min(1.0, (step - warmup_steps) / span)
    return min_ratio + (1.0 - min_ratio) * 0.5 * (1.0 + math.cos(math.pi * t))


class ModelEma(nn.Module):
    """Exponential moving average of a model's parameters (buffers copied), for evaluation.

    ``ema = d * ema + (1 - d) * param`` after each optimizer step, with the decay warmed up as
    ``min(decay, (1 + n) / (10 + n))`` so early averages are not dominated by the initial weights.
    """

    def __init__(self, model: nn.Module, decay: float = 0.999) -> None:
        super().__init__()
        self.module = copy.deepcopy(model).eval()
        for p in self.module.parameters():
            p.requires_grad_(False)
        self.decay = decay
        self.updates = 0

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        self.updates += 1
        d = min(self.decay, (1 + self.updates) / (10 + self.updates))
        # the copy lists parameters and buffers in the model's order: one fused call each
        torch._foreach_lerp_(list(self.module.parameters()), list(model.parameters()), 1.0 - d)
        buffers = list(self.module.buffers())
        if buffers:
            torch._foreach_copy_(buffers, list(model.buffers()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.module(x)


def grad_norm(parameters: Iterable[torch.Tensor]) -> float:
    """Global L2 norm of the gradients."""
    norms = [p.grad.detach().norm(2) for p in parameters if p.grad is not None]
    return float(torch.norm(torch.stack(norms), 2)) if norms else 0.0
