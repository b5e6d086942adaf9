"""The engine's configuration: the fields every trainable task shares (schedule, optimiser, EMA,
checkpoint selection, seeding, devices). A task subclasses it with its own fields and defaults
(``ClassifyConfig``, ``DetectionConfig``, ``SegmentationConfig``, ...); the subclass is the one
place those defaults live: the library, ``oculi train TASK`` and ``run.yaml`` read it.

>>> cfg = TrainConfig(epochs=3)
>>> TrainConfig.from_dict(cfg.to_dict()) == cfg
True
"""

from __future__ import annotations

from dataclasses import dataclass

from oculi.core.checks import check_choice, check_known_keys, check_positive
from oculi.core.config import Config
from oculi.core.errors import ParameterError

__all__ = ["TrainConfig", "check_known_keys", "monitor_higher_is_better"]


@dataclass
class TrainConfig(Config):
    """The training loop's settings (no task fields; see the task configs).

    Attributes:
        epochs: passes over the training data.
        batch_size: items per step and process.
        accumulate_steps: gradient accumulation: optimizer steps every N batches.
        optimizer: ``adamw`` or ``sgd`` (Nesterov momentum ``momentum``).
        lr: learning rate (for ``batch_size``).
        momentum: SGD momentum.
        weight_decay: decoupled weight decay; norms and biases are excluded unless
            ``decay_norm_bias``.
        decay_norm_bias: also decay biases and normalisation parameters.
        schedule: ``cosine`` (after a linear warm-up of ``warmup_epochs``) or ``constant``.
        warmup_epochs: linear learning-rate warm-up, in epochs (fractions allowed).
        min_lr_ratio: final cosine learning rate as a fraction of ``lr``.
        ema_decay: model EMA decay (0 disables); evaluation uses the EMA weights when on.
        clip_grad_norm: gradient-norm clipping (0 disables).
        amp: mixed precision on CUDA (ignored on CPU).
        early_stop_patience: epochs without improvement of ``monitor`` before stopping (0: off).
        monitor: validation metric that selects ``best.safetensors``: any ``val_*`` key the
            task's evaluation returns; names with ``loss`` or ``error`` are minimised, all others
            maximised.
        seed: seed of Python, NumPy, torch and the data order.
        deterministic: force deterministic kernels (slower).
        workers: data-loading worker processes (0: load in the training process).
        device: ``auto``, ``cpu`` or ``cuda``.
        threads: torch intra-op threads per process (0: torch's default, all cores).
    """

    epochs: int = 10
    batch_size: int = 32
    accumulate_steps: int = 1
    optimizer: str = "adamw"
    lr: float = 3e-4
    momentum: float = 0.9
    weight_decay: float = 0.05
    decay_norm_bias: bool = False
    schedule: str = "cosine"
    warmup_epochs: float = 1.0
    min_lr_ratio: float = 0.01
    ema_decay: float = 0.0
    clip_grad_norm: float = 1.0
    amp: bool = True
    early_stop_patience: int = 0
    monitor: str = "val_loss"
    seed: int = 0
    deterministic: bool = False
    workers: int = 0
    device: str = "auto"
    threads: int = 0

    def validate(self) -> None:
        """Raise :class:`ParameterError` for a value out of range."""
        check_choice(self.optimizer, ("adamw", "sgd"), "optimizer")
        check_choice(self.schedule, ("cosine", "constant"), "schedule")
        if not (isinstance(self.monitor, str) and self.monitor.startswith("val_")):
            raise ParameterError(
                f"monitor: expected a validation metric name 'val_...', got {self.monitor!r}"
            )
        check_choice(self.device, ("auto", "cpu", "cuda"), "device")
        for name in ("epochs", "batch_size", "lr", "accumulate_steps"):
            check_positive(getattr(self, name), name)
        for name in ("weight_decay", "warmup_epochs", "clip_grad_norm", "workers",
                     "early_stop_patience", "threads", "momentum"):
            check_positive(getattr(self, name), name, allow_zero=True)
        check_fraction(self, "ema_decay", upper_inclusive=False)
        check_fraction(self, "min_lr_ratio")

    def single_process_reason(self) -> str | None:
        """Why this configuration cannot train data-parallel (Ray workers, ``torchrun``), or
        None when it can. A task config overrides it for options its distributed path lacks."""
        return None


def check_fraction(cfg: object, name: str, *, upper_inclusive: bool = True) -> None:
    """Raise :class:`ParameterError` unless ``cfg.name`` is in [0, 1] (or [0, 1))."""
    v = getattr(cfg, name)
    ok = 0.0 <= v <= 1.0 if upper_inclusive else 0.0 <= v < 1.0
    if not ok:
        interval = "[0, 1]" if upper_inclusive else "[0, 1)"
        raise ParameterError(f"{name}: expected a value in {interval}, got {v!r}")


def monitor_higher_is_better(name: str) -> bool:
    """True when a larger value of the validation metric ``name`` is better.

    Losses and errors (``val_loss``, ``val_pixel_error``, ``val_hd95``...) are minimised;
    accuracies, IoU, Dice and mAP are maximised.

    >>> monitor_higher_is_better("val_miou"), monitor_higher_is_better("val_pixel_error")
    (True, False)
    """
    low = name.lower()
    return not any(word in low for word in ("loss", "error", "hd95", "hausdorff"))
