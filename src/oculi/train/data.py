"""The engine's data rule, the same for every task: a training item that cannot be read (a
truncated JPEG, a missing file) is skipped — the next readable item stands in — and reported at
the end of the run (``summary.json``, ``data.json`` and the log); the run and its checkpoints go
on."""

from __future__ import annotations

import sys
from typing import Any

from torch.utils.data import Dataset

from oculi.core.errors import DataError, OculiError


def item_name(dataset: Any, index: int) -> str:
    """A readable name for item ``index``: its file when the dataset keeps ``samples`` with a
    ``path`` (or ``name``), else ``item N``."""
    samples = getattr(dataset, "samples", None)
    if samples is not None and index < len(samples):
        s = samples[index]
        for attr in ("path", "name"):
            if hasattr(s, attr):
                return str(getattr(s, attr))
        if isinstance(s, tuple) and s:
            return str(s[0])
    base = getattr(dataset, "base", None)
    if base is not None and len(base):
        return item_name(base, index % len(base))
    return f"item {index}"


class SkipUnreadable(Dataset):
    """Wrap a training dataset: an item whose reading raises an oculi error or ``OSError`` is
    recorded in :attr:`failed` (name -> reason, one line each, printed once to stderr) and the
    next readable item is returned instead.

    With data-loading worker processes each worker keeps its own record; the printed line is
    what reaches the user then.
    """

    def __init__(self, base: Dataset) -> None:
        self.base = base
        self.failed: dict[str, str] = {}

    def __len__(self) -> int:
        return len(self.base)  # type: ignore[arg-type]

    def __getattr__(self, name: str) -> Any:  # transform, samples, ... of the wrapped dataset
        if name == "base":
            raise AttributeError(name)
        return getattr(self.base, name)

    def __getitem__(self, index: int) -> Any:
        n = len(self)
        for k in range(n):
            j = (index + k) % n
            try:
                return self.base[j]
            except (OculiError, OSError) as exc:
                name = item_name(self.base, j)
                if name not in self.failed:
                    self.failed[name] = " ".join(str(exc).split())
                    print(f"oculi: skipped unreadable training item {name}: "
                          f"{self.failed[name]}", file=sys.stderr, flush=True)
        raise DataError(f"training data: none of the {n} item(s) could be read")
