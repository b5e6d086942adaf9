"""The training engine, and nothing task-specific: a step loop with hooks (checkpoints and exact
resume, evaluation and best-model selection, EMA, early stopping, progress, metric logging),
learning-rate schedules, gradient clipping and accumulation, AMP on GPU, DDP, and any number of
optimizers per task.

A trainable task (``oculi.classify``, ``oculi.detect``, ``oculi.segment``, ...) subclasses
:class:`Task` and :class:`TrainConfig`; :func:`fit` does the rest. Shared losses and metrics live
in :mod:`oculi.train.losses` and :mod:`oculi.train.metrics`.
"""

from oculi.train._rundir import clear_run, open_run_dir
from oculi.train.checkpoint import load_run_model, resolve_checkpoint
from oculi.train.config import TrainConfig, monitor_higher_is_better
from oculi.train.distributed import DistInfo, setup
from oculi.train.hooks import (
    Checkpointer,
    EarlyStopping,
    EmaHook,
    EvalHook,
    HookBase,
    MetricLogger,
    ProgressHook,
)
from oculi.train.loop import FitResult, Trainer, fit, read_metrics, seed_everything
from oculi.train.optim import ModelEma, build_optimizer, lr_factor, param_groups
from oculi.train.sampler import ShardedSampler
from oculi.train.task import Step, StepOutput, Task, TaskData

__all__ = [
    "Checkpointer",
    "DistInfo",
    "EarlyStopping",
    "EmaHook",
    "EvalHook",
    "FitResult",
    "HookBase",
    "MetricLogger",
    "ModelEma",
    "ProgressHook",
    "ShardedSampler",
    "Step",
    "StepOutput",
    "Task",
    "TaskData",
    "TrainConfig",
    "Trainer",
    "build_optimizer",
    "clear_run",
    "fit",
    "load_run_model",
    "lr_factor",
    "monitor_higher_is_better",
    "open_run_dir",
    "param_groups",
    "read_metrics",
    "resolve_checkpoint",
    "seed_everything",
    "setup",
]
