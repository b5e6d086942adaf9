"""The task-agnostic training loop: run folder, optimiser and schedule, EMA, clipping, AMP, DDP,
early stopping, checkpoints and resume.

A *task* (classification here; detection and segmentation reuse the loop) supplies the model, the
datasets, the loss of one batch and the evaluation; :func:`fit` does everything else. The run folder
(``out``) receives::

    config.yaml          the TrainConfig used
    data.json            the data summary (classes, counts, skipped files)
    metrics.jsonl        one JSON line per epoch (lr, train/val loss and metrics, time, images/s)
    best.safetensors     the best weights (EMA weights when EMA is on), loadable by
                         oculi.models.load_model
    last.safetensors     the latest weights; last_ema.safetensors; state.pt (optimizer, schedule,
                         epoch, history: what --resume needs; read with weights_only=True)
    curves.png           loss and metric curves; plus the task's own artifacts
    summary.json         the final result
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from oculi.core.atomic import append_jsonl, atomic_path, write_json_atomic, write_text_atomic
from oculi.core.errors import DataError, ParameterError
from oculi.train.config import TrainConfig, monitor_higher_is_better
from oculi.train.data import ShardedSampler
from oculi.train.distributed import (
    DistInfo,
    all_reduce_mean,
    barrier,
    broadcast_object,
    setup,
    sync_buffers,
)
from oculi.train.optim import ModelEma, build_optimizer, lr_factor


@dataclass
class TaskData:
    """What a task hands the loop: datasets, train targets (balanced sampling), a summary."""

    train: Dataset
    val: Dataset
    train_targets: list[int]
    summary: dict[str, Any] = field(default_factory=dict)
    collate_fn: Callable | None = None


class Task(Protocol):
    """The task-specific half of training (see :class:`oculi.train.ClassificationTask`)."""

    name: str
    #: optional class attribute: the ``val_*`` metric a task selects checkpoints by when the
    #: config leaves ``monitor`` at the classification default ``val_top1``
    #: (segmentation: ``val_miou``; volumes: ``val_dice``).

    def build_model(self, cfg: TrainConfig) -> nn.Module: ...

    def build_data(self, cfg: TrainConfig, model: nn.Module, info: DistInfo) -> TaskData: ...

    def train_step(self, model: nn.Module, batch: Any,
                   device: torch.device) -> tuple[torch.Tensor, dict[str, float], int]:
        """Loss of one batch, extra statistics (summed over the batch) and the batch size."""
        ...

    def evaluate(self, model: nn.Module, loader: DataLoader,
                 device: torch.device) -> dict[str, Any]:
        """Validation metrics; keys starting with ``val_`` are logged (floats), others kept for
        :meth:`write_artifacts`."""
        ...

    def write_artifacts(self, run_dir: Path, evaluation: dict[str, Any]) -> None: ...

    def checkpoint_metadata(self, model: nn.Module) -> dict[str, str]: ...


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

    def as_dict(self) -> dict[str, Any]:
        return {"run_dir": str(self.run_dir), "best_epoch": self.best_epoch,
                "best_metric": self.best_metric, "monitor": self.monitor,
                "best_checkpoint": str(self.best_checkpoint), "stopped_early": self.stopped_early,
                "epochs_run": len(self.history), "last": self.history[-1] if self.history else {}}


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


def _unwrap(model: nn.Module) -> nn.Module:
    return model.module if isinstance(model, nn.parallel.DistributedDataParallel) else model


def _save(model: nn.Module, path: Path, meta: dict[str, str]) -> None:
    from oculi.models.weights import save_weights

    save_weights(model, path, meta)


class _Progress:
    """A rich progress bar with loss/accuracy when stderr is a terminal, else quiet."""

    def __init__(self, enabled: bool | None, total: int, epochs: int) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.bar = None
        if self.enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self.bar = Progress(TextColumn("{task.description}"), BarColumn(),
                                MofNCompleteColumn(), TextColumn("{task.fields[stats]}"),
                                TimeElapsedColumn(), TimeRemainingColumn(),
                                console=Console(stderr=True))
            self.task = self.bar.add_task("train", total=total * epochs, stats="")
            self.bar.start()

    def update(self, desc: str, stats: str, advance: int = 1) -> None:
        if self.bar is not None:
            self.bar.update(self.task, advance=advance, description=desc, stats=stats)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def _plot_curves(history: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ep = [h["epoch"] for h in history]
    metric_keys = [k for k in history[-1] if k.startswith("val_") and k != "val_loss"
                   and isinstance(history[-1][k], float)]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    axes[0].plot(ep, [h["train_loss"] for h in history], "o-", label="train loss")
    if "val_loss" in history[-1]:
        axes[0].plot(ep, [h["val_loss"] for h in history], "o-", label="val loss")
    axes[0].set_xlabel("epoch")
    axes[0].legend()
    for k in metric_keys:
        axes[1].plot(ep, [h[k] for h in history], "o-", label=k)
    if "train_top1" in history[-1]:
        axes[1].plot(ep, [h["train_top1"] for h in history], "o--", label="train_top1")
    axes[1].set_xlabel("epoch")
    axes[1].legend()
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=90)
    plt.close(fig)


def fit(
    task: Task,
    cfg: TrainConfig,
    out: str | os.PathLike[str],
    *,
    resume: bool = False,
    progress: bool | None = None,
    log: Callable[[str], None] | None = None,
    save_all_ranks: bool = False,
) -> FitResult:
    """Train ``task`` with ``cfg``, writing the run folder ``out``.

    Args:
        task: the task (model, data, loss, evaluation).
        cfg: the :class:`TrainConfig`.
        out: run folder (created).
        resume: continue from ``out/state.pt`` and ``out/last*.safetensors``.
        progress: show a progress bar (None: when stderr is a terminal).
        log: receives one line per epoch (default: print to stderr on rank 0).
        save_all_ranks: under DDP, every rank also writes ``final_rank<r>.safetensors``.

    Returns:
        A :class:`FitResult`.
    """
    default_monitor = getattr(task, "default_monitor", None)
    if default_monitor and cfg.monitor == TrainConfig.monitor:
        cfg = cfg.replace(monitor=default_monitor)
    info = setup(cfg.device)
    run_dir = Path(out)
    say = log or (lambda s: print(s, file=sys.stderr, flush=True))
    if not info.main:
        say = lambda s: None  # noqa: E731
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    seed_everything(cfg.seed, cfg.deterministic)
    if info.main:
        run_dir.mkdir(parents=True, exist_ok=True)
    model = task.build_model(cfg).to(info.device)
    data = task.build_data(cfg, model, info)
    if info.main:
        import yaml

        write_text_atomic(run_dir / "config.yaml",
                          yaml.safe_dump({"task": task.name, **cfg.to_dict()}, sort_keys=False))
        write_json_atomic(run_dir / "data.json", data.summary)
    if len(data.train) < info.world:
        raise DataError(f"train: {len(data.train)} image(s) for {info.world} processes")
    sampler = ShardedSampler(data.train_targets, seed=cfg.seed, rank=info.rank,
                             world=info.world, balanced=cfg.balanced)
    per_rank = len(sampler)
    drop_last = per_rank >= cfg.batch_size and per_rank % cfg.batch_size != 0 and (
        per_rank % cfg.batch_size < max(2, cfg.batch_size // 4))
    g = torch.Generator().manual_seed(cfg.seed + info.rank)
    loader = DataLoader(data.train, batch_size=cfg.batch_size, sampler=sampler,
                        num_workers=cfg.workers, drop_last=drop_last,
                        collate_fn=data.collate_fn, worker_init_fn=_worker_init, generator=g,
                        persistent_workers=cfg.workers > 0,
                        pin_memory=info.device.type == "cuda")
    val_loader = DataLoader(data.val, batch_size=cfg.batch_size, shuffle=False,
                            num_workers=cfg.workers, collate_fn=data.collate_fn,
                            persistent_workers=cfg.workers > 0)
    net: nn.Module = model
    if info.distributed:
        net = nn.parallel.DistributedDataParallel(
            model, device_ids=[info.device.index] if info.device.type == "cuda" else None)
    head = task.head_parameters(model) if hasattr(task, "head_parameters") else []
    optimizer = build_optimizer(model, cfg.optimizer, cfg.lr, cfg.weight_decay,
                                momentum=cfg.momentum, decay_norm_bias=cfg.decay_norm_bias,
                                head_params=head, head_lr_scale=cfg.head_lr_scale)
    steps = len(loader)
    total, warm = steps * cfg.epochs, round(steps * cfg.warmup_epochs)
    frozen_steps = steps * cfg.freeze_backbone_epochs
    head_ids = {id(p) for p in head}

    def _factor(is_head: bool) -> Callable[[int], float]:
        def f(s: int) -> float:
            if not is_head and s < frozen_steps:
                return 0.0
            return lr_factor(s, total, warm, cfg.schedule, cfg.min_lr_ratio)
        return f

    group_is_head = [bool(g["params"]) and id(g["params"][0]) in head_ids
                     for g in optimizer.param_groups]
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, [_factor(h) for h in group_is_head])
    ema = ModelEma(model, cfg.ema_decay) if cfg.ema_decay > 0 else None
    use_amp = cfg.amp and info.device.type == "cuda"
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp)
    meta = task.checkpoint_metadata(model)

    history: list[dict[str, Any]] = []
    start, best, best_epoch, bad = 0, None, -1, 0
    best_eval: dict[str, Any] = {}
    higher = monitor_higher_is_better(cfg.monitor)
    if resume:
        from oculi.models.weights import load_weights

        state_path = run_dir / "state.pt"
        if not state_path.is_file():
            raise DataError(f"{run_dir}: nothing to resume (no state.pt) — drop --resume")
        state = torch.load(state_path, map_location="cpu", weights_only=True)
        load_weights(model, run_dir / "last.safetensors")
        if ema is not None and (run_dir / "last_ema.safetensors").is_file():
            load_weights(ema.module, run_dir / "last_ema.safetensors")
            ema.updates = int(state.get("ema_updates", 0))
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        if "scaler" in state and use_amp:
            scaler.load_state_dict(state["scaler"])
        start, best, best_epoch = int(state["epoch"]) + 1, state["best"], int(state["best_epoch"])
        bad, history = int(state["bad_epochs"]), list(state["history"])
        if "torch_rng" in state and not info.distributed:
            torch.set_rng_state(state["torch_rng"])
        task_state = state.get("task")
        if task_state is not None and hasattr(task, "load_state"):
            task.load_state(task_state)
        say(f"resumed {run_dir} at epoch {start} (best {cfg.monitor} {best})")

    bar = _Progress(progress if info.main else False, steps, cfg.epochs - start)
    stopped = False
    try:
        for epoch in range(start, cfg.epochs):
            sampler.set_epoch(epoch)
            net.train()
            if cfg.freeze_backbone_epochs and not info.distributed:
                # skip the backbone's backward pass while only the head learns (DDP keeps the
                # graph fixed and relies on the zero learning rate instead)
                frozen = epoch < cfg.freeze_backbone_epochs
                for p in model.parameters():
                    if id(p) not in head_ids:
                        p.requires_grad_(not frozen)
            if cfg.freeze_bn:
                for m in model.modules():
                    if isinstance(m, nn.modules.batchnorm._BatchNorm):
                        m.eval()
            t0 = time.perf_counter()
            tot_loss, tot_n, tot_stats = 0.0, 0, {}
            for batch in loader:
                with torch.autocast(info.device.type, dtype=torch.float16, enabled=use_amp):
                    loss, stats, n = task.train_step(net, batch, info.device)
                loss_value = float(loss.detach())  # the step's one device sync
                if not math.isfinite(loss_value):
                    raise DataError(f"epoch {epoch}: the loss became {loss_value} — lower lr "
                                    f"(now {cfg.lr}) or enable clip_grad_norm")
                optimizer.zero_grad(set_to_none=True)
                scaler.scale(loss).backward()
                if cfg.clip_grad_norm > 0:
                    scaler.unscale_(optimizer)
                    nn.utils.clip_grad_norm_(model.parameters(), cfg.clip_grad_norm)
                scaler.step(optimizer)
                scaler.update()
                scheduler.step()
                if ema is not None:
                    ema.update(model)
                tot_loss += loss_value * n
                tot_n += n
                for k, v in stats.items():
                    tot_stats[k] = tot_stats.get(k, 0.0) + v
                if bar.bar is not None:
                    bar.update(f"epoch {epoch + 1}/{cfg.epochs}",
                               f"loss {tot_loss / max(tot_n, 1):.3f}" + "".join(
                                   f" {k} {v / max(tot_n, 1):.3f}" for k, v in tot_stats.items()))
            train_time = time.perf_counter() - t0
            sync_buffers(model, info)
            if ema is not None:
                sync_buffers(ema.module, info)
            record: dict[str, Any] = {
                "epoch": epoch,
                "lr": optimizer.param_groups[0]["lr"] / optimizer.param_groups[0]["lr_scale"],
                "train_loss": all_reduce_mean(tot_loss / max(tot_n, 1), info),
                **{k: all_reduce_mean(v / max(tot_n, 1), info) for k, v in tot_stats.items()},
                "train_time_s": train_time,
                "train_images_per_s": tot_n * info.world / max(train_time, 1e-9),
            }
            decision = None
            if info.main:
                t1 = time.perf_counter()
                eval_model = ema.module if ema is not None else model
                evaluation = task.evaluate(eval_model, val_loader, info.device)
                record.update({k: v for k, v in evaluation.items() if k.startswith("val_")})
                record["val_time_s"] = time.perf_counter() - t1
                record["epoch_time_s"] = time.perf_counter() - t0
                if cfg.monitor not in record:
                    raise ParameterError(
                        f"monitor {cfg.monitor!r}: the evaluation returned no such metric "
                        f"(it has {', '.join(sorted(k for k in record if k.startswith('val_')))})")
                value = float(record[cfg.monitor])
                improved = best is None or (value > best if higher else value < best)
                if improved:
                    best, best_epoch, bad, best_eval = value, epoch, 0, evaluation
                    _save(eval_model, run_dir / "best.safetensors",
                          {**meta, "epoch": str(epoch), cfg.monitor: str(value)})
                else:
                    bad += 1
                record["best"] = improved
                history.append(record)
                append_jsonl(run_dir / "metrics.jsonl", record)
                _save(model, run_dir / "last.safetensors", meta)
                if ema is not None:
                    _save(ema.module, run_dir / "last_ema.safetensors", meta)
                state = {"epoch": epoch, "optimizer": optimizer.state_dict(),
                         "scheduler": scheduler.state_dict(), "best": best,
                         "best_epoch": best_epoch, "bad_epochs": bad, "history": history,
                         "ema_updates": ema.updates if ema is not None else 0,
                         "torch_rng": torch.get_rng_state()}
                if use_amp:
                    state["scaler"] = scaler.state_dict()
                if hasattr(task, "state"):
                    state["task"] = task.state()
                with atomic_path(run_dir / "state.pt") as tmp:
                    torch.save(state, tmp)
                say(f"epoch {epoch + 1}/{cfg.epochs}  " + "  ".join(
                    f"{k} {v:.4g}" for k, v in record.items()
                    if isinstance(v, float) and k != "lr") + ("  *" if improved else ""))
                stop = cfg.early_stop_patience > 0 and bad >= cfg.early_stop_patience
                decision = {"stop": stop, "record": record, "best": best,
                            "best_epoch": best_epoch}
            decision = broadcast_object(decision, info)
            if not info.main:
                history.append(decision["record"])
                best, best_epoch = decision["best"], decision["best_epoch"]
            if decision["stop"]:
                stopped = True
                say(f"early stop: no {cfg.monitor} improvement for {cfg.early_stop_patience} "
                    "epochs")
                break
    finally:
        bar.close()
    if save_all_ranks and info.distributed:
        _save(model, run_dir / f"final_rank{info.rank}.safetensors", meta)
    result = FitResult(run_dir, best_epoch, float(best) if best is not None else float("nan"),
                       cfg.monitor, history, run_dir / "best.safetensors", stopped)
    if info.main:
        if history:
            _plot_curves(history, run_dir / "curves.png")
        if best_eval:
            task.write_artifacts(run_dir, best_eval)
        write_json_atomic(run_dir / "summary.json", result.as_dict())
    barrier(info)
    with contextlib.suppress(Exception):
        from oculi.train.distributed import cleanup

        cleanup(info)
    return result


def read_metrics(run_dir: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The per-epoch records of a run folder's ``metrics.jsonl``."""
    path = Path(run_dir) / "metrics.jsonl"
    if not path.is_file():
        raise DataError(f"{run_dir}: no metrics.jsonl — not a run folder")
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
