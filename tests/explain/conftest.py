"""Fixtures for the explain tests: a tiny CNN, random-weight library CNNs, the real weights."""

from __future__ import annotations

import pytest
import torch
from torch import nn


class TinyCNN(nn.Module):
    """conv-ReLU-conv-ReLU6-GAP-linear: small enough for 1,000 calls and Score-CAM parity."""

    def __init__(self, classes: int = 5) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 3, padding=1)
        self.act1 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(6, 8, 3, stride=2, padding=1)
        self.act2 = nn.ReLU6()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(8, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act2(self.conv2(self.act1(self.conv1(x))))
        return self.fc(self.pool(x).flatten(1))


@pytest.fixture
def tiny():
    """A fresh TinyCNN; runs on one thread (intra-op threads only cost time on a model this small,
    and a lot on a busy machine)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    yield TinyCNN().eval()
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def resnet18() -> nn.Module:
    import torchvision

    torch.manual_seed(0)
    return torchvision.models.resnet18().eval()


@pytest.fixture(scope="session")
def lite0_random() -> nn.Module:
    import timm

    torch.manual_seed(0)
    return timm.create_model("efficientnet_lite0", pretrained=False).eval()


@pytest.fixture(scope="session")
def lite0() -> nn.Module:
    """EfficientNet-Lite0 with its real ImageNet weights through oculi.models."""
    from oculi.models import create_model

    return create_model("efficientnet_lite0", pretrained=True).eval()


@pytest.fixture(scope="session")
def photos(lite0: nn.Module) -> torch.Tensor:
    """The embedded photos, preprocessed for the real model: (4, 3, 224, 224) in [0, 1]."""
    from oculi.data import load

    return lite0.preprocess([load(n) for n in ("chelsea", "coffee", "rocket", "astronaut")])
