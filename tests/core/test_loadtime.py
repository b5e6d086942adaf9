"""oculi.core.loadtime: one record per outermost load, the reporter, the JSON summary."""

from __future__ import annotations

import time

import pytest

from oculi.core import loadtime


@pytest.fixture(autouse=True)
def _clean():
    loadtime.clear_model_loads()
    loadtime.set_reporter(None)
    yield
    loadtime.clear_model_loads()
    loadtime.set_reporter(None)


def test_outer_load_recorded_once_with_its_time() -> None:
    seen = []
    loadtime.set_reporter(seen.append)
    with loadtime.timed_load("net"):
        with loadtime.timed_load("net.safetensors"):  # part of the outer load
            time.sleep(0.02)
        time.sleep(0.01)
    loads = loadtime.model_loads()
    assert [x.model for x in loads] == ["net"] and seen == loads
    assert 0.03 <= loads[0].seconds < 5
    assert loadtime.describe(loads[0]).startswith("loaded net in 0.0")


def test_failed_load_is_not_recorded_and_nesting_recovers() -> None:
    with pytest.raises(RuntimeError), loadtime.timed_load("bad"):
        raise RuntimeError("unreadable")
    assert loadtime.model_loads() == []
    with loadtime.timed_load("good"):
        pass
    assert [x.model for x in loadtime.model_loads()] == ["good"]


def test_summary_sums_every_load() -> None:
    assert loadtime.summary() == {}
    loads = [loadtime.ModelLoad("a", 0.25), loadtime.ModelLoad("b", 0.5004)]
    assert loadtime.summary(loads) == {
        "model_load_s": 0.75,
        "model_loads": [{"model": "a", "seconds": 0.25}, {"model": "b", "seconds": 0.5}]}
