"""The actor-pool sizing rule: Ray Data must keep a CPU for its other tasks."""

from __future__ import annotations

import pytest

from oculi.batch import plan_actor_pool
from oculi.core.errors import ParameterError


@pytest.mark.parametrize("cpus", [0.5, 1, 2, 3, 4, 8, 16, 64])
@pytest.mark.parametrize("workers", [None, 1, 2, 3, 7])
def test_pool_leaves_cpu_for_the_other_tasks(cpus, workers):
    plan = plan_actor_pool(cpus, workers)
    assert plan.size == (workers or max(1, int(cpus - plan.reserved_cpus)))
    assert plan.reserved_cpus > 0
    assert 0 < plan.cpus_per_actor <= 1
    assert plan.size * plan.cpus_per_actor <= cpus - plan.reserved_cpus + 1e-9


def test_two_cpus_never_get_two_one_cpu_actors():
    """The deadlock: two one-CPU actors on a two-CPU machine leave nothing for the reader."""
    assert plan_actor_pool(2).size == 1
    two = plan_actor_pool(2, workers=2)
    assert (two.size, two.cpus_per_actor) == (2, 0.5)


def test_many_cpus_use_all_but_one():
    plan = plan_actor_pool(16)
    assert (plan.size, plan.cpus_per_actor) == (15, 1.0)


@pytest.mark.parametrize(("cpus", "workers"), [(0, None), (-2, None), (4, 0)])
def test_bad_sizes_are_parameter_errors(cpus, workers):
    with pytest.raises(ParameterError):
        plan_actor_pool(cpus, workers)
