"""Run folders and checkpoints: find a run's best checkpoint and rebuild its model."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from torch import nn

from oculi.core.errors import DataError
from oculi.core.loadtime import timed_load


def resolve_checkpoint(run_or_checkpoint: str | os.PathLike[str], kind: str = "") -> Path:
    """A run folder's ``best.safetensors`` (else ``last.safetensors``), or the file itself.

    Args:
        run_or_checkpoint: a run folder written by :func:`oculi.train.fit` or a checkpoint file.
        kind: the task named in the error message ("detection", "segmentation", ...).

    Raises:
        DataError: neither a checkpoint file nor a run folder holding one.
    """
    p = Path(run_or_checkpoint)
    if p.is_file():
        return p
    if not p.is_dir():
        raise DataError(f"{p}: no such run folder or checkpoint")
    for name in ("best.safetensors", "last.safetensors"):
        if (p / name).is_file():
            return p / name
    what = f"a {kind} run folder" if kind else "a finished run folder"
    raise DataError(f"{p}: no best.safetensors or last.safetensors — not {what}")


def load_run_model(
    run_or_checkpoint: str | os.PathLike[str],
    key: str,
    kind: str,
    rebuild: Callable[[dict[str, Any]], nn.Module],
) -> nn.Module:
    """Rebuild a model from a run's checkpoint: its JSON config under metadata ``key`` is passed
    to ``rebuild`` and the weights are loaded; the model is returned in eval mode.

    Raises:
        DataError: no checkpoint, or a checkpoint without ``key`` (a run of another task).
    """
    import json

    from oculi.models.weights import load_weights, read_metadata

    ckpt = resolve_checkpoint(run_or_checkpoint, kind)
    meta = read_metadata(ckpt)
    if key not in meta:
        raise DataError(f"{ckpt}: not a {kind} checkpoint (no {key} metadata)")
    # the load time the CLI reports (oculi.core.loadtime)
    with timed_load(f"{kind} model {ckpt}" if kind else str(ckpt)):
        model = rebuild(json.loads(meta[key]))
        load_weights(model, ckpt)
    return model.eval()
