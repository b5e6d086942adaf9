"""Versions and machine facts for ``oculi info`` and bug reports."""

from __future__ import annotations

import importlib.metadata as md
import os


def _version(dist: str) -> str:
    try:
        return md.version(dist)
    except md.PackageNotFoundError:
        return "not installed"


def _nvidia_driver() -> str:
    """What the machine says about an NVIDIA driver, without importing torch."""
    path = "/proc/driver/nvidia/version"
    if os.path.exists(path):
        return "NVIDIA driver present (oculi info --torch checks that torch can use it)"
    return "no NVIDIA driver found"


def collect_info(torch: bool = False) -> dict[str, str]:
    """oculi, Python, numpy, torch, torchvision, timm and OpenCV versions; threads; CUDA.

    Args:
        torch: import torch to report its threads and whether it sees a CUDA device (about
            5 s on a small machine); otherwise the versions come from the package metadata and
            CUDA from the driver files, and the call takes a fraction of a second.
    """
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
    if not torch:
        out["cuda"] = _nvidia_driver()
        return out
    try:
        import torch as th

        out["torch threads"] = str(th.get_num_threads())
        cuda = th.cuda.is_available()
        out["cuda"] = f"yes ({th.cuda.get_device_name(0)})" if cuda else "no"
    except ImportError:
        out["cuda"] = "torch not importable"
    return out
