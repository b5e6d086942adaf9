"""The Ray side of :func:`oculi.batch.run_batch`: connect (or start a local cluster), then a Ray
Data pipeline ``from_items(inputs) -> map_batches(actor pool)`` whose actors load the job once
and run :func:`oculi.batch.engine.process_items` on each chunk. Imported only when Ray is used.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from oculi.batch.engine import INDEX_COLUMNS, process_items
from oculi.batch.jobs import jobs
from oculi.batch.pool import plan_actor_pool
from oculi.core.errors import OculiError, ParameterError


def local_cpus() -> int:
    """The CPUs this process may use (its affinity mask)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


@contextlib.contextmanager
def connected(address: str | None = None) -> Iterator[None]:
    """Use the Ray cluster this process is connected to, else connect to ``address``, else start
    a local one (this machine's CPUs, no dashboard, worker logs not forwarded); a cluster
    started or joined here is left on exit.

    Raises:
        ParameterError: no cluster answers at ``address``.
    """
    import ray

    if ray.is_initialized():
        yield
        return
    try:
        if address:
            ray.init(address=address, log_to_driver=False, logging_level=logging.WARNING)
        else:
            ray.init(num_cpus=local_cpus(), include_dashboard=False, log_to_driver=False,
                     logging_level=logging.WARNING)
    except ConnectionError as exc:
        raise ParameterError(f"--address {address}: no Ray cluster there ({exc})") from None
    try:
        yield
    finally:
        ray.shutdown()


class _Worker:
    """One actor of the pool: the job's runner, loaded once, applied to each chunk."""

    def __init__(self, job: str, options: dict[str, Any], out: str) -> None:
        import ray

        self.job, self.out = job, Path(out)
        self.runner = jobs.create(job, **options)
        self.node = ray.get_runtime_context().get_node_id()

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, list[str]]:
        items = [(str(p), str(s)) for p, s in zip(batch["input"], batch["stem"], strict=True)]
        rows = process_items(self.runner, self.job, items, self.out, self.node)
        return {c: [r[c] for r in rows] for c in INDEX_COLUMNS}


def _oculi_cause(exc: BaseException) -> OculiError | None:
    """The oculi error a Ray error wraps (an actor that failed to load its model), if any."""
    seen: BaseException | None = exc
    while seen is not None:
        cause = getattr(seen, "cause", None)
        if isinstance(cause, OculiError):
            return cause
        if isinstance(seen, OculiError) and type(seen).__module__.startswith("oculi"):
            return seen
        seen = seen.__cause__
    return None


def run_on_ray(job: str, options: dict[str, Any], items: list[tuple[str, str]], out: Path, *,
               address: str | None, workers: int | None, batch_size: int,
               collect: Callable[[list[dict[str, str]]], None]) -> int:
    """Run ``items`` (``(path, stem)`` pairs) through an actor pool; pass each finished chunk's
    index rows to ``collect``. Returns the pool size."""
    import ray

    with connected(address):
        ctx = ray.data.DataContext.get_current()
        ctx.enable_progress_bars = False
        ctx.print_on_execution_start = False
        logging.getLogger("ray.data").setLevel(logging.WARNING)
        plan = plan_actor_pool(ray.cluster_resources().get("CPU", 1.0), workers)
        ds = ray.data.from_items([{"input": p, "stem": s} for p, s in items],
                                 override_num_blocks=max(1, math.ceil(len(items) / batch_size)))
        ds = ds.map_batches(_Worker, fn_constructor_kwargs={"job": job, "options": options,
                                                            "out": str(out.absolute())},
                            batch_size=batch_size, batch_format="numpy",
                            compute=ray.data.ActorPoolStrategy(size=plan.size),
                            num_cpus=plan.cpus_per_actor)
        try:
            for batch in ds.iter_batches(batch_size=None, batch_format="numpy"):
                cols = {c: [str(v) for v in batch[c]] for c in INDEX_COLUMNS}
                collect([dict(zip(INDEX_COLUMNS, vals, strict=True))
                         for vals in zip(*cols.values(), strict=True)])
        except Exception as exc:
            cause = _oculi_cause(exc)
            if cause is not None:
                raise cause from None
            raise
    return plan.size
