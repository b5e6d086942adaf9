"""How long loading a model took: measured where oculi loads models, reported by the CLI.

oculi's model loaders (``oculi.models.create_model`` / ``load_model``, ``read_state_dict``,
``oculi.train.load_run_model``, the depth and Zero-DCE loaders) run inside
:func:`timed_load`, which records the wall time of building the network and reading its
weights. A load inside another (``create_model`` reading its weights file with
``read_state_dict``) is part of the outer one and is not recorded again. The CLI reads the
records back: ``oculi -v ...`` prints ``loaded efficientnet_lite0 in 0.41 s`` on stderr as each
load ends, and every ``--json`` summary of a command that loaded a model gets ``model_load_s``
(seconds, all loads of the command) and ``model_loads`` (one ``{"model", "seconds"}`` each).

Importing this module costs nothing (no torch): the CLI imports it for every command.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class ModelLoad:
    """One model load: what was loaded (a zoo name or a file name) and its wall time, seconds."""

    model: str
    seconds: float

    def as_dict(self) -> dict[str, object]:
        return {"model": self.model, "seconds": round(self.seconds, 3)}


_LOADS: list[ModelLoad] = []
_LOCK = threading.Lock()
_DEPTH = threading.local()
_REPORTER: list[Callable[[ModelLoad], None]] = []  # zero or one


@contextlib.contextmanager
def timed_load(model: str) -> Iterator[None]:
    """Time the block as the load of ``model``; record it (and tell the reporter) when it ends
    without an exception and is not inside another :func:`timed_load` of this thread."""
    depth = getattr(_DEPTH, "n", 0)
    _DEPTH.n = depth + 1
    t0 = time.perf_counter()
    try:
        yield
    finally:
        _DEPTH.n = depth
    if depth:
        return
    load = ModelLoad(str(model), time.perf_counter() - t0)
    with _LOCK:
        _LOADS.append(load)
        reporter = list(_REPORTER)
    for report in reporter:
        report(load)


def model_loads() -> list[ModelLoad]:
    """The loads recorded in this process since the last :func:`clear_model_loads`, in order."""
    with _LOCK:
        return list(_LOADS)


def clear_model_loads() -> None:
    """Forget the recorded loads (the CLI does so when a command starts)."""
    with _LOCK:
        _LOADS.clear()


def set_reporter(report: Callable[[ModelLoad], None] | None) -> None:
    """Call ``report(load)`` as each recorded load ends (None: no reporter)."""
    with _LOCK:
        _REPORTER[:] = [report] if report is not None else []


def describe(load: ModelLoad) -> str:
    """``loaded NAME in 0.41 s``: the line ``oculi -v`` prints."""
    return f"loaded {load.model} in {load.seconds:.2f} s"


def summary(loads: list[ModelLoad] | None = None) -> dict[str, object]:
    """``{"model_load_s": total seconds, "model_loads": [...]}`` for a JSON summary; ``{}`` when
    nothing was loaded. ``loads``: default :func:`model_loads`."""
    loads = model_loads() if loads is None else loads
    if not loads:
        return {}
    return {"model_load_s": round(sum(x.seconds for x in loads), 3),
            "model_loads": [x.as_dict() for x in loads]}


__all__ = ["ModelLoad", "clear_model_loads", "describe", "model_loads", "set_reporter",
           "summary", "timed_load"]
