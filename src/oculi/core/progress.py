"""One progress bar for long work (training, batch commands): rich on stderr, shown only when
stderr is a terminal."""

from __future__ import annotations

import sys
from typing import Any


def progress_bar(description: str = "", *, stats: bool = False, enabled: bool | None = None) -> Any:
    """A ``rich.progress.Progress`` on stderr: description, bar, done/total, elapsed, remaining
    (and a ``stats`` text field when ``stats``). Disabled when stderr is not a terminal unless
    ``enabled`` says otherwise.

    Use as ``with progress_bar("files") as bar: task = bar.add_task("files", total=n)``.
    """
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn()]
    if stats:
        columns.append(TextColumn("{task.fields[stats]}"))
    columns += [TimeElapsedColumn(), TimeRemainingColumn()]
    show = sys.stderr.isatty() if enabled is None else enabled
    return Progress(*columns, console=Console(stderr=True), disable=not show)
