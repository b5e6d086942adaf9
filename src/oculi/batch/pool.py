"""How many Ray actors a batch job runs, and how much CPU each asks for.

Ray Data runs the actor pool *and* other tasks (handing the input blocks out, the driver's work):
if the pool takes every CPU, nothing else can be scheduled and the job waits forever (two
one-CPU actors on a two-CPU machine). The rule keeps one CPU free (half the CPU on a one-CPU
machine) and shares the rest among the actors, at most one CPU each.

    >>> plan_actor_pool(2)
    PoolPlan(size=1, cpus_per_actor=1.0, reserved_cpus=1.0)
    >>> plan_actor_pool(2, workers=2)
    PoolPlan(size=2, cpus_per_actor=0.5, reserved_cpus=1.0)
    >>> plan_actor_pool(16).size
    15
"""

from __future__ import annotations

from dataclasses import dataclass

from oculi.core.checks import check_positive


@dataclass(frozen=True)
class PoolPlan:
    """An actor pool: ``size`` actors of ``cpus_per_actor`` CPUs, ``reserved_cpus`` left free."""

    size: int
    cpus_per_actor: float
    reserved_cpus: float


def plan_actor_pool(cpus: float, workers: int | None = None) -> PoolPlan:
    """The actor pool for a cluster of ``cpus`` CPUs (see the module doc).

    Args:
        cpus: the cluster's CPUs (``ray.cluster_resources()["CPU"]``), > 0.
        workers: actors wanted (None: one per free CPU). More actors than free CPUs share them.

    Raises:
        ParameterError: ``cpus`` or ``workers`` not positive.
    """
    check_positive(cpus, "cpus")
    if workers is not None:
        check_positive(workers, "workers")
    reserved = 1.0 if cpus >= 2 else cpus / 2
    free = cpus - reserved
    size = workers or max(1, int(free))
    return PoolPlan(size, min(1.0, free / size), reserved)
