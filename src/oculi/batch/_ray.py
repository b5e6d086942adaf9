"""The Ray side of :func:`oculi.batch.run_batch`: connect (or start a local cluster), then a Ray
Data pipeline ``from_items(inputs) -> map_batches(actor pool)`` whose actors load the job once
and run :func:`oculi.batch.engine.process_items` on each chunk. Imported only when Ray is used.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from oculi.batch.cluster import connected, oculi_error_inside, quiet_environment
from oculi.batch.engine import INDEX_COLUMNS, process_items
from oculi.batch.jobs import jobs
from oculi.batch.pool import plan_actor_pool


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


def run_on_ray(job: str, options: dict[str, Any], items: list[tuple[str, str]], out: Path, *,
               address: str | None, workers: int | None, batch_size: int,
               collect: Callable[[list[dict[str, str]]], None]) -> int:
    """Run ``items`` (``(path, stem)`` pairs) through an actor pool; pass each finished chunk's
    index rows to ``collect``. Returns the pool size."""
    quiet_environment()
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
            cause = oculi_error_inside(exc)
            if cause is not None:
                raise cause from None
            raise
    return plan.size
