"""Versions and machine facts for ``oculi info`` and bug reports."""

from __future__ import annotations

import importlib.metadata as md
import os


def _version(dist: str) -> str:
    try:
        return md.version(dist)
    except md.PackageNotFoundError:
        return "not installed"


def collect_info() -> dict[str, str]:
    """oculi, Python, numpy, torch, torchvision, timm and OpenCV versions; threads; CUDA."""
    import platform

    import oculi

    out = {
        "oculi": oculi.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "numpy": _version("numpy"),
        "opencv": _version("opencv-contrib-python-headless"),
        "torch": _version("torch"),
        "torchvision": _version("torchvision"),
        "timm": _version("timm"),
        "cpu cores": str(os.cpu_count()),
    }
    try:
        import cv2

        out["opencv threads"] = str(cv2.getNumThreads())
        out["opencv contrib"] = "yes" if hasattr(cv2, "xfeatures2d") else "NO (xfeatures2d missing)"
    except ImportError:
        out["opencv contrib"] = "not importable"
    try:
        import torch

        out["torch threads"] = str(torch.get_num_threads())
        cuda = torch.cuda.is_available()
        out["cuda"] = f"yes ({torch.cuda.get_device_name(0)})" if cuda else "no"
    except ImportError:
        out["cuda"] = "torch not importable"
    return out
