"""``oculi train TASK DATA -o RUN --ray N``: the oculi trainer on N Ray workers with Ray Train's
``TorchTrainer``.

Ray Train starts the workers (one CPU each, or one GPU each when the cluster has them), joins
them in a torch process group (gloo on CPU, nccl on GPU) and sets ``RANK``/``WORLD_SIZE``/
``LOCAL_RANK`` as ``torchrun`` would; each worker then calls the task's own train function, whose
DDP path (:mod:`oculi.train.distributed`) takes it from there: the data is sharded, gradients are
averaged, rank 0 writes the run folder. On several machines ``RUN`` and ``DATA`` must be paths
every node can read (shared storage).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any


def _worker(config: dict[str, Any]) -> None:
    """One Ray Train worker: the task's train function, in the process group Ray set up; rank 0
    then records the size of that group (what DDP ran on) in ``RUN/ray/workers.json``."""
    import torch.distributed as dist

    from oculi.core.atomic import write_json_atomic
    from oculi.tasks import trainable_tasks

    world = dist.get_world_size() if dist.is_initialized() else 1
    rank = dist.get_rank() if dist.is_initialized() else 0
    train = trainable_tasks.get(config["task"]).load("train")
    train(config["data"], config["cfg"], config["out"], resume=config["resume"], progress=False)
    if rank == 0:
        write_json_atomic(Path(config["out"]) / "ray" / "workers.json",
                          {"process_group_size": world})


def train_on_ray(task: str, data: str | os.PathLike[str], cfg: Any, out: str | os.PathLike[str],
                 workers: int, *, resume: bool = False, address: str | None = None,
                 use_gpu: bool | None = None) -> dict[str, Any]:
    """Train ``task`` with ``cfg`` on ``workers`` Ray Train workers (data-parallel).

    Args:
        task: a :data:`oculi.tasks.trainable_tasks` name.
        data: the task's data (as for ``oculi train TASK DATA``).
        cfg: the task's config (its ``device`` ``cpu`` keeps the workers off GPUs).
        out: the run folder (written by rank 0).
        workers: Ray Train workers (processes), >= 1.
        resume: continue the run in ``out``.
        address: a Ray cluster (``auto``, ``ray://host:10001``); None: a local one.
        use_gpu: one GPU per worker (None: when the cluster has a GPU for every worker and
            ``cfg.device`` is not ``cpu``).

    Returns:
        The run's ``summary.json`` (best epoch and metric, monitor, best checkpoint, ...) and
        ``ray_workers``: the size of the torch process group the workers trained in.

    Raises:
        UnknownNameError: unknown task. ParameterError: ``workers`` < 1, a config that
        trains only in one process (``cfg.single_process_reason()``), no cluster at
        ``address``. The task's own errors (a :class:`DataError` for unreadable data) as the
        workers raised them.
    """
    from oculi.batch.cluster import connected, oculi_error_inside
    from oculi.core.checks import check_positive
    from oculi.core.errors import ParameterError
    from oculi.tasks import trainable_tasks

    check_positive(workers, "workers")
    reason = cfg.single_process_reason()
    if reason is not None:
        raise ParameterError(f"--ray: {reason}")
    task = trainable_tasks.entry(task).name
    target = Path(out).absolute()
    with connected(address):
        import ray
        from ray.train import RunConfig, ScalingConfig
        from ray.train.torch import TorchTrainer

        resources = ray.cluster_resources()
        if use_gpu is None:
            use_gpu = cfg.device != "cpu" and resources.get("GPU", 0) >= workers
        cpus = resources.get("CPU", 1.0)
        per_worker = {"CPU": min(1.0, cpus / workers)}  # N workers fit on fewer CPUs
        trainer = TorchTrainer(
            _worker,
            train_loop_config={"task": task, "data": str(Path(data).absolute()), "cfg": cfg,
                               "out": str(target), "resume": resume},
            scaling_config=ScalingConfig(num_workers=workers, use_gpu=use_gpu,
                                         resources_per_worker=per_worker),
            run_config=RunConfig(storage_path=str(target / "ray"),
                                 name=time.strftime("train-%Y%m%d-%H%M%S")))
        try:
            trainer.fit()
        except Exception as exc:
            cause = oculi_error_inside(exc)
            if cause is not None:
                raise cause from None
            raise
    summary = json.loads((target / "summary.json").read_text(encoding="utf-8"))
    workers_seen = json.loads((target / "ray" / "workers.json").read_text(encoding="utf-8"))
    return {**summary, "ray_workers": int(workers_seen["process_group_size"])}
