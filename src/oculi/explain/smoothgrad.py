"""SmoothGrad (Smilkov et al. 2017): the average of a method's attributions over noisy copies.

The noisy copies are processed in batches of at most ``batch_size`` images (not one forward per
sample, and not all ``N x samples`` at once), so memory stays bounded whatever ``samples`` is.

    >>> import torch, timm
    >>> from oculi.explain import smoothgrad
    >>> net = timm.create_model("resnet18", pretrained=False, num_classes=10)
    >>> e = smoothgrad(net, torch.rand(2, 3, 32, 32), samples=4, seed=0)
    >>> tuple(e.maps.shape), e.method
    ((2, 32, 32), 'smoothgrad(saliency)')
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from oculi.core.checks import check_positive
from oculi.core.errors import ParameterError, ShapeError
from oculi.explain._base import Explanation, finish, methods
from oculi.explain._hooks import (
    OutputSelector,
    check_images,
    make_targets,
    model_guard,
    noisy_inputs,
    select_output,
)


@methods.register("smoothgrad", family="gradient", gradients=True, aliases=("smooth-grad",))
def smoothgrad(
    model: nn.Module,
    images: torch.Tensor,
    targets: Any = None,
    layer: str | nn.Module | None = None,
    *,
    output: OutputSelector = None,
    method: str = "saliency",
    samples: int = 25,
    noise_level: float = 0.15,
    noise: torch.Tensor | None = None,
    seed: int | None = 0,
    batch_size: int = 8,
    **options: Any,
) -> Explanation:
    """Average ``method`` over ``samples`` noisy copies of each image.

    Args:
        model: classifier taking ``(N, C, H, W)`` float images in [0, 1].
        images: ``(N, C, H, W)`` float32 batch in [0, 1].
        targets: classes to explain (default: the top prediction on the clean image).
        layer: passed to ``method`` (CAM methods).
        method: any registered method; gradient methods average their ``(N, C, H, W)``
            attributions, CAM methods their raw maps.
        samples: noisy copies per image.
        noise_level: noise standard deviation as a fraction of each image's value range
            (``sigma = noise_level * (max - min)``, the paper's convention).
        noise: explicit noise ``(N * samples, C, H, W)`` ordered image-major (copy ``s`` of image
            ``i`` at ``i * samples + s``, as captum's ``NoiseTunnel``); overrides the draw.
        seed: seed of the noise generator (None: nondeterministic).
        batch_size: most images per forward/backward pass (8 keeps EfficientNet-Lite0 at
            224x224 near 0.25 GB of extra memory once warm).
        **options: forwarded to ``method``.

    Returns:
        An :class:`Explanation` whose ``method`` is ``"smoothgrad(<method>)"``.
    """
    check_positive(samples, "samples")
    check_positive(batch_size, "batch_size")
    check_positive(noise_level, "noise_level", allow_zero=True)
    base = methods.entry(method)
    if base.name == "smoothgrad":
        raise ParameterError("method: smoothgrad cannot wrap itself")
    check_images(images, model)
    n = images.shape[0]
    if noise is not None and tuple(noise.shape) != (n * samples, *images.shape[1:]):
        raise ShapeError(
            f"noise: expected shape {(n * samples, *images.shape[1:])}, got {tuple(noise.shape)}"
        )
    with model_guard(model), torch.no_grad():
        logits = select_output(model(images), output)
    tgt, multi = make_targets(targets, logits)
    gen = None
    if noise is None:
        gen = torch.Generator(device=images.device)
        if seed is None:
            gen.seed()
        else:
            gen.manual_seed(seed)
        span = (images.flatten(1).amax(1) - images.flatten(1).amin(1)).clamp_min(1e-6)
        sigma = (noise_level * span).view(n, 1, 1, 1)
    total: torch.Tensor | None = None
    layer_name = None
    flat_t = tgt.repeat_interleave(samples, 0)  # image-major, like the noise
    step = max(1, batch_size)
    for start in range(0, n * samples, step):
        stop = min(start + step, n * samples)
        idx = torch.arange(start, stop, device=images.device) // samples
        clean = images[idx]
        if noise is not None:
            noisy = clean + noise[start:stop].to(images)
        else:
            eps = torch.randn(clean.shape, generator=gen, device=images.device, dtype=images.dtype)
            noisy = clean + eps * sigma[idx]
        # (B, K) targets: the method answers with a K axis, (B, K, C, H, W) or (B, K, h, w)
        with noisy_inputs():
            e = base.obj(model, noisy, flat_t[start:stop], layer, output=output, **options)
        layer_name = e.layer
        part = e.attributions if e.attributions is not None else e.raw
        if total is None:
            total = torch.zeros(n, *part.shape[1:], dtype=part.dtype, device=part.device)
        total.index_add_(0, idx, part)
    mean = total / samples  # type: ignore[operator]
    name = f"smoothgrad({base.name})"
    size = (int(images.shape[-2]), int(images.shape[-1]))
    if base.meta.get("family") == "gradient":
        return finish(name, mean.abs().amax(-3), size, tgt, logits, multi, layer_name,
                      attributions=mean)
    return finish(name, mean, size, tgt, logits, multi, layer_name)

