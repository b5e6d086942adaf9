"""Shared fixtures for the model tests: the real EfficientNet-Lite0, created once."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def lite0():
    from oculi.models import create_model

    return create_model("efficientnet_lite0", pretrained=True)
