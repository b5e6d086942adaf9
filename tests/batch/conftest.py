"""Small image folders for the batch tests, and one local Ray cluster per test session."""

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


@pytest.fixture(scope="session")
def _local_ray():
    """Ray, imported with oculi's quiet environment; shut down after the session."""
    pytest.importorskip("ray.data")
    from oculi.batch.cluster import quiet_environment

    quiet_environment()
    import ray

    yield ray
    if ray.is_initialized():
        ray.shutdown()


@pytest.fixture
def ray_cluster(_local_ray):
    """A local two-CPU Ray cluster, started once per test session (about 5 s) and shared; a test
    that needs another cluster shuts it down and the next user starts it again."""
    if not _local_ray.is_initialized():
        _local_ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    return _local_ray
