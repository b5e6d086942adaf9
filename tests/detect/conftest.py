"""Detection tests run torch on one thread (more threads thrash on the shared 2-core machine)
and share a tiny crop of the raccoon data: four images read at 128 pixels."""

from __future__ import annotations

import pytest
import torch

from tests.conftest import shared_set


@pytest.fixture(autouse=True)
def _one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope="session")
def raccoon():
    return shared_set("det_raccoon")


@pytest.fixture(scope="session")
def tiny_raccoon(raccoon):
    """Four training images (longer side 128) with their boxes, as (images, targets)."""
    from oculi.detect import read_csv

    ds = read_csv(raccoon / "train_labels.csv")
    ds = ds.subset([0, 1, 2, 3])
    ds.max_size = 128
    items = [ds[i] for i in range(len(ds))]
    return [x for x, _ in items], [t for _, t in items], ds
