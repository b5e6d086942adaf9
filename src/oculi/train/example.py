"""The engine's worked example of a task with two optimizers and its own sampler: a small GAN that
learns a 2-D Gaussian. It is what a GAN, a compression model (main + auxiliary optimizer) or a
triplet task copies; ``oculi train gan2d . -o RUN`` runs it in seconds.

The critic (discriminator) steps on every batch; the generator every ``critic_steps`` batches,
after the critic, on the critic it just updated. Each has its own optimizer, learning rate and
schedule; the engine does AMP scaling, clipping, accumulation, checkpoints and exact resume for
both.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, Sampler

from oculi.train.config import TrainConfig
from oculi.train.task import Step, StepOutput, Task, TaskData

#: the target distribution: mean and standard deviation per axis
TARGET_MEAN = (2.0, -1.0)
TARGET_STD = (0.5, 0.3)


@dataclass
class Gan2dConfig(TrainConfig):
    """A GAN on 2-D points (the two-optimizer example).

    Attributes:
        hidden: width of the generator's and the critic's hidden layers.
        critic_steps: critic updates per generator update.
        generator_lr: the generator's learning rate (``lr`` is the critic's).
        points: real training points drawn per epoch.
    """

    hidden: int = 32
    critic_steps: int = 2
    generator_lr: float = 2e-3
    points: int = 512
    epochs: int = 20
    batch_size: int = 64
    lr: float = 2e-3
    weight_decay: float = 0.0
    warmup_epochs: float = 0.0
    schedule: str = "constant"
    clip_grad_norm: float = 0.0
    monitor: str = "val_moment_error"

    def single_process_reason(self) -> str | None:
        """The example steps its generator and critic outside the data-parallel wrapper."""
        return "the two-optimizer example trains in one process: drop --ray / torchrun"


class Gan2d(nn.Module):
    """Generator (2-D noise -> point) and critic (point -> real/fake logit), both MLPs."""

    def __init__(self, hidden: int = 32) -> None:
        super().__init__()
        self.hidden = hidden
        self.generator = nn.Sequential(nn.Linear(2, hidden), nn.ReLU(), nn.Linear(hidden, hidden),
                                       nn.ReLU(), nn.Linear(hidden, 2))
        self.critic = nn.Sequential(nn.Linear(2, hidden), nn.LeakyReLU(0.2),
                                    nn.Linear(hidden, 1))

    def forward(self, noise: torch.Tensor) -> torch.Tensor:
        return self.generator(noise)

    def config(self) -> dict[str, Any]:
        return {"hidden": self.hidden}


class _Points(Dataset):
    def __init__(self, n: int, seed: int) -> None:
        g = torch.Generator().manual_seed(seed)
        self.x = torch.randn(n, 2, generator=g) * torch.tensor(TARGET_STD) + torch.tensor(
            TARGET_MEAN)

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> torch.Tensor:
        return self.x[i]


class WithReplacement(Sampler[int]):
    """A custom sampler: ``n`` indices drawn with replacement, reseeded each epoch."""

    def __init__(self, size: int, n: int, seed: int) -> None:
        self.size, self.n, self.seed, self.epoch = size, n, seed, 0
        self.epochs_seen: list[int] = []

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch
        self.epochs_seen.append(epoch)

    def __iter__(self) -> Iterator[int]:
        g = torch.Generator().manual_seed(self.seed * 1000 + self.epoch)
        return iter(torch.randint(self.size, (self.n,), generator=g).tolist())

    def __len__(self) -> int:
        return self.n


def moment_error(points: torch.Tensor) -> float:
    """Sum over both axes of |mean - target mean| + |std - target std|."""
    mean = (points.mean(0) - torch.tensor(TARGET_MEAN)).abs().sum()
    std = (points.std(0) - torch.tensor(TARGET_STD)).abs().sum()
    return float(mean + std)


class Gan2dTask(Task):
    """The two-optimizer example task (see the module doc)."""

    name = "gan2d"
    checkpoint_key = "oculi_gan2d"

    def __init__(self) -> None:
        self.cfg = Gan2dConfig()

    def build_model(self, cfg: Gan2dConfig) -> nn.Module:
        self.cfg = cfg
        return Gan2d(cfg.hidden)

    def build_data(self, cfg: Gan2dConfig, model: nn.Module, info: Any) -> TaskData:
        train = _Points(cfg.points, cfg.seed)
        self.sampler = WithReplacement(len(train), cfg.points, cfg.seed + 17 * info.rank)
        return TaskData(train, _Points(256, cfg.seed + 1), {"points": cfg.points},
                        sampler=self.sampler)

    def build_optimizers(self, cfg: Gan2dConfig, model: nn.Module) -> dict[str, Any]:
        betas = (0.5, 0.999)
        return {"critic": torch.optim.Adam(model.critic.parameters(), lr=cfg.lr, betas=betas),
                "generator": torch.optim.Adam(model.generator.parameters(), lr=cfg.generator_lr,
                                              betas=betas)}

    def train_step(self, step: Step, batch: Any) -> StepOutput:
        model = step.model
        real = step.to_device(batch)
        n = real.shape[0]
        bce = nn.functional.binary_cross_entropy_with_logits
        ones = torch.ones(n, 1, device=step.device)
        fake = model.generator(torch.randn(n, 2, device=step.device))
        critic_loss = bce(model.critic(real), ones) + bce(model.critic(fake.detach()), 0 * ones)
        step.optimize(critic_loss, "critic")
        stats = {"critic_loss": float(critic_loss.detach()) * n}
        if (step.index + 1) % self.cfg.critic_steps == 0:
            gen_loss = bce(model.critic(fake), ones)  # non-saturating generator loss
            step.optimize(gen_loss, "generator")
            stats["generator_loss"] = float(gen_loss.detach()) * n * self.cfg.critic_steps
        return StepOutput(critic_loss, stats, n)

    @torch.no_grad()
    def evaluate(self, model: nn.Module, loader: DataLoader,
                 device: torch.device) -> dict[str, Any]:
        g = torch.Generator(device="cpu").manual_seed(0)
        fake = model.generator(torch.randn(2048, 2, generator=g).to(device)).cpu()
        return {"val_moment_error": moment_error(fake), "samples": fake[:256].tolist()}


def train_gan2d(data: str | os.PathLike[str] | None, cfg: Gan2dConfig | None = None,
                out: str | os.PathLike[str] = "runs/gan2d", *, resume: bool = False,
                progress: bool | None = None):
    """Train the example GAN (``data`` is ignored: the task makes its own points)."""
    from oculi.train.loop import fit

    return fit(Gan2dTask(), cfg or Gan2dConfig(), out, resume=resume, progress=progress)


def evaluate_gan2d(run: str | os.PathLike[str], data: str | os.PathLike[str] | None = None, *,
                   samples: int = 2048, seed: int = 0):
    """Moment error of a trained example GAN's samples against the target Gaussian.

    Args:
        run: run folder or checkpoint.
        data: ignored.
        samples: points drawn from the generator.
        seed: noise seed.
    """
    from oculi.core.results import EvaluationReport
    from oculi.train.checkpoint import load_run_model

    model = load_run_model(run, Gan2dTask.checkpoint_key, "gan2d", lambda c: Gan2d(**c))
    with torch.no_grad():
        g = torch.Generator().manual_seed(seed)
        fake = model.generator(torch.randn(samples, 2, generator=g))
    return EvaluationReport("gan2d", {"val_moment_error": moment_error(fake)},
                            {"samples": samples, "mean": fake.mean(0).tolist(),
                             "std": fake.std(0).tolist()})
