"""Drawing images from a trained ``gan`` run: fixed noise per seed, class labels for conditional
models, InfoGAN codes, and the sample grid written per epoch and by ``oculi generate``."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import torch

from oculi.core.errors import DataError, ParameterError
from oculi.generate.gan_data import to_uint8
from oculi.generate.gan_nets import GanModel

#: metadata key of the gan task's checkpoints
CHECKPOINT_KEY = "oculi_gan"


def load_gan(run: str | os.PathLike[str]) -> GanModel:
    """The generator and critic of a ``gan`` run folder (``best.safetensors``: the generator's
    moving average when the run used one) or checkpoint file, in eval mode.

    Raises:
        DataError: not a ``gan`` run folder or checkpoint.
    """
    from oculi.train.checkpoint import load_run_model

    return load_run_model(run, CHECKPOINT_KEY, "gan", lambda c: GanModel(**c))


def _labels(model: GanModel, n: int, labels: Sequence[int] | None) -> torch.Tensor | None:
    if labels is None:
        return torch.arange(n) % model.classes if model.classes else None
    if not model.classes:
        raise ParameterError("labels: this GAN is not conditional (trained without "
                             "conditional); drop the labels")
    lab = [int(v) for v in labels]
    if len(lab) != n:
        raise ParameterError(f"labels: expected {n} labels (one per image), got {len(lab)}")
    bad = [v for v in lab if not 0 <= v < model.classes]
    if bad:
        raise ParameterError(f"labels: expected class indices in 0..{model.classes - 1}, "
                             f"got {bad[0]}")
    return torch.tensor(lab, dtype=torch.int64)


def info_codes(model: GanModel, n: int, generator: torch.Generator | None = None,
               categories: torch.Tensor | None = None) -> tuple[torch.Tensor | None,
                                                                torch.Tensor | None]:
    """Random InfoGAN codes: ``(codes (n, cat + cont), category index (n,))``; the categorical
    part is one-hot (``categories`` or uniform), the continuous part uniform in [-1, 1]. Both
    None for a model without codes."""
    cat, cont = model.info_categorical, model.info_continuous
    if not cat and not cont:
        return None, None
    idx = (categories if categories is not None
           else torch.randint(max(cat, 1), (n,), generator=generator))
    parts = [torch.nn.functional.one_hot(idx, cat).float()] if cat else []
    if cont:
        parts.append(torch.rand(n, cont, generator=generator) * 2 - 1)
    return torch.cat(parts, 1), idx


@torch.no_grad()
def sample_model(model: GanModel, n: int, *, seed: int = 0,
                 labels: Sequence[int] | None = None) -> torch.Tensor:
    """``n`` images ``(n, 1, S, S)`` in [-1, 1] from ``model`` (set to eval mode) with noise fixed
    by ``seed``; the caller's random state is left as it was.

    Raises:
        ParameterError: ``n`` < 1, or labels for an unconditional model / of the wrong length or
            range.
    """
    if n < 1:
        raise ParameterError(f"n: expected at least 1 image, got {n}")
    y = _labels(model, n, labels)
    was_training = model.training
    model.eval()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)  # the StyleGAN noise inputs draw from the global generator
        g = torch.Generator().manual_seed(seed)
        z = torch.randn(n, model.latent, generator=g)
        info, _ = info_codes(model, n, g)
        device = next(model.parameters()).device
        out = model(z.to(device), None if y is None else y.to(device),
                    None if info is None else info.to(device))
    model.train(was_training)
    return out.cpu()


def sample(run: str | os.PathLike[str], n: int, *, seed: int = 0,
           labels: Sequence[int] | None = None) -> np.ndarray:
    """``n`` uint8 images ``(n, 28, 28)`` from a ``gan`` run (the :data:`generators` entry).

    Args:
        run: a run folder of ``oculi train gan`` or its checkpoint.
        n: images to draw.
        seed: the noise seed (same seed, same images).
        labels: class per image for a conditional model (None: 0, 1, 2, ... in turn).

    Raises:
        DataError: not a gan run.
        ParameterError: bad ``n`` or ``labels``.
    """
    return to_uint8(sample_model(load_gan(run), n, seed=seed, labels=labels))


def grid(images: np.ndarray, columns: int | None = None) -> np.ndarray:
    """Tile uint8 images ``(n, H, W)`` or ``(n, H, W, 3)`` into one picture (2-pixel black gaps,
    rows of ``columns``; None: a square-ish grid)."""
    from oculi.preprocess import montage

    if images.ndim not in (3, 4) or len(images) == 0:
        raise DataError(f"images: expected (n, H, W[, 3]) with n >= 1, got shape "
                        f"{images.shape}")
    return montage(images, columns)
