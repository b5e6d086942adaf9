"""Sampling from a trained generator run, whatever its task: the ``generators`` registry maps a
trainable task name (``gan``, ``vae``, ...) to its ``sample`` function, imported only when called.

A ``sample`` function has the signature::

    sample(run, n, *, seed=0, labels=None) -> np.ndarray

and returns ``n`` images, uint8, shape (n, H, W) for grey models or (n, H, W, 3) for colour
ones; the same ``seed`` gives the same images; ``labels`` (n class indices) pick the classes of
a conditional model and are refused by an unconditional one.

    >>> from oculi.generate.sample import generators
    >>> "gan" in generators
    True
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from oculi.core.errors import DataError, ParameterError
from oculi.core.registry import Registry, lazy

#: trainable task name -> its ``sample(run, n, *, seed, labels)`` (its module imported on call)
generators: Registry[Callable[..., np.ndarray]] = Registry("generator task")

generators.register("gan", lazy("oculi.generate.gan_sample", "sample"),
                    help="the GAN family (oculi train gan)")
generators.register("vae", lazy("oculi.generate.ae_task", "sample"),
                    help="VAE prior samples (oculi train vae --model vae)")

_TASK_LINE = re.compile(r"#\s*task:\s*([A-Za-z0-9_\-]+)")


def run_task_name(run: str | os.PathLike[str]) -> str:
    """The trainable task that wrote the run folder ``run`` (the ``# task: NAME`` line the
    engine writes at the top of ``config.yaml``).

    Raises:
        DataError: ``run`` is not a folder or holds no ``config.yaml`` with a task line.
    """
    root = Path(run)
    if not root.is_dir():
        raise DataError(f"{run}: not a run folder (no such folder)")
    path = root / "config.yaml"
    if not path.is_file():
        raise DataError(f"{run}: not a run folder (no config.yaml)")
    try:
        first = path.read_text(encoding="utf-8", errors="replace").splitlines()[:1]
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror})") from exc
    match = _TASK_LINE.match(first[0]) if first else None
    if match is None:
        raise DataError(f"{path}: no '# task: NAME' first line — not written by oculi train")
    return match.group(1)


#: most images one :func:`generate` call makes (they are made in one batch: bounded memory)
MAX_IMAGES = 10_000


def generate(run: str | os.PathLike[str], n: int, *, seed: int = 0,
             labels: Sequence[int] | None = None) -> np.ndarray:
    """``n`` images from the generator trained in the run folder ``run``.

    Args:
        run: a run folder written by ``oculi train gan`` (or another task in
            :data:`generators`).
        n: how many images, 1..:data:`MAX_IMAGES` (all are made in one batch).
        seed: the noise seed (the same seed gives the same images).
        labels: class indices for a conditional model (length ``n``); None: classes in turn.

    Returns:
        uint8 images, (n, H, W) grey or (n, H, W, 3) colour.

    Raises:
        DataError: ``run`` is not a run folder.
        UnknownNameError: the run's task makes no images.
        ParameterError: ``n`` is not a whole number in 1..:data:`MAX_IMAGES`.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= MAX_IMAGES:
        raise ParameterError(f"n: expected 1..{MAX_IMAGES} images per call, got {n!r} — for "
                             "more, call again with other seeds")
    task = run_task_name(run)
    return generators.get(task)(run, int(n), seed=seed, labels=labels)
