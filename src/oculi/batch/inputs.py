"""The inputs of a batch job and where each one's results go.

An input is a folder (searched recursively for image files) or a list file (one path a line,
relative paths taken from the list's folder, ``#`` comments and blank lines ignored). Each input
gets a result *stem*: its path relative to the input root without the suffix, so
``photos/a/1.jpg`` -> ``OUT/a/1``; two inputs of one folder with the same stem
(``1.jpg``, ``1.png``) keep their suffix (``1.jpg``, ``1.png``) instead.

    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for name in ("b/2.png", "1.jpg", "1.png", "notes.txt"):
    ...     (root / name).parent.mkdir(parents=True, exist_ok=True)
    ...     _ = (root / name).write_bytes(b"")
    >>> base, paths = collect_inputs(root)
    >>> [str(p.relative_to(root)) for p in paths]
    ['1.jpg', '1.png', 'b/2.png']
    >>> list(result_stems(base, paths).values())
    ['1.jpg', '1.png', 'b/2']
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

from oculi.core.errors import DataError
from oculi.io import IMAGE_SUFFIXES


def collect_inputs(source: str | os.PathLike[str]) -> tuple[Path, list[Path]]:
    """The input root and the input files of ``source``, sorted.

    Args:
        source: a folder (its image files, recursively, by :data:`IMAGE_SUFFIXES`; hidden files
            and folders skipped) or a text file listing one path per line.

    Returns:
        ``(root, paths)``: the folder (for a list: the common folder of its paths) and the files.

    Raises:
        DataError: ``source`` does not exist, or holds no input.
    """
    src = Path(source)
    if src.is_dir():
        paths = sorted(p for p in src.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES
                       and not any(part.startswith(".") for part in p.relative_to(src).parts)
                       and p.is_file())
        root = src
    elif src.is_file():
        lines = [ln.strip() for ln in src.read_text(encoding="utf-8").splitlines()]
        paths = [src.parent / ln if not Path(ln).is_absolute() else Path(ln)
                 for ln in lines if ln and not ln.startswith("#")]
        root = Path(os.path.commonpath([str(p.parent.absolute()) for p in paths])) \
            if paths else src.parent
        paths = [p.absolute() for p in paths]
    else:
        raise DataError(f"{src}: no such folder or list file")
    if not paths:
        kind = "folder" if src.is_dir() else "list file"
        raise DataError(f"{src}: the {kind} holds no image files "
                        f"({', '.join(sorted(IMAGE_SUFFIXES))})")
    return root, paths


def result_stems(root: Path, paths: list[Path]) -> dict[Path, str]:
    """Input -> result stem (a relative POSIX path without suffix; see the module doc)."""
    base = root.absolute()
    rel = {p: Path(os.path.relpath(p.absolute(), base)) for p in paths}
    plain = {p: r.with_suffix("").as_posix() for p, r in rel.items()}
    clash = Counter(plain.values())
    return {p: rel[p].as_posix() if clash[plain[p]] > 1 else plain[p] for p in paths}
