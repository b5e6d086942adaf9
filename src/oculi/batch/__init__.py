"""Batch jobs, sweeps and multi-node training on Ray.

- :func:`run_batch` runs a topic's per-image work (:data:`jobs`: classify, explain, detect,
  segment, features, ocr, convert) over a folder or a list file with Ray Data, or in-process
  when Ray is absent: one result file per input, an index, resumable (``oculi batch``).
- :func:`plan_actor_pool` sizes the actor pool so that Ray Data's other tasks can still run.
- :func:`connected` joins a Ray cluster or starts a local one (usage statistics off).

Importing this package imports neither Ray nor torch.
"""

from oculi.batch.cluster import connected, local_cpus
from oculi.batch.engine import BatchReport, process_items, ray_available, run_batch, write_index
from oculi.batch.inputs import IMAGE_SUFFIXES, collect_inputs, result_stems
from oculi.batch.jobs import JobOutput, jobs
from oculi.batch.pool import PoolPlan, plan_actor_pool

__all__ = [
    "IMAGE_SUFFIXES",
    "BatchReport",
    "JobOutput",
    "PoolPlan",
    "collect_inputs",
    "connected",
    "jobs",
    "local_cpus",
    "plan_actor_pool",
    "process_items",
    "ray_available",
    "result_stems",
    "run_batch",
    "write_index",
]
