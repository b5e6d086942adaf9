"""Hooks around the training loop (detectron2's ``HookBase`` idea): each piece of what happens
between steps — model EMA, evaluation and best-checkpoint selection, metric logging,
checkpoints for exact resume, early stopping, progress — is one hook, run in list order.

A hook sees the trainer as ``self.trainer`` and may keep state for resume
(:meth:`HookBase.state_dict`). Tasks add their own with :meth:`oculi.train.Task.hooks`.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from oculi.core.atomic import append_jsonl, atomic_path
from oculi.core.errors import ParameterError
from oculi.train.config import monitor_higher_is_better
from oculi.train.distributed import sync_buffers

if TYPE_CHECKING:
    from oculi.train.loop import Trainer


class HookBase:
    """Called by the trainer at fixed points; override what you need."""

    #: key of this hook's state in ``state.pt`` (None: the hook keeps no state)
    state_key: str | None = None
    trainer: Trainer

    def before_train(self) -> None: ...

    def after_train(self) -> None: ...

    def before_epoch(self) -> None: ...

    def after_epoch(self) -> None: ...

    def before_step(self) -> None: ...

    def after_step(self) -> None: ...

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None: ...


def save_checkpoint(model: nn.Module, path: Path, meta: dict[str, str]) -> None:
    """Weights as safetensors with string metadata (atomic)."""
    from oculi.models.weights import save_weights

    save_weights(model, path, meta)


class EmaHook(HookBase):
    """Exponential moving average of the weights, updated after each optimizer step; the
    evaluation uses it (:attr:`Trainer.eval_model`)."""

    state_key = "ema"

    def __init__(self, decay: float) -> None:
        self.decay = decay
        self.ema = None

    def before_train(self) -> None:
        from oculi.train.optim import ModelEma

        self.ema = ModelEma(self.trainer.model, self.decay)
        self.trainer.eval_model = self.ema.module

    def after_step(self) -> None:
        if self.trainer.step.stepped:
            self.ema.update(self.trainer.model)

    def after_epoch(self) -> None:
        sync_buffers(self.ema.module, self.trainer.info)

    def state_dict(self) -> dict[str, Any]:
        return {"updates": self.ema.updates, "weights": self.ema.module.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        from oculi.models.weights import load_weights

        if "weights" in state:  # the EMA of the state's own epoch
            self.ema.module.load_state_dict(state["weights"])
            self.ema.updates = int(state.get("updates", 0))
            return
        path = self.trainer.run_dir / "last_ema.safetensors"  # a run folder from before
        if path.is_file():
            load_weights(self.ema.module, path)
            self.ema.updates = int(state.get("updates", 0))


class EvalHook(HookBase):
    """Evaluate after each epoch (main process), add the ``val_*`` metrics to the epoch record,
    keep the best by ``cfg.monitor`` and save ``best.safetensors``."""

    state_key = "best"

    def __init__(self) -> None:
        self.best: float | None = None
        self.best_epoch = -1
        self.bad_epochs = 0
        self.best_eval: dict[str, Any] = {}

    def after_epoch(self) -> None:
        t = self.trainer
        if not t.info.main:
            return
        t1 = time.perf_counter()
        evaluation = t.task.evaluate(t.eval_model, t.val_loader, t.info.device)
        record = t.record
        record.update({k: v for k, v in evaluation.items() if k.startswith("val_")})
        record["val_time_s"] = time.perf_counter() - t1
        record["epoch_time_s"] = time.perf_counter() - t.epoch_start
        monitor = t.cfg.monitor
        if monitor not in record:
            have = ", ".join(sorted(k for k in record if k.startswith("val_")))
            raise ParameterError(f"monitor {monitor!r}: the evaluation returned no such metric "
                                 f"(it has {have})")
        value = float(record[monitor])
        higher = monitor_higher_is_better(monitor)
        improved = self.best is None or (value > self.best if higher else value < self.best)
        if improved:
            self.best, self.best_epoch, self.bad_epochs = value, t.epoch, 0
            self.best_eval = evaluation
            save_checkpoint(t.eval_model, t.run_dir / "best.safetensors",
                            {**t.meta, "epoch": str(t.epoch), monitor: str(value)})
        else:
            self.bad_epochs += 1
        record["best"] = improved

    def after_train(self) -> None:
        t = self.trainer
        if t.info.main and self.best_eval:
            t.task.write_artifacts(t.run_dir, self.best_eval)

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best, "best_epoch": self.best_epoch, "bad_epochs": self.bad_epochs}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best, self.best_epoch = state["best"], int(state["best_epoch"])
        self.bad_epochs = int(state["bad_epochs"])


class MetricLogger(HookBase):
    """Append the epoch record to ``metrics.jsonl`` and the history; one line per epoch."""

    def after_epoch(self) -> None:
        t = self.trainer
        if not t.info.main:
            return
        append_jsonl(t.run_dir / "metrics.jsonl", t.record)
        t.say(f"epoch {t.epoch + 1}/{t.epochs}  " + "  ".join(
            f"{k} {v:.4g}" for k, v in t.record.items()
            if isinstance(v, float) and k != "lr") + ("  *" if t.record.get("best") else ""))


class Checkpointer(HookBase):
    """``state.pt`` (weights, optimizers, schedules, scaler, RNG, every hook's and the task's
    state: what exact resume needs, in one atomic file), then ``last.safetensors`` (+
    ``last_ema``) after each epoch. It runs before :class:`MetricLogger`, so a kill between the
    two leaves a state whose epoch is the latest (its history rewrites ``metrics.jsonl`` on
    resume)."""

    def after_epoch(self) -> None:
        t = self.trainer
        if not t.info.main:
            return
        with atomic_path(t.run_dir / "state.pt") as tmp:
            torch.save(t.state_dict(), tmp)
        save_checkpoint(t.model, t.run_dir / "last.safetensors", t.meta)
        ema = next((h for h in t.hooks if isinstance(h, EmaHook)), None)
        if ema is not None:
            save_checkpoint(ema.ema.module, t.run_dir / "last_ema.safetensors", t.meta)


class EarlyStopping(HookBase):
    """Ask the trainer to stop after ``patience`` epochs without improvement."""

    def __init__(self, patience: int) -> None:
        self.patience = patience

    def after_epoch(self) -> None:
        t = self.trainer
        evaluator = next(h for h in t.hooks if isinstance(h, EvalHook))
        if t.info.main and evaluator.bad_epochs >= self.patience:
            t.stop_reason = (f"early stop: no {t.cfg.monitor} improvement for {self.patience} "
                             "epochs")


class ProgressHook(HookBase):
    """A progress bar with the running loss and statistics (when stderr is a terminal)."""

    def __init__(self, enabled: bool | None) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.bar = None

    def before_epoch(self) -> None:
        if self.bar is not None or not (self.enabled and self.trainer.info.main):
            return
        from oculi.core.progress import progress_bar

        t = self.trainer
        self.bar = progress_bar("train", stats=True, enabled=True)
        total = t.steps_per_epoch * (t.epochs - t.start_epoch)
        self.task = self.bar.add_task("train", total=total, stats="")
        self.bar.start()

    def after_step(self) -> None:
        if self.bar is None:
            return
        t = self.trainer
        n = max(t.seen, 1)
        stats = f"loss {t.loss_sum / n:.3f}" + "".join(
            f" {k} {v / n:.3f}" for k, v in t.stat_sums.items())
        self.bar.update(self.task, advance=1, description=f"epoch {t.epoch + 1}/{t.epochs}",
                        stats=stats)

    def close(self) -> None:
        """Stop the bar (also when training fails)."""
        if self.bar is not None:
            self.bar.stop()
            self.bar = None
