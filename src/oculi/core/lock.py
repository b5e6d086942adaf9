"""An exclusive, process-wide lock on a folder: ``fcntl.flock`` on a lock file inside it, which
records the holder's process id for the error message. The kernel drops the lock when its
process dies, so the lock of a killed process is simply taken over by the next one.

    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> with FolderLock(folder, ".lock", what="output folder"):
    ...     try:
    ...         FolderLock(folder, ".lock", what="output folder").acquire()
    ...     except OSError as err:
    ...         print(str(err).split(" — ")[0].replace(folder, "F").split(" process ")[0])
    output folder F is in use by
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from types import TracebackType

from oculi.core.errors import DataError


class FolderLock:
    """The exclusive lock of ``folder`` (created if missing), held from :meth:`acquire` (or
    ``with``) to :meth:`release`; the lock file is removed on release.

    Args:
        folder: the folder to lock.
        name: the lock file's name inside it.
        what: how messages name the folder ("run folder").

    Raises:
        DataError: another live process holds the lock (from :meth:`acquire`).
    """

    def __init__(self, folder: str | os.PathLike[str], name: str = ".oculi.lock", *,
                 what: str = "folder") -> None:
        self.folder = Path(folder)
        self.path = self.folder / name
        self.what = what
        self._fd: int | None = None

    def acquire(self) -> FolderLock:
        try:
            import fcntl
        except ImportError:  # no flock on this platform: run unlocked
            return self
        self.folder.mkdir(parents=True, exist_ok=True)
        for _ in range(20):
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                owner = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "?"
                os.close(fd)
                raise DataError(f"{self.what} {self.folder} is in use by process {owner} — wait "
                                "for it to finish or use another folder") from None
            try:  # the last holder may have removed the file after we opened it: lock the new one
                current = os.path.samestat(os.fstat(fd), os.stat(self.path))
            except FileNotFoundError:
                current = False
            if current:
                os.ftruncate(fd, 0)
                os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
                self._fd = fd
                return self
            os.close(fd)
        raise DataError(f"{self.what} {self.folder}: could not take its lock {self.path}")

    def release(self) -> None:
        """Give the lock up (nothing when not held)."""
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            self.path.unlink()  # while still holding it: a waiting opener re-checks the inode
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> FolderLock:
        return self.acquire()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()
