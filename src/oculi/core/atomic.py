"""Atomic output: write to a temporary file beside the target, then rename over it.

A reader never sees a half-written file, and a failure leaves any previous file untouched. The
temporary file is named ``.<stem>.oculi-tmp-<pid>-<random><suffix>``: a process killed while
writing leaves one behind, which :func:`remove_stale_temp_files` recognises (its writer is dead)
and removes.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_path(d / "a.txt") as tmp:
    ...     _ = tmp.write_text("hello")
    >>> (d / "a.txt").read_text()
    'hello'
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from oculi.core.errors import ImageWriteError


def _umask() -> int:
    """The process umask (read by setting it and putting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


#: ``.<stem>.oculi-tmp-<pid>-<random><suffix>``: group 1 is the writer's process id
_TEMP_NAME = re.compile(r"^\..*\.oculi-tmp-(\d+)-[^.]+(\.[^.]*)?$")


def _target_mode(target: Path) -> int:
    """The mode the written file gets: an existing file's own, else ``0o666`` less the umask."""
    try:
        return target.stat().st_mode & 0o7777
    except OSError:
        return 0o666 & ~_umask()


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: it exists, owned by someone else
        return True
    return True


def remove_stale_temp_files(folder: str | os.PathLike[str]) -> list[Path]:
    """Delete the temporary files that :func:`atomic_path` left in ``folder`` when its process
    was killed mid-write (their writer's process id is no longer running); a live writer's file
    is kept. Not recursive.

    Returns:
        The paths removed.
    """
    removed = []
    root = Path(folder)
    if not root.is_dir():
        return removed
    for entry in root.iterdir():
        m = _TEMP_NAME.match(entry.name)
        if m is None or _process_alive(int(m.group(1))) or not entry.is_file():
            continue
        with contextlib.suppress(FileNotFoundError):  # another cleaner was first
            entry.unlink()
            removed.append(entry)
    return removed


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], *, mkdir: bool = True) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; on success it is renamed to ``path``.

    The result keeps the mode of the file it replaces; a new file gets the permissions a plain
    ``open(path, "w")`` would give (``0o666`` less the umask).

    The temporary name keeps the target's suffix, so writers that choose a format by suffix
    (OpenCV, Pillow, matplotlib) behave as for the target.

    Raises:
        ImageWriteError: the folder cannot be created, or the file cannot be created, written
            or renamed into place; the message names ``path``, not the temporary file.
    """
    target = Path(path)
    if mkdir:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ImageWriteError(f"{target}: cannot create folder {target.parent}: {exc}") from exc
    try:
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{target.stem}.oculi-tmp-{os.getpid()}-", suffix=target.suffix,
            dir=target.parent)
    except OSError as exc:
        raise _cannot_write(target, exc) from exc
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        if tmp.exists():  # mkstemp makes 0600 files: give the result the expected mode
            os.chmod(tmp, _target_mode(target))
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError) and not isinstance(exc, ImageWriteError) and \
                tmp.name in str(exc):  # the temporary name means nothing to the user
            raise _cannot_write(target, exc) from exc
        raise


def _cannot_write(target: Path, exc: OSError) -> ImageWriteError:
    """The error for a failed write, naming the output (never the temporary file)."""
    return ImageWriteError(f"{target}: cannot write: {exc.strerror or type(exc).__name__}")


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically and return the path."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically and return the path."""
    return write_bytes_atomic(path, text.encode("utf-8"))


def _json_default(obj: Any) -> Any:
    import numpy as np

    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def write_json_atomic(path: str | os.PathLike[str], obj: Any, *, indent: int = 2) -> Path:
    """Write ``obj`` as JSON (numpy arrays and scalars converted) atomically."""
    return write_text_atomic(path, json.dumps(obj, indent=indent, default=_json_default) + "\n")


def write_jsonl_atomic(path: str | os.PathLike[str], records: list[Any]) -> Path:
    """Write ``records`` as JSON lines (one per record), replacing ``path`` atomically."""
    return write_text_atomic(path, "".join(json.dumps(r, default=_json_default) + "\n"
                                           for r in records))


def save_figure(fig: Any, path: str | os.PathLike[str], *, dpi: int = 90) -> Path:
    """Write a matplotlib figure as PNG to ``path`` atomically, close it and return the path."""
    import matplotlib.pyplot as plt

    try:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=dpi, format="png")
    finally:
        plt.close(fig)
    return Path(path)


def append_jsonl(path: str | os.PathLike[str], obj: Any) -> Path:
    """Append one JSON line (benchmarks' results files). Appends are line-atomic on POSIX."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(obj, default=_json_default) + "\n")
    return target
