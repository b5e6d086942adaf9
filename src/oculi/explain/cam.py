"""Class activation maps from one layer: features, CAM, Grad-CAM, Grad-CAM++, LayerCAM, HiResCAM,
Score-CAM.

Every method runs one forward pass with the parameters frozen (restored afterwards) and a hook on
the target layer that turns its output into a leaf: ``torch.autograd.grad`` then differentiates the
target scores with respect to that output only, so no gradient flows into the backbone and no
``.grad`` is ever written. K targets per image share the forward pass and one batched backward
(``is_grads_batched``).

    >>> import torch, timm
    >>> from oculi.explain import gradcam
    >>> net = timm.create_model("resnet18", pretrained=False, num_classes=10)
    >>> e = gradcam(net, torch.rand(2, 3, 64, 64), targets=[3, 7])
    >>> tuple(e.maps.shape), e.layer, float(e.maps.max()) <= 1.0
    ((2, 64, 64), 'layer4', True)
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from oculi.core.checks import check_choice, check_positive
from oculi.core.errors import ParameterError, ShapeError
from oculi.explain._base import Explanation, finish, methods
from oculi.explain._hooks import (
    OutputSelector,
    capture,
    check_capture,
    check_images,
    make_targets,
    model_guard,
    prefix_tokens,
    resolve_layer,
    select_output,
    tokens_to_map,
)

Targets = Any  # None | int | sequence of ints | (N, K) sequence / tensor


def layer_gradients(
    model: nn.Module,
    images: torch.Tensor,
    targets: Targets = None,
    layer: str | nn.Module | None = None,
    *,
    output: OutputSelector = None,
    grad: bool = True,
) -> tuple[str, torch.Tensor, torch.Tensor | None, torch.Tensor, torch.Tensor, bool]:
    """One forward pass capturing the target layer, and the gradients of the target logits.

    Returns:
        ``(layer_name, A, G, logits, targets, multi)``: activations ``A`` ``(N, C, h, w)``,
        gradients ``G`` ``(N, K, C, h, w)`` (None with ``grad=False``), logits ``(N, classes)``,
        targets ``(N, K)``, and whether K targets per image were requested.
    """
    check_images(images, model)
    with model_guard(model):
        name, module = resolve_layer(model, layer, images, output)
        with capture(module, grad=grad) as cap, torch.set_grad_enabled(grad):
            logits = select_output(model(images), output)
        act = check_capture(cap, name)
        tgt, multi = make_targets(targets, logits)
        grads = None
        if grad:
            scores = logits.gather(1, tgt)
            k = tgt.shape[1]
            try:
                if k == 1:
                    (grads,) = torch.autograd.grad(scores.sum(), act)
                    grads = grads.unsqueeze(1)
                else:
                    eye = torch.eye(k, dtype=scores.dtype, device=scores.device)
                    onehot = eye[:, None, :].expand(k, scores.shape[0], k)
                    (grads,) = torch.autograd.grad(
                        scores, act, grad_outputs=onehot, is_grads_batched=True
                    )
                    grads = grads.transpose(0, 1)
            except RuntimeError as exc:
                if "not have been used in the graph" in str(exc) or "does not require" in str(exc):
                    raise ParameterError(
                        f"layer: the logits do not depend on {name!r}; pick a layer on the path "
                        "to the classifier"
                    ) from exc
                raise
    if act.ndim == 3:  # transformer tokens (N, T, D)
        size = (images.shape[-2], images.shape[-1])
        prefix = prefix_tokens(model)
        act = tokens_to_map(act, size, prefix)
        if grads is not None:
            grads = tokens_to_map(grads, size, prefix)
    elif act.ndim != 4:
        raise ShapeError(
            f"layer: {name!r} outputs shape {tuple(act.shape)}; CAM methods need a convolutional "
            "layer (NxCxHxW) or transformer tokens (NxTxD)"
        )
    return name, act.detach(), grads, logits.detach(), tgt, multi


def _weighted(weights: torch.Tensor, act: torch.Tensor) -> torch.Tensor:
    """``sum_c weights[n, k, c] * act[n, c]`` -> ``(N, K, h, w)``."""
    return torch.einsum("nkc,nchw->nkhw", weights, act)


def _size(images: torch.Tensor) -> tuple[int, int]:
    return (int(images.shape[-2]), int(images.shape[-1]))


@methods.register("features", family="cam", gradients=False)
def features(
    model: nn.Module, images: torch.Tensor, targets: Targets = None,
    layer: str | nn.Module | None = None, *, output: OutputSelector = None,
) -> Explanation:
    """The channel mean of a layer's output (class-independent), ``[N, C, h, w] -> [N, h, w]``."""
    name, act, _, logits, tgt, multi = layer_gradients(
        model, images, targets, layer, output=output, grad=False
    )
    raw = act.mean(1, keepdim=True).expand(-1, tgt.shape[1], -1, -1)
    return finish("features", raw, _size(images), tgt, logits, multi, name)


def classifier_weights(
    model: nn.Module, act: torch.Tensor, logits: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """The ``(classes, C)`` weights and ``(classes,)`` bias of the linear classifier that follows
    global average pooling of ``act``, verified against the logits.

    Raises:
        ParameterError: the model does not end in global average pooling + a linear layer after
            the target layer.
    """
    classes, channels = logits.shape[1], act.shape[1]
    last = None
    for m in model.modules():
        linear = isinstance(m, nn.Linear) and (m.in_features, m.out_features) == (channels, classes)
        conv1x1 = (isinstance(m, nn.Conv2d) and m.kernel_size == (1, 1) and m.groups == 1
                   and (m.in_channels, m.out_channels) == (channels, classes))
        if linear or conv1x1:
            last = (m.weight.reshape(classes, channels), m.bias)
    if last is not None:
        w, b = last[0].detach().float(), last[1]
        b = torch.zeros(classes, device=w.device) if b is None else b.detach().float()
        pred = act.float().mean((2, 3)) @ w.T + b
        scale = float(logits.abs().max()) + 1e-6
        if float((pred - logits.float()).abs().max()) <= 1e-3 * scale + 1e-4:
            return w, b
    raise ParameterError(
        "cam: the model does not end in global average pooling + one linear layer after the "
        "target layer (logits != W @ mean(features) + b); use gradcam, which needs no such head"
    )


@methods.register("cam", family="cam", gradients=False)
def cam(
    model: nn.Module, images: torch.Tensor, targets: Targets = None,
    layer: str | nn.Module | None = None, *, output: OutputSelector = None,
) -> Explanation:
    """CAM (Zhou et al. 2016): the last feature maps weighted by one class's classifier weights,
    ``M_c = sum_k w_ck A_k``; no gradients. For nets ending in global average pooling + linear."""
    name, act, _, logits, tgt, multi = layer_gradients(
        model, images, targets, layer, output=output, grad=False
    )
    w, _ = classifier_weights(model, act, logits)
    raw = _weighted(w[tgt], act.float())
    return finish("cam", raw, _size(images), tgt, logits, multi, name)


@methods.register("gradcam", family="cam", gradients=True, aliases=("grad-cam",))
def gradcam(
    model: nn.Module, images: torch.Tensor, targets: Targets = None,
    layer: str | nn.Module | None = None, *, output: OutputSelector = None,
) -> Explanation:
    """Grad-CAM (Selvaraju et al. 2017): ``ReLU(sum_k mean_ij(dy/dA_kij) A_k)``."""
    name, act, grads, logits, tgt, multi = layer_gradients(
        model, images, targets, layer, output=output
    )
    raw = F.relu(_weighted(grads.mean((-2, -1)), act))
    return finish("gradcam", raw, _size(images), tgt, logits, multi, name)


def gradcampp_weights(act: torch.Tensor, grads: torch.Tensor, variant: str) -> torch.Tensor:
    """Grad-CAM++ channel weights ``(N, K, C)`` in the stable form ``alpha = 1 / (2 + S g)``
    with ``S = sum_ab A_ab`` (the exp-score closed form of Chattopadhay et al., eq. 19).

    ``variant="official"`` normalises alpha to sum 1 over positions per channel (the authors'
    code); ``"pytorch-grad-cam"`` uses it unnormalised like pytorch-grad-cam.
    """
    s = act.sum((-2, -1))[:, None, :, None, None]  # (N, 1, C, 1, 1)
    denom = 2.0 + s * grads
    if variant == "pytorch-grad-cam":
        # pytorch-grad-cam adds eps = 1e-6 to g^2 (2 + S g): alpha = 1 / (2 + S g + eps / g^2),
        # which shrinks alpha where |g| is small and makes the map depend on the logit scale
        g2 = grads * grads
        alpha = torch.where(grads != 0, g2 / (g2 * denom + 1e-6), 0.0)
    else:
        alpha = torch.where((grads != 0) & (denom != 0), 1.0 / denom, 0.0)
    if variant == "official":
        total = alpha.sum((-2, -1), keepdim=True)
        alpha = alpha / torch.where(total != 0, total, 1.0)
    return (F.relu(grads) * alpha).sum((-2, -1))


@methods.register("gradcam++", family="cam", gradients=True,
                  aliases=("gradcampp", "grad-cam++", "gradcam-pp"))
def gradcampp(
    model: nn.Module, images: torch.Tensor, targets: Targets = None,
    layer: str | nn.Module | None = None, *, output: OutputSelector = None,
    variant: str = "official",
) -> Explanation:
    """Grad-CAM++ (Chattopadhay et al. 2018): positive gradients weighted by higher-order alphas;
    better than Grad-CAM when a class appears several times. ``variant``: ``"official"``
    (alpha-normalised) or ``"pytorch-grad-cam"``."""
    check_choice(variant, ("official", "pytorch-grad-cam"), "variant")
    name, act, grads, logits, tgt, multi = layer_gradients(
        model, images, targets, layer, output=output
    )
    raw = F.relu(_weighted(gradcampp_weights(act, grads, variant), act))
    return finish("gradcam++", raw, _size(images), tgt, logits, multi, name)


@methods.register("layercam", family="cam", gradients=True, aliases=("layer-cam",))
def layercam(
    model: nn.Module, images: torch.Tensor, targets: Targets = None,
    layer: str | nn.Module | None = None, *, output: OutputSelector = None,
) -> Explanation:
    """LayerCAM (Jiang et al. 2021): ``ReLU(sum_k ReLU(g_k) * A_k)`` position by position."""
    name, act, grads, logits, tgt, multi = layer_gradients(
        model, images, targets, layer, output=output
    )
    raw = F.relu((F.relu(grads) * act[:, None]).sum(2))
    return finish("layercam", raw, _size(images), tgt, logits, multi, name)


@methods.register("hirescam", family="cam", gradients=True, aliases=("hires-cam",))
def hirescam(
    model: nn.Module, images: torch.Tensor, targets: Targets = None,
    layer: str | nn.Module | None = None, *, output: OutputSelector = None,
) -> Explanation:
    """HiResCAM (Draelos & Carin 2020): ``ReLU(sum_k g_k * A_k)`` without pooling the gradients."""
    name, act, grads, logits, tgt, multi = layer_gradients(
        model, images, targets, layer, output=output
    )
    raw = F.relu((grads * act[:, None]).sum(2))
    return finish("hirescam", raw, _size(images), tgt, logits, multi, name)


@methods.register("scorecam", family="cam", gradients=False, slow=True, aliases=("score-cam",))
def scorecam(
    model: nn.Module, images: torch.Tensor, targets: Targets = None,
    layer: str | nn.Module | None = None, *, output: OutputSelector = None,
    batch_size: int = 32,
) -> Explanation:
    """Score-CAM (Wang et al. 2020), gradient-free: each channel, upsampled (align-corners
    bilinear, as pytorch-grad-cam) and min-max normalised, masks the image; the softmax over
    channels of the masked images' target logits weights the channels. Costs one forward per
    channel and image (C / ``batch_size`` batches)."""
    check_positive(batch_size, "batch_size")
    name, act, _, logits, tgt, multi = layer_gradients(
        model, images, targets, layer, output=output, grad=False
    )
    n, c = act.shape[:2]
    size = _size(images)
    scores = torch.empty(n, tgt.shape[1], c, device=act.device)
    with model_guard(model), torch.no_grad():
        for i in range(n):
            for c0 in range(0, c, batch_size):
                a = act[i, c0 : c0 + batch_size, None].float()
                up = F.interpolate(a, size=size, mode="bilinear", align_corners=True)
                lo = up.amin((-2, -1), keepdim=True)
                hi = up.amax((-2, -1), keepdim=True)
                mask = (up - lo) / (hi - lo + 1e-8)
                out = select_output(model(images[i : i + 1] * mask), output)
                scores[i, :, c0 : c0 + batch_size] = out[:, tgt[i]].T
    raw = F.relu(_weighted(scores.softmax(-1), act.float()))
    return finish("scorecam", raw, size, tgt, logits, multi, name)
