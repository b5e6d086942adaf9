"""Style-transfer losses on the named layers of a :class:`~oculi.stylize.features.StyleFeatures`.

- content: ``mean((φ_l(x) − φ_l(c))²)`` over the content layers (Gatys et al. 2016);
- style (Gram): ``Σ_l w_l · mean((G_l(x) − G_l(s))²)`` with the normalised Gram matrix
  ``G = F Fᵀ / (C·H·W)`` of the ``C × HW`` feature matrix ``F``;
- style (mean/std): ``Σ_l w_l · (‖μ_l(x) − μ_l(s)‖² + ‖σ_l(x) − σ_l(s)‖²) / C`` per-channel
  statistics (Huang & Belongie 2017, the AdaIN loss);
- total variation: ``mean(|x[i+1, j] − x[i, j]|) + mean(|x[i, j+1] − x[i, j]|)``.

Images are NCHW float32 in [0, 1].
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from torch import nn

from oculi.core.checks import check_choice, check_positive
from oculi.core.errors import ParameterError
from oculi.stylize.features import StyleFeatures, default_layers


def gram_matrix(features: torch.Tensor) -> torch.Tensor:
    """Normalised Gram matrices ``F Fᵀ / (C·H·W)`` of ``(N, C, H, W)`` features -> ``(N, C, C)``."""
    n, c, h, w = features.shape
    f = features.reshape(n, c, h * w)
    return torch.bmm(f, f.transpose(1, 2)) / (c * h * w)


def mean_std(features: torch.Tensor, eps: float = 1e-5) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-channel mean and standard deviation of ``(N, C, H, W)`` features, each
    ``(N, C, 1, 1)``."""
    n, c = features.shape[:2]
    f = features.reshape(n, c, -1)
    return f.mean(2).view(n, c, 1, 1), (f.var(2, unbiased=False) + eps).sqrt().view(n, c, 1, 1)


def total_variation(x: torch.Tensor) -> torch.Tensor:
    """Anisotropic total variation of ``(N, C, H, W)`` images: mean absolute vertical plus mean
    absolute horizontal neighbour difference (a scalar)."""
    return (x[..., 1:, :] - x[..., :-1, :]).abs().mean() + (x[..., 1:] - x[..., :-1]).abs().mean()


def _layer_weights(layers: Sequence[str],
                   weights: Mapping[str, float] | Sequence[float] | None) -> dict[str, float]:
    if weights is None:
        return {n: 1.0 / len(layers) for n in layers}
    if isinstance(weights, Mapping):
        unknown = set(weights) - set(layers)
        if unknown:
            raise ParameterError(f"style_layer_weights: {sorted(unknown)} are not style layers "
                                 f"({', '.join(layers)})")
        return {n: float(weights.get(n, 0.0)) for n in layers}
    if len(weights) != len(layers):
        raise ParameterError(f"style_layer_weights: expected {len(layers)} weights (one per "
                             f"style layer), got {len(weights)}")
    return {n: float(w) for n, w in zip(layers, weights, strict=True)}


class StyleObjective(nn.Module):
    """The weighted sum of content, style and total-variation losses for one or more styles.

    Args:
        features: the frozen feature network.
        style: ``(S, 3, H, W)`` style image(s) in [0, 1] (S = 1, or one per item of the batch);
            None: call :meth:`set_style` before use.
        content_layers, style_layers: layer names (None: :func:`default_layers`).
        style_layer_weights: per style layer (a mapping or a sequence; None: equal, summing to 1).
        content_weight, style_weight, tv_weight: the three terms' weights.
        kind: ``gram`` (Gatys, Johnson) or ``mean_std`` (AdaIN).

    Shapes:
        ``forward(x, content)``: ``(N, 3, H, W)`` images -> dict of scalars ``total``,
        ``content``, ``style``, ``tv`` (unweighted terms besides the weighted ``total``).
    """

    def __init__(self, features: StyleFeatures, style: torch.Tensor | None = None, *,
                 content_layers: Sequence[str] | None = None,
                 style_layers: Sequence[str] | None = None,
                 style_layer_weights: Mapping[str, float] | Sequence[float] | None = None,
                 content_weight: float = 1.0, style_weight: float = 1e5, tv_weight: float = 0.0,
                 kind: str = "gram") -> None:
        super().__init__()
        self.features = features
        dc, ds = default_layers(features.backbone)
        self.content_layers = features.check_layers(content_layers or dc)
        self.style_layers = features.check_layers(style_layers or ds)
        self.layer_weights = _layer_weights(self.style_layers, style_layer_weights)
        for name in ("content_weight", "style_weight", "tv_weight"):
            setattr(self, name, check_positive(locals()[name], name, allow_zero=True))
        self.kind = check_choice(kind, ("gram", "mean_std"), "kind")
        self.targets: dict[str, object] = {}
        if style is not None:
            self.set_style(style)

    def _stats(self, feats: dict[str, torch.Tensor]) -> dict[str, object]:
        if self.kind == "gram":
            return {n: gram_matrix(feats[n]) for n in self.style_layers}
        return {n: mean_std(feats[n]) for n in self.style_layers}

    @torch.no_grad()
    def set_style(self, style: torch.Tensor) -> None:
        """Compute and keep the style targets of ``(S, 3, H, W)`` style images."""
        self.targets = self._stats(self.features(style, self.style_layers))

    @torch.no_grad()
    def content_targets(self, content: torch.Tensor) -> dict[str, torch.Tensor]:
        """The content layers' features of ``(N, 3, H, W)`` content images."""
        return self.features(content, self.content_layers)

    def style_term(self, feats: dict[str, torch.Tensor]) -> torch.Tensor:
        """The unweighted style loss of already computed features."""
        if not self.targets:
            raise ParameterError("style: no style image set (call set_style first)")
        stats = self._stats(feats)
        total = next(iter(feats.values())).new_zeros(())
        for n in self.style_layers:
            w = self.layer_weights[n]
            if self.kind == "gram":
                total = total + w * ((stats[n] - self.targets[n]) ** 2).mean()
            else:
                (m, s), (mt, st) = stats[n], self.targets[n]
                total = total + w * (((m - mt) ** 2).mean() + ((s - st) ** 2).mean())
        return total

    def forward(self, x: torch.Tensor,
                content: torch.Tensor | dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Losses of images ``x`` against ``content`` (images, or :meth:`content_targets`)."""
        if isinstance(content, torch.Tensor):
            content = self.content_targets(content)
        layers = list(dict.fromkeys([*self.content_layers, *self.style_layers]))
        feats = self.features(x, layers)
        c = sum(((feats[n] - content[n]) ** 2).mean() for n in self.content_layers)
        s = self.style_term(feats)
        tv = total_variation(x) if self.tv_weight else x.new_zeros(())
        total = self.content_weight * c + self.style_weight * s + self.tv_weight * tv
        return {"total": total, "content": c, "style": s, "tv": tv}
