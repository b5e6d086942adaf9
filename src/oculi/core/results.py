"""Result types every topic returns: a batch over files, and an evaluation report."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

T = TypeVar("T")


@dataclass
class FileResults(Generic[T]):
    """What a ``*_files`` function returns: one result per readable input, one message per
    failed input (batch work goes on past a bad file and reports it at the end).

    Unpacks as ``results, failures = classify_files(...)``.

    Attributes:
        results: input path -> result, in input order.
        failures: input path -> one-line reason.
    """

    results: dict[str, T] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)

    def __iter__(self) -> Iterator[Any]:
        return iter((self.results, self.failures))

    def __len__(self) -> int:
        return len(self.results) + len(self.failures)


@dataclass
class EvaluationReport(Mapping[str, Any]):
    """What an ``evaluate_*`` function returns.

    Attributes:
        task: the task that produced it (``classify``, ``detect``, ``segment``, ...).
        metrics: the headline numbers, ``val_*`` floats (what training logs and selects by).
        details: everything else (per-class tables, curves, counts, skipped files).

    It reads like the flat dict it serialises to (``report["val_top1"]``), so
    ``report.as_dict()`` is what ``--json`` writes.
    """

    task: str
    metrics: dict[str, float]
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {**self.details, **self.metrics}

    def json_dict(self) -> dict[str, Any]:
        """:meth:`as_dict` without array values (pictures), for ``--json``."""
        return {k: v for k, v in self.as_dict().items() if not hasattr(v, "__array__")}

    def __getitem__(self, key: str) -> Any:
        if key in self.metrics:
            return self.metrics[key]
        return self.details[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.as_dict())

    def __len__(self) -> int:
        return len(self.as_dict())

    def summary(self) -> str:
        """The headline metrics on one line."""
        return "  ".join(f"{k.removeprefix('val_')} {v:.4f}" for k, v in self.metrics.items()
                         if isinstance(v, float))

    @classmethod
    def from_flat(cls, task: str, flat: Mapping[str, Any]) -> EvaluationReport:
        """Split a flat result: float ``val_*`` keys become :attr:`metrics`."""
        metrics = {k: float(v) for k, v in flat.items()
                   if k.startswith("val_") and isinstance(v, (int, float))}
        return cls(task, metrics, {k: v for k, v in flat.items() if k not in metrics})
