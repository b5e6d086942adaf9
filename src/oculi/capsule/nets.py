"""The two networks of the ``capsnet`` task: :class:`CapsNet` (conv -> PrimaryCaps ->
DigitCaps with dynamic routing, plus the reconstruction decoder) and :class:`BaselineCNN`, a
plain CNN sized to the same parameter count for the comparison.

Both take ``(B, 1, 28, 28)`` float32 in [0, 1] and return class scores ``(B, K)`` in [0, 1]
(CapsNet: capsule lengths; CNN: softmax probabilities) from :meth:`classify`.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from oculi.capsule.layers import mask_capsules, route, squash

IMAGE_SIDE = 28


def count_parameters(model: nn.Module) -> int:
    """Trainable parameters of ``model``."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


class PrimaryCaps(nn.Module):
    """A 9x9 stride-2 convolution whose ``channels * dim`` outputs are read as ``channels``
    capsule types of ``dim`` dimensions at every position, squashed.

    Input ``(B, C_in, H, W)``; output ``(B, channels * H' * W', dim)``.
    """

    def __init__(self, in_channels: int, channels: int, dim: int, kernel: int = 9,
                 stride: int = 2) -> None:
        super().__init__()
        self.channels, self.dim = channels, dim
        self.conv = nn.Conv2d(in_channels, channels * dim, kernel, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv(x)
        b, _, h, w = y.shape
        y = y.view(b, self.channels, self.dim, h, w).permute(0, 1, 3, 4, 2)
        return squash(y.reshape(b, self.channels * h * w, self.dim))


class ClassCaps(nn.Module):
    """Fully connected capsule layer with routing: each child capsule ``i`` predicts each
    parent ``j`` with its own matrix ``W_ij`` (``out_dim x in_dim``), then :func:`route`.

    Input ``(B, children, in_dim)``; output ``(B, parents, out_dim)`` and the coupling
    coefficients ``(B, children, parents)``.
    """

    def __init__(self, children: int, in_dim: int, parents: int, out_dim: int,
                 iterations: int = 3) -> None:
        super().__init__()
        self.parents, self.out_dim, self.iterations = parents, out_dim, iterations
        # std 0.3 / sqrt(in_dim): class capsules start short but not vanishing (0.01 learns
        # slower in the first hundred steps)
        self.weight = nn.Parameter(torch.randn(children, in_dim, parents * out_dim)
                                   * (0.3 / in_dim ** 0.5))

    def forward(self, u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        b, n, _ = u.shape
        # one batched matmul over the children: (n, B, in) @ (n, in, P*D) -> (n, B, P*D)
        u_hat = torch.bmm(u.transpose(0, 1), self.weight).transpose(0, 1)
        return route(u_hat.reshape(b, n, self.parents, self.out_dim), self.iterations)


class CapsNet(nn.Module):
    """CapsNet of the paper with its reconstruction decoder.

    conv 9x9 ``conv_channels`` (ReLU) -> PrimaryCaps (``primary_channels`` types of
    ``primary_dim``-D, 9x9 stride 2: 6x6 positions on 28x28) -> ``num_classes`` class capsules of
    ``class_dim``-D by ``routing_iterations`` of dynamic routing. The decoder (FC 512 - 1024 -
    784, sigmoid) rebuilds the image from the masked class capsules. The paper's network is
    ``conv_channels=256, primary_channels=32`` (8.2 M parameters with the decoder).
    """

    def __init__(self, num_classes: int = 10, conv_channels: int = 256,
                 primary_channels: int = 32, primary_dim: int = 8, class_dim: int = 16,
                 routing_iterations: int = 3) -> None:
        super().__init__()
        self.cfg = {"num_classes": num_classes, "conv_channels": conv_channels,
                    "primary_channels": primary_channels, "primary_dim": primary_dim,
                    "class_dim": class_dim, "routing_iterations": routing_iterations}
        self.conv = nn.Conv2d(1, conv_channels, 9)
        self.primary = PrimaryCaps(conv_channels, primary_channels, primary_dim)
        side = ((IMAGE_SIDE - 8) - 9) // 2 + 1
        self.classes = ClassCaps(primary_channels * side * side, primary_dim, num_classes,
                                 class_dim, routing_iterations)
        self.decoder = nn.Sequential(
            nn.Linear(num_classes * class_dim, 512), nn.ReLU(inplace=True),
            nn.Linear(512, 1024), nn.ReLU(inplace=True),
            nn.Linear(1024, IMAGE_SIDE * IMAGE_SIDE), nn.Sigmoid())

    def config(self) -> dict[str, Any]:
        return {"model": "capsnet", **self.cfg}

    def capsules(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Class capsules ``(B, K, class_dim)`` and coupling coefficients of ``x``
        ``(B, 1, 28, 28)``."""
        return self.classes(self.primary(torch.relu(self.conv(x))))

    def decode(self, masked: torch.Tensor) -> torch.Tensor:
        """Images ``(B, 1, 28, 28)`` in [0, 1] from masked capsules ``(B, K * class_dim)``."""
        return self.decoder(masked).view(-1, 1, IMAGE_SIDE, IMAGE_SIDE)

    def forward(self, x: torch.Tensor,
                labels: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Capsule lengths ``(B, K)`` and the reconstruction ``(B, 1, 28, 28)`` (decoded from
        the ``labels`` capsule, or the predicted one when None)."""
        v, _ = self.capsules(x)
        return v.norm(dim=-1), self.decode(mask_capsules(v, labels))

    def classify(self, x: torch.Tensor) -> torch.Tensor:
        """Capsule lengths ``(B, K)`` in [0, 1) (no decoder)."""
        return self.capsules(x)[0].norm(dim=-1)


class BaselineCNN(nn.Module):
    """The comparison CNN: conv 5x5 ``width`` -> pool -> conv 5x5 ``2 width`` -> pool ->
    FC ``hidden`` (dropout 0.5) -> FC ``num_classes``; ReLU after each hidden layer.
    :func:`cnn_matching` picks ``hidden`` for a parameter budget."""

    def __init__(self, num_classes: int = 10, width: int = 64, hidden: int = 512) -> None:
        super().__init__()
        self.cfg = {"num_classes": num_classes, "width": width, "hidden": hidden}
        self.features = nn.Sequential(
            nn.Conv2d(1, width, 5, padding=2), nn.ReLU(inplace=True), nn.MaxPool2d(2),
            nn.Conv2d(width, 2 * width, 5, padding=2), nn.ReLU(inplace=True), nn.MaxPool2d(2))
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(2 * width * 49, hidden),
                                  nn.ReLU(inplace=True), nn.Dropout(0.5),
                                  nn.Linear(hidden, num_classes))

    def config(self) -> dict[str, Any]:
        return {"model": "cnn", **self.cfg}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits ``(B, K)``."""
        return self.head(self.features(x))

    def classify(self, x: torch.Tensor) -> torch.Tensor:
        """Softmax probabilities ``(B, K)``."""
        return torch.softmax(self(x), dim=1)


def cnn_matching(parameters: int, num_classes: int = 10, width: int = 64) -> BaselineCNN:
    """The :class:`BaselineCNN` of ``width`` whose hidden layer makes its parameter count
    closest to ``parameters`` (at least 16 hidden units)."""
    conv = (25 * width + width) + (25 * width * 2 * width + 2 * width)
    fc_in = 2 * width * 49
    per_hidden = fc_in + 1 + num_classes  # weights in, bias, weights out
    hidden = max(16, round((parameters - conv - num_classes) / per_hidden))
    return BaselineCNN(num_classes, width, hidden)


def build_network(model: str = "capsnet", num_classes: int = 10, conv_channels: int = 256,
                  primary_channels: int = 32, routing_iterations: int = 3,
                  cnn_width: int = 64) -> nn.Module:
    """CapsNet, or the CNN with (about) the parameter count of the CapsNet those settings make
    (the decoder included: the count the paper quotes)."""
    caps = CapsNet(num_classes, conv_channels, primary_channels,
                   routing_iterations=routing_iterations)
    if model == "capsnet":
        return caps
    return cnn_matching(count_parameters(caps), num_classes, cnn_width)


def rebuild(config: dict[str, Any]) -> nn.Module:
    """The network a checkpoint's ``config()`` dict describes."""
    config = dict(config)
    kind = config.pop("model")
    return CapsNet(**config) if kind == "capsnet" else BaselineCNN(**config)


__all__ = ["BaselineCNN", "CapsNet", "ClassCaps", "PrimaryCaps", "build_network",
           "cnn_matching", "count_parameters", "rebuild"]
