"""Shared benchmark plumbing: paths, result lines, printing."""

from __future__ import annotations

import datetime as _dt
import os
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
SHARED_DATA = Path(os.environ.get("OCULI_SHARED_DATA", ROOT.parent / "shared" / "data"))


def git_rev() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                             capture_output=True, text=True, check=True)
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def record(topic: str, payload: dict[str, Any]) -> Path:
    """Append one JSON line with a timestamp, the git revision and the machine to results."""
    from oculi.core.atomic import append_jsonl
    from oculi.core.timing import machine

    line = {"time": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "git": git_rev(), "machine": machine(), **payload}
    return append_jsonl(RESULTS / f"{topic}.jsonl", line)


def print_table(headers: list[str], rows: list[list[Any]]) -> None:
    """Print a plain aligned table."""
    cells = [[f"{c:.3g}" if isinstance(c, float) else str(c) for c in r] for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    for r in cells:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))
