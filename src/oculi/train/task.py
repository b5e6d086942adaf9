"""What a trainable task gives the engine: :class:`Task` (build the model and data, one training
step, the evaluation) and :class:`TaskData`; :class:`Step` is what a step receives.

A task with one optimizer returns its loss from :meth:`Task.train_step` and the engine does the
rest (AMP scaling, accumulation, clipping, the optimizer and schedule step). A task with several
optimizers (a GAN's generator and critic, a compression model's main and auxiliary optimizer)
returns them from :meth:`Task.build_optimizers` and calls :meth:`Step.optimize` itself, once per
optimizer and in the order it needs.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, Sampler

from oculi.core.errors import DataError

if TYPE_CHECKING:
    from oculi.train.config import TrainConfig
    from oculi.train.distributed import DistInfo
    from oculi.train.hooks import HookBase
    from oculi.train.loop import Trainer


@dataclass
class TaskData:
    """What :meth:`Task.build_data` hands the engine.

    Attributes:
        train: the training dataset.
        val: the validation dataset (evaluated on the main process).
        summary: a JSON-able description written to ``data.json`` (counts, classes, skipped
            files).
        collate_fn: batch collation (None: PyTorch's default).
        sampler: the training order for this process (a custom sampler: triplets, clips,
            class-balanced); it may have ``set_epoch(epoch)``. None: the engine's
            :class:`~oculi.train.ShardedSampler`, a seeded shuffle split over processes.
    """

    train: Dataset
    val: Dataset
    summary: dict[str, Any] = field(default_factory=dict)
    collate_fn: Callable | None = None
    sampler: Sampler | None = None


@dataclass
class StepOutput:
    """What :meth:`Task.train_step` returns.

    Attributes:
        loss: the loss (a tensor: the engine optimises it when the step did not call
            :meth:`Step.optimize`; a float is logged only).
        stats: extra training statistics, each summed over the batch (the engine logs
            ``sum / items`` per epoch).
        n: items in the batch.
    """

    loss: torch.Tensor | float
    stats: dict[str, float] = field(default_factory=dict)
    n: int = 1

    @classmethod
    def of(cls, value: Any) -> StepOutput:
        """Accept a :class:`StepOutput` or a ``(loss, stats, n)`` tuple."""
        if isinstance(value, StepOutput):
            return value
        loss, stats, n = value
        return cls(loss, dict(stats), int(n))


class Step:
    """One training iteration as a task sees it.

    Attributes:
        model: the model to call (wrapped for DDP when distributed).
        device: where batches go.
        epoch: 0-based epoch.
        index: 0-based iteration count since the run began.
    """

    def __init__(self, trainer: Trainer) -> None:
        self._trainer = trainer
        self.model: nn.Module = trainer.net
        self.device: torch.device = trainer.info.device
        self.epoch = 0
        self.index = 0
        self.last_in_epoch = False
        self.stepped: list[str] = []
        self.loss_value: float | None = None

    def to_device(self, x: Any) -> Any:
        """Move a tensor, or the tensors of a list/tuple/dict, to :attr:`device`."""
        if torch.is_tensor(x):
            return x.to(self.device, non_blocking=True)
        if isinstance(x, (list, tuple)):
            return type(x)(self.to_device(v) for v in x)
        if isinstance(x, dict):
            return {k: self.to_device(v) for k, v in x.items()}
        return x

    def optimize(self, loss: torch.Tensor, name: str | None = None) -> float:
        """Back-propagate ``loss`` into optimizer ``name`` (the first one when None) and step it
        when its accumulation window is full: AMP loss scaling, gradient clipping, the optimizer
        and its learning-rate schedule.

        Returns:
            The loss value (one device sync).

        Raises:
            DataError: the loss is NaN or infinite (the message names the epoch, the step and
                the optimizer whose loss it is).
        """
        t = self._trainer
        name = name or next(iter(t.optimizers))
        value = float(loss.detach())
        if not math.isfinite(value):
            which = f"the {name} loss" if len(t.optimizers) > 1 else "the loss"
            raise DataError(f"epoch {self.epoch + 1}, step {self.index}: {which} became {value} "
                            f"— lower lr (now {t.cfg.lr}) or enable clip_grad_norm")
        t.backward_and_step(name, loss, self)
        self.loss_value = value if self.loss_value is None else self.loss_value
        return value


def _attribute(obj: Any, path: str) -> Any:
    """``obj.a.b`` for ``path="a.b"``, or None where a link is missing."""
    for name in path.split("."):
        obj = getattr(obj, name, None)
        if obj is None:
            return None
    return obj


class Task:
    """Base class of a trainable task. Subclasses set :attr:`name` and :attr:`config` and
    implement :meth:`build_model`, :meth:`build_data`, :meth:`train_step` and :meth:`evaluate`;
    the other methods have working defaults.
    """

    #: the task's registry name (``classify``, ``detect``, ``segment``, ...)
    name: ClassVar[str] = "task"
    #: metadata key under which checkpoints store the model's config
    checkpoint_key: ClassVar[str] = "oculi"
    #: random generators (numpy ``Generator`` or ``torch.Generator``) saved for exact resume,
    #: state key -> dotted attribute path on the task (e.g. ``{"rng": "crops.rng"}`` for a
    #: crop dataset built in :meth:`build_data`)
    rng_state: ClassVar[dict[str, str]] = {}

    def build_model(self, cfg: TrainConfig) -> nn.Module:
        raise NotImplementedError

    def build_data(self, cfg: TrainConfig, model: nn.Module, info: DistInfo) -> TaskData:
        raise NotImplementedError

    def build_optimizers(self, cfg: TrainConfig,
                         model: nn.Module) -> dict[str, torch.optim.Optimizer]:
        """Named optimizers (default: one, ``main``, over every trainable parameter). A param
        group may set ``hold_epochs``: its learning rate stays 0 for that many epochs."""
        from oculi.train.optim import build_optimizer

        return {"main": build_optimizer(model, cfg.optimizer, cfg.lr, cfg.weight_decay,
                                        momentum=cfg.momentum,
                                        decay_norm_bias=cfg.decay_norm_bias)}

    def train_step(self, step: Step, batch: Any) -> StepOutput | tuple:
        """Compute the loss of one batch (and optimise, for several optimizers)."""
        raise NotImplementedError

    def evaluate(self, model: nn.Module, loader: DataLoader,
                 device: torch.device) -> dict[str, Any]:
        """Validation metrics; keys starting with ``val_`` are logged (floats), the others are
        kept for :meth:`write_artifacts`."""
        raise NotImplementedError

    def hooks(self, cfg: TrainConfig) -> list[HookBase]:
        """Extra hooks of this task (run after the engine's own)."""
        return []

    def write_artifacts(self, run_dir: Path, evaluation: dict[str, Any]) -> None:
        """Write the best evaluation's pictures and tables into the run folder."""

    def checkpoint_metadata(self, model: nn.Module) -> dict[str, str]:
        """String metadata stored in every checkpoint (how to rebuild the model)."""
        import json

        config = model.config() if hasattr(model, "config") else {}
        return {self.checkpoint_key: json.dumps(config), "task": self.name}

    def state_dict(self) -> dict[str, Any]:
        """Task state saved for exact resume: the state of each random generator named in
        :attr:`rng_state` that exists (none before :meth:`build_data`)."""
        out: dict[str, Any] = {}
        for key, path in self.rng_state.items():
            generator = _attribute(self, path)
            if generator is not None:
                out[key] = (generator.bit_generator.state if hasattr(generator, "bit_generator")
                            else generator.get_state())
        return out

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict` (keys it lacks leave their generator as it is)."""
        for key, path in self.rng_state.items():
            generator = _attribute(self, path)
            if key in state and generator is not None:
                if hasattr(generator, "bit_generator"):
                    generator.bit_generator.state = state[key]
                else:
                    generator.set_state(state[key])
