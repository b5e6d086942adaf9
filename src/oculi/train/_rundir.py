"""Run folders: one run at a time, and never a new run mixed into an old one's files.

A run holds an exclusive lock (``fcntl.flock`` on ``.oculi-run.lock``, which records the holder's
process id) for as long as it trains. The kernel drops the lock when its process dies, so a
killed run's lock is simply taken over by the next run. A folder that already holds a run
(``metrics.jsonl`` or ``state.pt``) is refused unless the new run resumes it or replaces it.
"""

from __future__ import annotations

import os
from pathlib import Path

from oculi.core.atomic import remove_stale_temp_files
from oculi.core.errors import DataError, ParameterError
from oculi.core.lock import FolderLock

LOCK_NAME = ".oculi-run.lock"
#: what the engine writes into a run folder (removed when a run is replaced)
RUN_FILES = ("metrics.jsonl", "state.pt", "summary.json", "config.yaml", "data.json",
             "curves.png", "best.safetensors", "last.safetensors", "last_ema.safetensors")
#: the files whose presence means "this folder holds a run"
_MARKERS = ("metrics.jsonl", "state.pt")


def run_lock(run_dir: str | os.PathLike[str]) -> FolderLock:
    """The exclusive lock of a run folder (:class:`~oculi.core.lock.FolderLock`)."""
    return FolderLock(run_dir, LOCK_NAME, what="run folder")


def _remove_run_files(run_dir: Path) -> list[Path]:
    removed = []
    for path in [run_dir / n for n in RUN_FILES] + sorted(run_dir.glob("final_rank*.safetensors")):
        if path.is_file():
            path.unlink()
            removed.append(path)
    return removed


def open_run_dir(run_dir: str | os.PathLike[str], *, resume: bool,
                 overwrite: bool) -> FolderLock:
    """Lock ``run_dir`` for a run and check that the run may write there: a folder holding a
    previous run needs ``resume`` (continue it) or ``overwrite`` (its run files are removed).
    Temporary files of writers that were killed are removed. Release the returned lock when the
    run ends.

    Raises:
        ParameterError: both ``resume`` and ``overwrite``.
        DataError: the folder is in use by another process, or holds a run and neither flag is
            set.
    """
    if resume and overwrite:
        raise ParameterError("resume and overwrite: choose one (continue the run or replace it)")
    lock = run_lock(run_dir).acquire()
    try:
        root = lock.folder
        found = [n for n in _MARKERS if (root / n).exists()]
        if found and not (resume or overwrite):
            raise DataError(f"{root}: already holds a run ({', '.join(found)}) — continue it with "
                            "--resume (resume=True) or replace it with --overwrite "
                            "(oculi.train.clear_run)")
        if overwrite:
            _remove_run_files(root)
        remove_stale_temp_files(root)
    except BaseException:
        lock.release()
        raise
    return lock


def clear_run(run_dir: str | os.PathLike[str]) -> list[Path]:
    """Remove a previous run's files from ``run_dir`` (metrics, checkpoints, state, summary,
    config, curves; other files stay) so that a new run can start there.

    Returns:
        The files removed.

    Raises:
        DataError: a run is training in the folder now.
    """
    root = Path(run_dir)
    if not root.is_dir():
        return []
    with run_lock(root):
        removed = _remove_run_files(root)
        remove_stale_temp_files(root)
    return removed
