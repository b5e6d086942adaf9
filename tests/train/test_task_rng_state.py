"""Task.rng_state: the numpy generators a task names are saved and restored for exact resume."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from oculi.train.task import Task


class _Crops(Task):
    rng_state = {"rng": "crops.rng", "extra": "extra_rng"}  # noqa: RUF012 (test double)


def test_saves_and_restores_named_generators():
    task = _Crops()
    assert task.state_dict() == {}  # before build_data: nothing to save
    task.crops = SimpleNamespace(rng=np.random.default_rng(1))
    task.extra_rng = np.random.default_rng(2)
    state = task.state_dict()
    assert set(state) == {"rng", "extra"}
    expected = (task.crops.rng.random(3), task.extra_rng.random(3))
    task.crops.rng.random(100)  # move on, then restore
    task.load_state_dict(state)
    np.testing.assert_array_equal(task.crops.rng.random(3), expected[0])
    np.testing.assert_array_equal(task.extra_rng.random(3), expected[1])


def test_missing_keys_and_attributes_are_left_alone():
    task = _Crops()
    task.crops = SimpleNamespace(rng=np.random.default_rng(1))
    before = task.crops.rng.bit_generator.state
    task.load_state_dict({"extra": np.random.default_rng(5).bit_generator.state})
    assert task.crops.rng.bit_generator.state == before
    assert Task().state_dict() == {}


def test_torch_generators_too():
    import torch

    task = _Crops()
    task.crops = SimpleNamespace(rng=torch.Generator().manual_seed(3))
    state = task.state_dict()
    expected = torch.rand(4, generator=task.crops.rng)
    torch.rand(50, generator=task.crops.rng)
    task.load_state_dict(state)
    assert torch.equal(torch.rand(4, generator=task.crops.rng), expected)
