"""Benchmark lines for the tour: the JSON-lines files that ``python -m bench.<topic>`` appends to
``bench/results/`` (one JSON object per line, oldest first). Tour sections show heavy figures
from here instead of computing them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

#: the repository's ``bench/results`` folder (absent in an installed wheel: no lines then)
RESULTS = Path(__file__).resolve().parents[3] / "bench" / "results"


def bench_lines(topic: str, results: Path | None = None) -> list[dict[str, Any]]:
    """Every line of ``<topic>.jsonl`` in ``results`` (default :data:`RESULTS`), oldest first;
    blank lines skipped; empty when the file does not exist."""
    path = (RESULTS if results is None else Path(results)) / f"{topic}.jsonl"
    if not path.is_file():
        return []
    return [json.loads(s) for s in path.read_text().splitlines() if s.strip()]


def last_line(topic: str, results: Path | None = None, **match: Any) -> dict[str, Any] | None:
    """The newest line of ``<topic>.jsonl`` whose keys equal every ``match`` value (e.g.
    ``part="srmd"``), or None."""
    found = [d for d in bench_lines(topic, results)
             if all(d.get(k) == v for k, v in match.items())]
    return found[-1] if found else None
