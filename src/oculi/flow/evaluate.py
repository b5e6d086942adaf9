"""Run flow methods on a folder in the Middlebury layout and score them against ground truth.

A sequence is a sub-folder ``<Seq>/`` holding ``frame10.png``, ``frame11.png`` and the ground
truth ``flow10.flo`` (frame 10 -> frame 11).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from oculi.core.errors import DataError, ImageReadError, OculiError


@dataclass(frozen=True)
class Sequence:
    """One Middlebury-layout sequence: two frames and the ground-truth flow between them."""

    name: str
    frame1: Path
    frame2: Path
    gt: Path


@dataclass
class FlowResult:
    """The score of one method on one sequence (``error`` set when it failed)."""

    method: str
    sequence: str
    epe: float = float("nan")
    ae: float = float("nan")
    seconds: float = float("nan")
    width: int = 0
    height: int = 0
    error: str = ""

    def as_dict(self) -> dict[str, Any]:
        """Plain dictionary (for JSON)."""
        return asdict(self)


def find_sequences(folder: str | os.PathLike[str]) -> list[Sequence]:
    """Sequences under ``folder`` (sub-folders with frame10.png, frame11.png and flow10.flo).

    Raises:
        ImageReadError: ``folder`` does not exist or is not a folder.
        DataError: no sub-folder has the three files.
    """
    root = Path(folder)
    if not root.is_dir():
        raise ImageReadError(f"{root}: not a folder (expected <Seq>/frame10.png, frame11.png, "
                             "flow10.flo)")
    found = []
    for sub in sorted(p for p in root.iterdir() if p.is_dir()):
        files = (sub / "frame10.png", sub / "frame11.png", sub / "flow10.flo")
        if all(f.is_file() for f in files):
            found.append(Sequence(sub.name, *files))
    if not found:
        raise DataError(
            f"{root}: no sequence found — expected sub-folders with frame10.png, frame11.png and "
            "flow10.flo (Middlebury layout)"
        )
    return found


def load_sequence(seq: Sequence) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The two RGB uint8 frames and the HxWx2 ground truth (NaN where unknown)."""
    from oculi.flow.flo import read_flo
    from oculi.io import read_image

    return read_image(seq.frame1, mode="rgb"), read_image(seq.frame2, mode="rgb"), read_flo(seq.gt)


def evaluate_methods(
    folder: str | os.PathLike[str],
    methods: Iterable[str] | None = None,
    *,
    params: dict[str, dict[str, Any]] | None = None,
    on_result: Callable[[FlowResult], None] | None = None,
) -> list[FlowResult]:
    """Run every method on every sequence of ``folder`` and score it.

    Args:
        folder: a Middlebury-layout folder (see :func:`find_sequences`).
        methods: registered method names; ``None`` runs all of them.
        params: optional keyword arguments per method name.
        on_result: called with each result as soon as it is ready (progress display).

    Returns:
        One :class:`FlowResult` per (method, sequence), methods in the given order. A method that
        raises on a sequence gets a result with ``error`` set and the run goes on.

    Raises:
        UnknownNameError: a method name is not registered (checked before anything runs).
    """
    from oculi.flow import methods as registry
    from oculi.flow.metrics import angular_error, endpoint_error

    names = list(methods) if methods is not None else registry.names()
    for name in names:
        registry.entry(name)
    params = params or {}
    seqs = find_sequences(folder)
    results = []
    for seq in seqs:
        try:
            a, b, gt = load_sequence(seq)
        except OculiError as exc:
            for name in names:
                results.append(FlowResult(name, seq.name, error=str(exc)))
            continue
        for name in names:
            res = FlowResult(name, seq.name, width=a.shape[1], height=a.shape[0])
            try:
                fn = registry.get(name)
                t0 = time.perf_counter()
                flow = fn(a, b, **params.get(name, {}))
                res.seconds = time.perf_counter() - t0
                res.epe = endpoint_error(flow, gt)
                res.ae = angular_error(flow, gt)
            except OculiError as exc:
                res.error = str(exc)
            results.append(res)
            if on_result is not None:
                on_result(res)
    return results


def summarize(results: list[FlowResult]) -> dict[str, dict[str, float]]:
    """Per method: mean EPE, AE and seconds over the sequences it succeeded on."""
    out: dict[str, dict[str, float]] = {}
    for name in dict.fromkeys(r.method for r in results):
        ok = [r for r in results if r.method == name and not r.error]
        if ok:
            out[name] = {"epe": float(np.mean([r.epe for r in ok])),
                         "ae": float(np.mean([r.ae for r in ok])),
                         "seconds": float(np.mean([r.seconds for r in ok])), "n": len(ok)}
    return out
