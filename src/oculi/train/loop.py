"""The training loop: a :class:`Trainer` runs a task's steps between hooks. The run folder
(``out``) receives::

    config.yaml          the task's config (its fields are the keys of run.yaml)
    data.json            the data summary (classes, counts, skipped files)
    metrics.jsonl        one JSON line per epoch (lr, train/val loss and metrics, time, items/s)
    best.safetensors     the best weights by cfg.monitor (EMA weights when EMA is on)
    last.safetensors     the latest weights (+ last_ema.safetensors); state.pt: optimizers,
                         schedules, RNG, hook and task state (read with weights_only=True)
    curves.png           loss and metric curves; plus the task's own artifacts
    summary.json         the final result

A run locks its folder while it trains (a second run into it is refused), and a folder that
already holds a run is refused unless the new one resumes it or overwrites it. Each epoch's
``state.pt`` (the weights too) is written before its ``metrics.jsonl`` line, and a resume rewrites
``metrics.jsonl`` from the state's history, so a run killed at any point resumes without a
duplicate epoch or weights from another epoch than the optimizer state.

    >>> from oculi.train import fit, Task, TrainConfig
    >>> result = fit(MyTask(), TrainConfig(epochs=3), "runs/a")  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from oculi.core.atomic import (
    atomic_path,
    write_json_atomic,
    write_jsonl_atomic,
    write_text_atomic,
)
from oculi.core.errors import DataError, ParameterError
from oculi.train._rundir import open_run_dir
from oculi.train.config import TrainConfig
from oculi.train.data import SkipUnreadable
from oculi.train.distributed import all_reduce_mean, barrier, broadcast_object, setup, sync_buffers
from oculi.train.hooks import (
    Checkpointer,
    EarlyStopping,
    EmaHook,
    EvalHook,
    HookBase,
    MetricLogger,
    ProgressHook,
    save_checkpoint,
)
from oculi.train.optim import lr_factor
from oculi.train.sampler import ShardedSampler
from oculi.train.task import Step, StepOutput, Task


@dataclass
class FitResult:
    """What :func:`fit` returns (rank 0 has the metrics; other ranks get the same object)."""

    run_dir: Path
    best_epoch: int
    best_metric: float
    monitor: str
    history: list[dict[str, Any]]
    best_checkpoint: Path
    stopped_early: bool = False
    #: training items that could not be read (name -> reason), skipped
    skipped: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"run_dir": str(self.run_dir), "best_epoch": self.best_epoch,
                "best_metric": self.best_metric, "monitor": self.monitor,
                "best_checkpoint": str(self.best_checkpoint), "stopped_early": self.stopped_early,
                "epochs_run": len(self.history), "last": self.history[-1] if self.history else {},
                "skipped": self.skipped}


def seed_everything(seed: int, deterministic: bool = False) -> None:
    """Seed Python, NumPy and torch; optionally force deterministic kernels."""
    random.seed(seed)
    np.random.seed(seed % 2**32)  # noqa: NPY002 - libraries draw from the legacy global state
    torch.manual_seed(seed)
    if deterministic:
        torch.use_deterministic_algorithms(True, warn_only=True)
        if torch.backends.cudnn.is_available():
            torch.backends.cudnn.benchmark = False
            torch.backends.cudnn.deterministic = True


def _worker_init(worker_id: int) -> None:
    seed = torch.initial_seed() % 2**32
    np.random.seed(seed)  # noqa: NPY002 - per-worker seeding of the legacy global state
    random.seed(seed)
    # seeded augmentation pipelines are copied into each worker: give each its own stream
    info = torch.utils.data.get_worker_info()
    ds = info.dataset if info is not None else None
    for obj in (ds, getattr(ds, "base", None), getattr(ds, "dataset", None)):
        transform = getattr(obj, "transform", None)
        for t in (transform, getattr(transform, "compose", None)):
            if hasattr(t, "set_random_seed"):
                t.set_random_seed(seed)
                break


class Trainer:
    """Runs ``task`` with ``cfg`` into the run folder ``out`` (see the module doc).

    Attributes (for hooks): ``task``, ``cfg``, ``info`` (:class:`~oculi.train.DistInfo`),
    ``model`` (unwrapped), ``net`` (DDP-wrapped when distributed), ``eval_model``,
    ``optimizers``/``schedulers`` (by name), ``loader``/``val_loader``, ``epoch``, ``epochs``
    (the run's length: ``cfg.epochs`` unless a hook calls :meth:`set_epochs`),
    ``step`` (:class:`~oculi.train.Step`), ``record`` (this epoch's metrics), ``history``,
    ``run_dir``, ``hooks``.
    """

    def __init__(self, task: Task, cfg: TrainConfig, out: str | os.PathLike[str], *,
                 progress: bool | None = None, log: Callable[[str], None] | None = None,
                 hooks: Sequence[HookBase] = ()) -> None:
        self.task, self.cfg, self.run_dir = task, cfg, Path(out)
        self.info = setup(cfg.device)
        self._log = log or (lambda s: print(s, file=sys.stderr, flush=True))
        self._extra_hooks, self._progress = list(hooks), progress
        self.history: list[dict[str, Any]] = []
        self.record: dict[str, Any] = {}
        self.epoch = self.start_epoch = 0
        self.stop_reason: str | None = None

    def say(self, line: str) -> None:
        if self.info.main:
            self._log(line)

    # -- set-up ------------------------------------------------------------------------------
    def _build(self) -> None:
        cfg, info = self.cfg, self.info
        if cfg.threads:
            torch.set_num_threads(cfg.threads)
        seed_everything(cfg.seed, cfg.deterministic)
        if info.main:
            self.run_dir.mkdir(parents=True, exist_ok=True)
        self.model = self.task.build_model(cfg).to(info.device)
        self.eval_model = self.model
        data = self.task.build_data(cfg, self.model, info)
        if info.main:
            import yaml

            write_text_atomic(self.run_dir / "config.yaml", f"# task: {self.task.name} "
                              f"(reusable: oculi train {self.task.name} DATA --config this file)\n"
                              + yaml.safe_dump(cfg.to_dict(), sort_keys=False))
            write_json_atomic(self.run_dir / "data.json", data.summary)
        data.train = SkipUnreadable(data.train)
        self.train_data = data.train
        if len(data.train) == 0:
            raise DataError(f"{self.task.name}: the training set is empty")
        if len(data.train) < info.world:
            raise DataError(f"train: {len(data.train)} item(s) for {info.world} processes")
        self._build_loaders(data)
        self.net: nn.Module = self.model
        if info.distributed:
            self.net = nn.parallel.DistributedDataParallel(
                self.model, device_ids=[info.device.index] if info.device.type == "cuda" else None)
        self.optimizers = self.task.build_optimizers(cfg, self.model)
        if not self.optimizers:
            raise DataError(f"{self.task.name}: build_optimizers returned no optimizer")
        self.steps_per_epoch = len(self.loader)
        self.epochs = cfg.epochs
        self.schedulers = {n: self._scheduler(o) for n, o in self.optimizers.items()}
        self.use_amp = cfg.amp and info.device.type == "cuda"
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.use_amp)
        self.meta = self.task.checkpoint_metadata(self.model)
        self._pending = dict.fromkeys(self.optimizers, 0)
        self.hooks = self._default_hooks() + list(self.task.hooks(cfg)) + self._extra_hooks
        for h in self.hooks:
            h.trainer = self

    def _build_loaders(self, data: Any) -> None:
        cfg, info = self.cfg, self.info
        sampler = data.sampler or ShardedSampler([0] * len(data.train), seed=cfg.seed,
                                                 rank=info.rank, world=info.world)
        per_rank = len(sampler)
        drop_last = per_rank >= cfg.batch_size and per_rank % cfg.batch_size != 0 and (
            per_rank % cfg.batch_size < max(2, cfg.batch_size // 4))
        g = torch.Generator().manual_seed(cfg.seed + info.rank)
        self.sampler = sampler
        self.loader = DataLoader(data.train, batch_size=cfg.batch_size, sampler=sampler,
                                 num_workers=cfg.workers, drop_last=drop_last,
                                 collate_fn=data.collate_fn, worker_init_fn=_worker_init,
                                 generator=g, persistent_workers=cfg.workers > 0,
                                 pin_memory=info.device.type == "cuda")
        self.val_loader = DataLoader(data.val, batch_size=cfg.batch_size, shuffle=False,
                                     num_workers=cfg.workers, collate_fn=data.collate_fn,
                                     persistent_workers=cfg.workers > 0)

    def _scheduler(self, optimizer: torch.optim.Optimizer) -> torch.optim.lr_scheduler.LRScheduler:
        for g in optimizer.param_groups:
            g.setdefault("lr_scale", 1.0)
        return torch.optim.lr_scheduler.LambdaLR(optimizer, self._lr_lambdas(optimizer))

    def _lr_lambdas(self, optimizer: torch.optim.Optimizer) -> list[Callable[[int], float]]:
        """One LR factor per parameter group: warm-up, then the schedule ending at
        :attr:`epochs` (a group's ``hold_epochs`` keep it at 0 first)."""
        cfg = self.cfg
        per_epoch = -(-self.steps_per_epoch // cfg.accumulate_steps)
        total, warm = per_epoch * self.epochs, round(per_epoch * cfg.warmup_epochs)

        def factor(hold: int) -> Callable[[int], float]:
            def f(s: int) -> float:
                if s < hold:
                    return 0.0
                return lr_factor(s, total, warm, cfg.schedule, cfg.min_lr_ratio)
            return f

        holds = [round(per_epoch * g.get("hold_epochs", 0)) for g in optimizer.param_groups]
        return [factor(h) for h in holds]

    def set_epochs(self, epochs: int) -> None:
        """Change the run's length while it trains (e.g. a hook fitting it to a time budget):
        the loop ends after ``epochs`` epochs (at least the current one) and each schedule's
        cosine now ends there; warm-up and holds keep their lengths. Call it from
        ``after_epoch``. The length is part of the run's state: a run resumed with the same
        ``cfg.epochs`` keeps it (a call from a hook after the
        :class:`~oculi.train.hooks.Checkpointer` is saved with the next epoch); a resume with
        another ``cfg.epochs`` takes that."""
        from oculi.core.checks import check_positive

        check_positive(epochs, "epochs")
        self.epochs = max(int(epochs), self.epoch + 1)
        for name, opt in self.optimizers.items():
            self.schedulers[name].lr_lambdas = self._lr_lambdas(opt)

    def _default_hooks(self) -> list[HookBase]:
        cfg = self.cfg
        hooks: list[HookBase] = [ProgressHook(self._progress if self.info.main else False)]
        if cfg.ema_decay > 0:
            hooks.append(EmaHook(cfg.ema_decay))
        hooks += [EvalHook(), Checkpointer(), MetricLogger()]  # state before its metrics line
        if cfg.early_stop_patience > 0:
            hooks.append(EarlyStopping(cfg.early_stop_patience))
        return hooks

    # -- state -------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        state = {"epoch": self.epoch, "epochs": [self.cfg.epochs, self.epochs],
                 "history": self.history, "model": self.model.state_dict(),
                 "optimizers": {n: o.state_dict() for n, o in self.optimizers.items()},
                 "schedulers": {n: s.state_dict() for n, s in self.schedulers.items()},
                 "hooks": {h.state_key: h.state_dict() for h in self.hooks if h.state_key},
                 "task": self.task.state_dict(), "torch_rng": torch.get_rng_state()}
        if self.use_amp:
            state["scaler"] = self.scaler.state_dict()
        return state

    def _resume(self) -> None:
        from oculi.models.weights import load_weights

        path = self.run_dir / "state.pt"
        if not path.is_file():
            raise DataError(f"{self.run_dir}: nothing to resume (no state.pt) — drop --resume")
        state = torch.load(path, map_location="cpu", weights_only=True)
        try:
            if "model" in state:  # the weights of the state's own epoch
                self.model.load_state_dict(state["model"])
            else:  # a run folder written before state.pt held the weights
                load_weights(self.model, self.run_dir / "last.safetensors")
        except RuntimeError as exc:  # another architecture (e.g. a changed width option)
            first = str(exc).strip().splitlines()[-1].strip()
            raise DataError(f"{path}: its weights do not fit this configuration ({first}) — "
                            f"resume with the run's settings: --config "
                            f"{self.run_dir / 'config.yaml'}") from None
        for n, o in self.optimizers.items():
            o.load_state_dict(state["optimizers"][n])
            self.schedulers[n].load_state_dict(state["schedulers"][n])
        if "scaler" in state and self.use_amp:
            self.scaler.load_state_dict(state["scaler"])
        for h in self.hooks:
            if h.state_key and h.state_key in state["hooks"]:
                h.load_state_dict(state["hooks"][h.state_key])
        self.start_epoch = int(state["epoch"]) + 1
        cfg_epochs, epochs = state.get("epochs", (None, None))
        if cfg_epochs == self.cfg.epochs and epochs != self.epochs:  # a set_epochs, same config
            self.set_epochs(int(epochs))
        self.history = list(state["history"])
        if self.info.main:  # drop lines of epochs after the state's (a kill before its write)
            write_jsonl_atomic(self.run_dir / "metrics.jsonl", self.history)
        if not self.info.distributed:
            torch.set_rng_state(state["torch_rng"])
        self.task.load_state_dict(state.get("task") or {})
        self.say(f"resumed {self.run_dir} at epoch {self.start_epoch}")

    # -- the loop ----------------------------------------------------------------------------
    def backward_and_step(self, name: str, loss: torch.Tensor, step: Step) -> None:
        """Scaled backward of ``loss``; steps optimizer ``name`` at the end of its accumulation
        window (clipping first) and its schedule after it."""
        cfg, opt = self.cfg, self.optimizers[name]
        k = cfg.accumulate_steps
        if self._pending[name] == 0:  # a new window: drop gradients other losses left here
            opt.zero_grad(set_to_none=True)
        with torch.autocast(self.info.device.type, enabled=False):
            self.scaler.scale(loss / k if k > 1 else loss).backward()
        self._pending[name] += 1
        if self._pending[name] < k and not step.last_in_epoch:
            return
        self._pending[name] = 0
        if cfg.clip_grad_norm > 0:
            self.scaler.unscale_(opt)
            params = (self.model.parameters() if len(self.optimizers) == 1
                      else [p for g in opt.param_groups for p in g["params"]])
            nn.utils.clip_grad_norm_(params, cfg.clip_grad_norm)
        self.scaler.step(opt)
        self.schedulers[name].step()
        step.stepped.append(name)

    def _run_step(self, batch: Any) -> None:
        step = self.step
        step.stepped, step.loss_value = [], None
        for h in self.hooks:
            h.before_step()
        with torch.autocast(self.info.device.type, dtype=torch.float16, enabled=self.use_amp):
            out = StepOutput.of(self.task.train_step(step, batch))
        if step.loss_value is None:  # one optimizer and the task left it to the engine
            step.optimize(out.loss)
            value = step.loss_value
        else:
            value = float(out.loss.detach()) if torch.is_tensor(out.loss) else float(out.loss)
        if step.stepped:
            self.scaler.update()
        self.loss_sum += value * out.n
        self.seen += out.n
        for k, v in out.stats.items():
            self.stat_sums[k] = self.stat_sums.get(k, 0.0) + v
        for h in self.hooks:
            h.after_step()
        step.index += 1

    def _epoch_record(self, train_time: float) -> dict[str, Any]:
        info, n = self.info, max(self.seen, 1)
        record: dict[str, Any] = {"epoch": self.epoch}
        for i, (name, opt) in enumerate(self.optimizers.items()):
            g = opt.param_groups[0]
            record["lr" if i == 0 else f"lr_{name}"] = g["lr"] / g["lr_scale"]
        record["train_loss"] = all_reduce_mean(self.loss_sum / n, info)
        record.update({k: all_reduce_mean(v / n, info) for k, v in self.stat_sums.items()})
        record["train_time_s"] = train_time
        record["train_images_per_s"] = self.seen * info.world / max(train_time, 1e-9)
        return record

    def _run_epoch(self) -> None:
        self.net.train()
        if hasattr(self.sampler, "set_epoch"):
            self.sampler.set_epoch(self.epoch)
        for h in self.hooks:
            h.before_epoch()
        self.epoch_start = time.perf_counter()
        self.loss_sum, self.seen, self.stat_sums = 0.0, 0, {}
        self.step.epoch = self.epoch
        last = self.steps_per_epoch - 1
        for i, batch in enumerate(self.loader):
            self.step.last_in_epoch = i == last
            self._run_step(batch)
        sync_buffers(self.model, self.info)
        self.record = self._epoch_record(time.perf_counter() - self.epoch_start)
        self.history.append(self.record)  # hooks complete it in place (state.pt holds it)
        for h in self.hooks:
            h.after_epoch()
        decision = broadcast_object({"record": self.record, "stop": self.stop_reason}, self.info)
        self.record, self.stop_reason = decision["record"], decision["stop"]
        self.history[-1] = self.record

    def train(self, *, resume: bool = False, overwrite: bool = False) -> FitResult:
        """Run the epochs (continuing ``out`` when ``resume``; replacing the run there when
        ``overwrite``) and return the result.

        Raises:
            DataError: ``out`` is in use by another run, or holds a run and neither ``resume``
                nor ``overwrite`` is set.
            ParameterError: under ``torchrun``, a config that trains only in one process
                (``cfg.single_process_reason()``).
        """
        reason = self.cfg.single_process_reason() if self.info.distributed else None
        if reason is not None:  # before the run folder is touched
            raise ParameterError(f"torchrun: {reason}")
        lock = (open_run_dir(self.run_dir, resume=resume, overwrite=overwrite)
                if self.info.main else None)
        try:
            return self._train(resume)
        finally:
            if lock is not None:
                lock.release()

    def _train(self, resume: bool) -> FitResult:
        self._build()
        self.step = Step(self)
        for h in self.hooks:
            h.before_train()
        if resume:
            self._resume()
        self.step.index = self.start_epoch * self.steps_per_epoch
        try:
            epoch = self.start_epoch
            while epoch < self.epochs:  # a hook may change self.epochs (set_epochs)
                self.epoch = epoch
                self._run_epoch()
                if self.stop_reason:
                    self.say(self.stop_reason)
                    break
                epoch += 1
        finally:
            for h in self.hooks:
                if isinstance(h, ProgressHook):
                    h.close()
        return self._finish()

    def _finish(self) -> FitResult:
        evaluator = next(h for h in self.hooks if isinstance(h, EvalHook))
        best = broadcast_object((evaluator.best, evaluator.best_epoch), self.info)
        result = FitResult(self.run_dir, best[1],
                           float(best[0]) if best[0] is not None else float("nan"),
                           self.cfg.monitor, self.history, self.run_dir / "best.safetensors",
                           self.stop_reason is not None)
        skipped = dict(self.train_data.failed)
        result.skipped = skipped
        if skipped:
            self.say(f"skipped {len(skipped)} unreadable training item(s): "
                     + "; ".join(f"{k} ({v})" for k, v in skipped.items()))
        if self.info.main and self.history:
            plot_curves(self.history, self.run_dir / "curves.png")
        for h in self.hooks:
            h.after_train()
        if self.info.main:
            write_json_atomic(self.run_dir / "summary.json", result.as_dict())
        barrier(self.info)
        with contextlib.suppress(Exception):
            from oculi.train.distributed import cleanup

            cleanup(self.info)
        return result


def fit(task: Task, cfg: TrainConfig, out: str | os.PathLike[str], *, resume: bool = False,
        progress: bool | None = None, log: Callable[[str], None] | None = None,
        hooks: Sequence[HookBase] = (), save_all_ranks: bool = False,
        overwrite: bool = False) -> FitResult:
    """Train ``task`` with ``cfg``, writing the run folder ``out``.

    Args:
        task: the :class:`~oculi.train.Task` (model, data, step, evaluation).
        cfg: its config (a :class:`TrainConfig` subclass).
        out: run folder (created). It is locked while the run trains.
        resume: continue from ``out/state.pt``.
        progress: show a progress bar (None: when stderr is a terminal).
        log: receives one line per epoch (default: print to stderr on rank 0).
        hooks: extra hooks, run after the engine's and the task's.
        save_all_ranks: under DDP, every rank also writes ``final_rank<r>.safetensors``.
        overwrite: replace a previous run in ``out`` (its run files are removed first).

    Returns:
        A :class:`FitResult`.

    Raises:
        DataError: ``out`` is in use by another run, or already holds a run and neither
            ``resume`` nor ``overwrite`` is set.
    """
    extra = list(hooks)
    if save_all_ranks:
        extra.append(_SaveAllRanks())
    return Trainer(task, cfg, out, progress=progress, log=log, hooks=extra).train(
        resume=resume, overwrite=overwrite)


class _SaveAllRanks(HookBase):
    def after_train(self) -> None:
        t = self.trainer
        if t.info.distributed:
            save_checkpoint(t.model, t.run_dir / f"final_rank{t.info.rank}.safetensors", t.meta)


def plot_curves(history: list[dict[str, Any]], path: Path) -> None:
    """Loss (train, val) and validation-metric curves per epoch as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ep = [h["epoch"] for h in history]
    metric_keys = [k for k in history[-1] if k.startswith(("val_", "train_")) and
                   k not in ("val_loss", "train_loss") and not k.endswith("_s")
                   and isinstance(history[-1][k], float)]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    axes[0].plot(ep, [h["train_loss"] for h in history], "o-", label="train loss")
    if "val_loss" in history[-1]:
        axes[0].plot(ep, [h["val_loss"] for h in history], "o-", label="val loss")
    axes[0].set_xlabel("epoch")
    axes[0].legend()
    for k in metric_keys:
        axes[1].plot(ep, [h.get(k, np.nan) for h in history], "o--" if k.startswith("train_")
                     else "o-", label=k)
    axes[1].set_xlabel("epoch")
    if metric_keys:
        axes[1].legend()
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=90)
    plt.close(fig)


def read_metrics(run_dir: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The per-epoch records of a run folder's ``metrics.jsonl`` (a last line cut short by a
    kill mid-append is left out; ``--resume`` rewrites it).

    Raises:
        DataError: no ``metrics.jsonl``, or a line before the last that is not JSON.
    """
    path = Path(run_dir) / "metrics.jsonl"
    if not path.is_file():
        raise DataError(f"{run_dir}: no metrics.jsonl — not a run folder")
    lines = [(i, line) for i, line in enumerate(path.read_text().splitlines(), 1) if line.strip()]
    records = []
    for k, (i, line) in enumerate(lines):
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as exc:
            if k == len(lines) - 1:
                break
            raise DataError(f"{path}: line {i} is not JSON ({exc.msg})") from exc
    return records
