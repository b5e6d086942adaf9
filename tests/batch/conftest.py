"""Small image folders for the batch tests, and one local Ray cluster per test module."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

#: embedded samples with a clear ImageNet class (cat, cup, rocket, ...), shrunk for speed
SAMPLES = ("chelsea", "coffee", "rocket", "astronaut", "motorcycle_left", "horse")


def make_images(root: Path, n: int, *, bad: bool = True, step: int = 2) -> Path:
    """``n`` PNGs cut from the embedded samples (in ``root`` and ``root/sub``), plus (``bad``)
    one text file named like an image."""
    from oculi.data import load
    from oculi.io import write_image

    for i in range(n):
        image = load(SAMPLES[i % len(SAMPLES)], mode="rgb")[::step, ::step]
        image = np.ascontiguousarray(image[i // len(SAMPLES):])  # every file a bit different
        write_image(root / ("sub" if i % 3 == 2 else "") / f"img{i:03d}.png", image)
    if bad:
        (root / "broken.png").write_text("not an image")
    return root


@pytest.fixture
def images(tmp_path: Path) -> Path:
    return make_images(tmp_path / "in", 7)


@pytest.fixture(scope="module")
def ray_cluster():
    """A local two-CPU Ray cluster for the module (about 10 s to start)."""
    ray = pytest.importorskip("ray")
    pytest.importorskip("ray.data")
    if ray.is_initialized():
        ray.shutdown()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()
