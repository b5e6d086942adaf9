"""Distributed data parallel through ``torchrun``: gloo on CPU, nccl on GPU.

``torchrun --nproc-per-node 2 -m oculi.cli.main train classify DATA ...`` (or any script calling
:func:`oculi.train.fit`) sets ``RANK``/``WORLD_SIZE``/``LOCAL_RANK``; :func:`setup` reads them,
joins the process group and picks the device. Without them it is a single process.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class DistInfo:
    """This process's place in the job."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    backend: str = ""

    @property
    def main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world > 1


def setup(device: str = "auto") -> DistInfo:
    """Join the ``torchrun`` process group if there is one; pick the device.

    Args:
        device: "auto" (CUDA when available), "cpu" or "cuda".
    """
    if device == "cuda" and not torch.cuda.is_available():
        from oculi.core.errors import ParameterError

        raise ParameterError("device: 'cuda' asked for but no CUDA device is available; use 'auto'")
    use_cuda = torch.cuda.is_available() if device == "auto" else device == "cuda"
    world = int(os.environ.get("WORLD_SIZE", "1"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    dev = torch.device(f"cuda:{local}" if use_cuda else "cpu")
    if use_cuda:
        torch.cuda.set_device(dev)
    if world <= 1:
        return DistInfo(0, 1, 0, dev, "")
    backend = "nccl" if use_cuda else "gloo"
    if not dist.is_initialized():
        dist.init_process_group(backend=backend)
    return DistInfo(dist.get_rank(), dist.get_world_size(), local, dev, backend)


def barrier(info: DistInfo) -> None:
    if info.distributed:
        dist.barrier()


def broadcast_object(obj: Any, info: DistInfo, src: int = 0) -> Any:
    """``obj`` from rank ``src`` on every rank (pickled through the process group)."""
    if not info.distributed:
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=src)
    return box[0]


def all_reduce_mean(value: float, info: DistInfo) -> float:
    """Mean of a float over ranks."""
    if not info.distributed:
        return value
    t = torch.tensor([value], dtype=torch.float64, device=info.device)
    dist.all_reduce(t)
    return float(t.item()) / info.world


def sync_buffers(module: torch.nn.Module, info: DistInfo, src: int = 0) -> None:
    """Copy rank ``src``'s buffers (BatchNorm running statistics) to every rank.

    DDP broadcasts buffers at the start of each forward, so after the last step every rank holds
    the statistics of its own last batch; this makes the final weights identical (rank 0's, as DDP
    itself would use at the next forward).
    """
    if not info.distributed:
        return
    for b in module.buffers():
        dist.broadcast(b.data, src=src)


def cleanup(info: DistInfo) -> None:
    if info.distributed and dist.is_initialized():
        dist.destroy_process_group()
