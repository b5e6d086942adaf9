"""A tiny randomly initialised DepthNet, its ONNX export and its safetensors (once a session),
and the TUM RGB-D pair of ../shared/data/rgbd_depth (skipped when absent)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.conftest import shared_set

#: the tiny test network: smallest registry backbone, narrow decoder, 64x64 input
NET_SIZE = (64, 64)


@pytest.fixture(scope="session")
def tiny_net():
    import torch

    from oculi.depth import DepthNet

    torch.manual_seed(0)
    return DepthNet("mobilenet_v2", features=16).eval()


@pytest.fixture(scope="session")
def model_files(tiny_net, tmp_path_factory) -> dict[str, Path]:
    from oculi.depth import export_onnx, save_depth_net

    folder = tmp_path_factory.mktemp("depth_models")
    return {"onnx": export_onnx(tiny_net, folder / "tiny.onnx", size=NET_SIZE),
            "safetensors": save_depth_net(tiny_net, folder / "tiny.safetensors", size=NET_SIZE)}


@pytest.fixture(scope="session")
def tum() -> dict[str, np.ndarray | Path]:
    """The TUM colour image (480x640x3 uint8) and its sensor depth (metres, 0 = unknown)."""
    from oculi.io import read_image

    folder = shared_set("rgbd_depth/tum")
    return {"folder": folder, "color": read_image(folder / "TUM_color.png", mode="rgb"),
            "depth": np.load(folder / "TUM_depth_m.npy")}
