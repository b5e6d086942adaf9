"""Plumbing shared by every method: target layers, output selection, targets, and a guard that
leaves the model exactly as it was found.

Nothing here is cached between calls: each explanation registers its hooks, runs, and removes them
in a ``finally`` block, so an exception inside the model cannot leave a hook behind.
"""

from __future__ import annotations

import contextlib
import contextvars
import difflib
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from oculi.core.checks import check_tensor_images
from oculi.core.errors import ParameterError, ShapeError, UnknownNameError

#: names of the children that pool the last feature map (timm, torchvision, oculi heads)
_POOL_NAMES = ("global_pool", "avgpool", "pool", "head", "fc", "classifier")
_SKIP = (nn.Identity, nn.Dropout, nn.Flatten)

OutputSelector = int | str | Callable[[Any], torch.Tensor] | None


# --------------------------------------------------------------------------- model state guard
@contextlib.contextmanager
def model_guard(model: nn.Module, *, freeze: bool = True) -> Iterator[None]:
    """Put ``model`` in eval mode with frozen parameters; restore every flag on exit.

    Training flags are saved per module and ``requires_grad`` per parameter, so a model with a
    partially frozen backbone comes back exactly as it was, even after an exception.
    """
    modes = [(m, m.training) for m in model.modules()]
    flags = [(p, p.requires_grad) for p in model.parameters()]
    try:
        model.eval()
        if freeze:
            for p, _ in flags:
                p.requires_grad_(False)
        yield
    finally:
        for p, flag in flags:
            p.requires_grad_(flag)
        for m, mode in modes:
            m.training = mode


# --------------------------------------------------------------------------- layers
def get_layer(model: nn.Module, name: str) -> nn.Module:
    """The sub-module called ``name`` (``"body.bn2"``, ``"layer4.1"``).

    Raises:
        UnknownNameError: no such module; the message lists the closest names.
    """
    modules = dict(model.named_modules())
    if name in modules and name:
        return modules[name]
    names = [n for n in modules if n]
    close = difflib.get_close_matches(name, names, n=5, cutoff=0.4)
    tail = [n for n in names if n.endswith("." + name)]
    hint = close or tail[:5]
    raise UnknownNameError(
        f"layer: no module named {name!r} in {type(model).__name__}"
        + (f"; close names: {', '.join(hint)}" if hint else "")
        + f" — pick one of the {len(names)} names in model.named_modules()"
    )


def _pool_sibling(module: nn.Module, prefix: str) -> str | None:
    """Name of the child feeding a global-pooling child (timm/torchvision layout), searching into
    wrapper children first (``Classifier.body``, ``TorchvisionBody.net``)."""
    children = list(module.named_children())
    for wrapper in ("body", "net", "model", "backbone"):
        sub = dict(children).get(wrapper)
        if sub is not None:
            found = _pool_sibling(sub, f"{prefix}{wrapper}.")
            if found is not None:
                return found
    names = [n for n, _ in children]
    for i, (name, _) in enumerate(children):
        if name in _POOL_NAMES and i > 0:
            for j in range(i - 1, -1, -1):
                cand_name, cand = children[j]
                if not isinstance(cand, _SKIP) and cand_name not in _POOL_NAMES:
                    return prefix + names[j]
            return None
    return None


def _probe_layer(model: nn.Module, images: torch.Tensor, output: OutputSelector) -> str:
    """Run one no-grad forward and return the module whose output was the last feature map with
    more than one spatial position (4-D) or the last token sequence (3-D) before the logits."""
    order: list[tuple[str, tuple[int, ...]]] = []
    handles = []

    def make(name: str) -> Callable[..., None]:
        def hook(_m: nn.Module, _i: Any, out: Any) -> None:
            if isinstance(out, torch.Tensor):
                order.append((name, tuple(out.shape)))

        return hook

    try:
        for name, m in model.named_modules():
            if name:
                handles.append(m.register_forward_hook(make(name)))
        with torch.no_grad():
            select_output(model(images[:1]), output)
    finally:
        for h in handles:
            h.remove()
    for name, shape in reversed(order):
        if len(shape) == 4 and shape[2] * shape[3] > 1:
            return name
    for name, shape in reversed(order):
        if len(shape) == 3 and shape[1] > 1:
            return name
    raise ShapeError(
        f"layer: {type(model).__name__} has no layer with a spatial output (NxCxHxW with H*W > 1 "
        "or NxTxD tokens) — CAM methods need a convolutional layer; use a gradient method "
        "(saliency, guided-backprop, integrated-gradients) instead"
    )


def resolve_layer(
    model: nn.Module, layer: str | nn.Module | None, images: torch.Tensor, output: OutputSelector
) -> tuple[str, nn.Module]:
    """The target layer as ``(name, module)``.

    ``None`` picks the last convolutional stage: the layer feeding the global pooling for
    timm/torchvision/oculi CNNs, the last block's ``norm1`` for timm vision transformers, otherwise
    the last module with a spatial output found by a probe forward.
    """
    if isinstance(layer, nn.Module):
        for name, m in model.named_modules():
            if m is layer:
                return name or type(model).__name__, m
        raise ParameterError("layer: the module given is not a sub-module of the model")
    if layer is not None:
        return layer, get_layer(model, layer)
    vit = _vit_default(model)
    if vit is not None:
        return vit, get_layer(model, vit)
    name = _pool_sibling(model, "")
    if name is None:
        name = _probe_layer(model, images, output)
    return name, get_layer(model, name)


def _vit_default(model: nn.Module) -> str | None:
    for name, m in model.named_modules():
        blocks = getattr(m, "blocks", None)
        if hasattr(m, "patch_embed") and isinstance(blocks, nn.Sequential) and len(blocks):
            last = blocks[-1]
            sub = "norm1" if hasattr(last, "norm1") else ""
            parts = [p for p in (name, "blocks", str(len(blocks) - 1), sub) if p]
            return ".".join(parts)
    return None


def prefix_tokens(model: nn.Module) -> int | None:
    """``num_prefix_tokens`` of a timm transformer inside ``model`` (class/register tokens)."""
    for m in model.modules():
        n = getattr(m, "num_prefix_tokens", None)
        if isinstance(n, int):
            return n
    return None


def tokens_to_map(t: torch.Tensor, size: tuple[int, int], prefix: int | None) -> torch.Tensor:
    """``(..., T, D)`` token activations -> ``(..., D, h, w)`` after dropping prefix tokens.

    The grid keeps the input's aspect ratio: ``h * w = T - prefix`` with ``h / w ≈ H / W``.
    """
    n_tok = t.shape[-2]
    candidates = [prefix] if prefix is not None else range(0, 9)
    H, W = size
    for p in candidates:
        n = n_tok - p
        if n <= 0:
            continue
        h = round(math.sqrt(n * H / W))
        for hh in (h, h - 1, h + 1):
            if hh > 0 and n % hh == 0:
                ww = n // hh
                if abs(hh / ww - H / W) < 0.25 * H / W:
                    grid = t[..., p:, :].reshape(*t.shape[:-2], hh, ww, t.shape[-1])
                    return grid.movedim(-1, -3)
    raise ShapeError(
        f"layer: cannot infer a token grid from {n_tok} tokens for a {H}x{W} input — "
        "pick a layer with an NxCxHxW output"
    )


# --------------------------------------------------------------------------- outputs, targets
def select_output(out: Any, output: OutputSelector) -> torch.Tensor:
    """Logits ``(N, classes)`` from a model output: a tensor, a tuple (``output`` index, default 0),
    a dict (``output`` key, default ``"logits"``/``"out"``) or anything via a callable."""
    if callable(output):
        out = output(out)
    elif isinstance(out, dict):
        key = output if output is not None else next(
            (k for k in ("logits", "out", "output") if k in out), None
        )
        if key is None or key not in out:
            raise ParameterError(
                f"output: the model returns a dict with keys {sorted(out)}; pass output=KEY"
            )
        out = out[key]
    elif isinstance(out, (tuple, list)):
        out = out[output if isinstance(output, int) else 0]
    if not isinstance(out, torch.Tensor) or out.ndim != 2:
        shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise ShapeError(
            f"output: expected logits of shape (N, classes), got {shape} — pass output= to select"
        )
    return out


def make_targets(targets: Any, logits: torch.Tensor) -> tuple[torch.Tensor, bool]:
    """Targets as a ``(N, K)`` long tensor and whether the caller asked for several per image.

    ``None``: top prediction; an int: that class for every image; N ints: one per image;
    N sequences of K ints (or an ``(N, K)`` tensor): K classes per image.
    """
    n, classes = logits.shape
    multi = False
    if targets is None:
        t = logits.detach().argmax(1, keepdim=True)
    else:
        if isinstance(targets, int):
            t = torch.full((n, 1), targets, dtype=torch.long)
        else:
            t = torch.as_tensor(targets)
            if t.is_floating_point():
                raise ParameterError(f"targets: expected class indices, got {t.dtype}")
            t = t.long()
            if t.ndim == 0:
                t = t.expand(n)[:, None]
            elif t.ndim == 1:
                if len(t) != n:
                    raise ShapeError(f"targets: expected {n} classes (one per image), got {len(t)}")
                t = t[:, None]
            elif t.ndim == 2:
                if len(t) != n:
                    raise ShapeError(f"targets: expected {n} rows (one per image), got {len(t)}")
                multi = True
            else:
                raise ShapeError(f"targets: expected at most 2 dimensions, got {tuple(t.shape)}")
        bad = t[(t < 0) | (t >= classes)]
        if bad.numel():
            raise ParameterError(
                f"targets: class {int(bad[0])} out of range for a model with {classes} outputs "
                f"(valid 0..{classes - 1})"
            )
    return t.to(logits.device), multi


_RANGE_CHECK: contextvars.ContextVar[bool] = contextvars.ContextVar("range_check", default=True)


@contextlib.contextmanager
def noisy_inputs() -> Iterator[None]:
    """Inside, :func:`check_images` accepts values outside [0, 1] (SmoothGrad's noisy copies)."""
    token = _RANGE_CHECK.set(False)
    try:
        yield
    finally:
        _RANGE_CHECK.reset(token)


def check_images(images: Any, model: nn.Module) -> torch.Tensor:
    """Validate an NCHW float batch in [0, 1] against the model's expected channel count."""
    channels = _in_channels(model)
    check_tensor_images(images, channels=channels)
    if not _RANGE_CHECK.get():
        return images
    lo, hi = float(images.min()), float(images.max())
    if hi > 1.0 + 1e-3 or lo < -1e-3:
        raise ShapeError(
            f"images: expected floats in [0, 1] (the model normalises), got [{lo:.3g}, {hi:.3g}]"
            + (" — divide by 255" if hi > 1.5 else "")
        )
    return images


def _in_channels(model: nn.Module) -> int | None:
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            return m.in_channels
        if isinstance(m, nn.Linear):
            return None
    return None


# --------------------------------------------------------------------------- capture
@dataclass
class Capture:
    """The target layer's output saved during a forward (``grad=True``: as a leaf that
    ``torch.autograd.grad`` can differentiate with respect to)."""

    activation: torch.Tensor | None = None
    calls: int = 0


@contextlib.contextmanager
def capture(module: nn.Module, *, grad: bool) -> Iterator[Capture]:
    """Record ``module``'s output; the hook is removed on exit, exception or not.

    With ``grad=True`` the output is detached into a leaf requiring grad and the rest of the
    network runs on a copy of it, so (with frozen parameters) autograd records only the part of
    the graph after the layer, and in-place ops downstream cannot corrupt the saved activation.
    """
    cap = Capture()

    def hook(_m: nn.Module, _inp: Any, out: Any) -> Any:
        cap.calls += 1
        if not isinstance(out, torch.Tensor):
            raise ShapeError(
                f"layer: expected the target layer to return a tensor, got {type(out).__name__}"
            )
        leaf = out.detach()
        if grad:
            leaf.requires_grad_(True)
        cap.activation = leaf
        return leaf.clone()

    handle = module.register_forward_hook(hook)
    try:
        yield cap
    finally:
        handle.remove()


def check_capture(cap: Capture, name: str) -> torch.Tensor:
    if cap.activation is None:
        raise ParameterError(f"layer: {name!r} did not run during the forward pass")
    if cap.calls > 1:
        raise ParameterError(
            f"layer: {name!r} ran {cap.calls} times in one forward pass (a shared module); "
            "pick a layer that runs once"
        )
    return cap.activation
