"""Real noisy pairs for Noise2Noise training (``oculi train restore --problem denoise --target
noisy --pairs DIR``): two independent noisy photographs of the same still scene, no clean one.

A pairs folder holds either

- files named ``NAME_a.EXT`` and ``NAME_b.EXT`` (any image suffix, searched recursively; the two
  of a pair in the same folder), or
- exactly two subfolders (any names) holding the same file names: ``first/NAME.png`` pairs with
  ``second/NAME.png``.

A file without its partner is left out and listed (``pairs_unmatched`` in ``data.json``); a pair
whose two images differ in size, or are smaller than the crop, raises a ``DataError`` when read,
and the engine skips and reports it. :class:`NoisyPairs` crops both images of a pair at the same
place (same flip and rotation) and returns them in a random order as ``(input, target)``.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from oculi.core.errors import DataError
from oculi.restore.config import RestoreConfig
from oculi.restore.patches import _tensor, image_files, random_view, read_source, to_planes

_SUFFIX = re.compile(r"^(?P<name>.+)_(?P<side>[ab])$", re.IGNORECASE)


def find_pairs(folder: str | Path) -> tuple[list[tuple[str, str]], list[str]]:
    """The noisy pairs of ``folder`` (see the module doc).

    Returns:
        ``(pairs, unmatched)``: ``(a, b)`` file paths in name order, and the files left out.

    Raises:
        DataError: not a folder, or no pair in it.
    """
    root = Path(folder)
    if not root.is_dir():
        raise DataError(f"pairs: {folder} is not a folder")
    sides: dict[tuple[Path, str], dict[str, str]] = {}
    for f in map(Path, image_files(root)):
        match = _SUFFIX.match(f.stem)
        if match:
            sides.setdefault((f.parent, match["name"]), {})[match["side"].lower()] = str(f)
    subfolders = sorted(p for p in root.iterdir() if p.is_dir())
    if not sides and len(subfolders) == 2:
        first, second = ({str(Path(f).relative_to(d)): f for f in image_files(d)}
                         for d in subfolders)
        pairs = [(first[k], second[k]) for k in sorted(first.keys() & second.keys())]
        unmatched = sorted(v for k, v in (*first.items(), *second.items())
                           if k not in first or k not in second)
    else:
        pairs = [(s["a"], s["b"]) for _, s in sorted(sides.items()) if len(s) == 2]
        unmatched = sorted(v for s in sides.values() if len(s) == 1 for v in s.values())
    if not pairs:
        raise DataError(f"pairs: no noisy pairs in {folder} (expected NAME_a.png + NAME_b.png "
                        f"files, or two subfolders holding the same file names)")
    return pairs, unmatched


class NoisyPairs(Dataset):
    """Random training crops ``(noisy, noisy)`` of real pairs, C x h x w float32 tensors.

    Item ``i`` is a crop of pair ``i // repeat``.

    Attributes:
        pairs: ``(a, b)`` file paths.
        unmatched: files without a partner (left out).
        samples: ``(a path,)`` of each item (what the engine names a skipped item by).
    """

    def __init__(self, folder: str | Path, cfg: RestoreConfig, seed: int) -> None:
        self.pairs, self.unmatched = find_pairs(folder)
        self.samples = [(a,) for a, _ in self.pairs for _ in range(cfg.repeat)]
        self.cfg = cfg
        self.rng = np.random.default_rng(seed)
        self._cache: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def __len__(self) -> int:
        return len(self.samples)

    def _pair(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        if k not in self._cache:
            a, b = (read_source(p) for p in self.pairs[k])
            name = Path(self.pairs[k][0]).name
            if a.shape != b.shape:
                raise DataError(f"{name}: the two images of the pair differ in size "
                                f"({a.shape[1]}x{a.shape[0]} and {b.shape[1]}x{b.shape[0]})")
            if min(a.shape[:2]) < self.cfg.patch:
                raise DataError(f"{name}: {a.shape[1]}x{a.shape[0]} is smaller than the "
                                f"{self.cfg.patch}-pixel training crop")
            self._cache[k] = (a, b)
        return self._cache[k]

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        a, b = self._pair(index // self.cfg.repeat)
        a, b = random_view(self.rng, a, b, size=self.cfg.patch)
        if self.rng.random() < 0.5:
            a, b = b, a
        return (_tensor(to_planes(a, self.cfg.planes)), _tensor(to_planes(b, self.cfg.planes)))

    def summary(self) -> dict[str, object]:
        return {"pairs": len(self.pairs), "pairs_unmatched": self.unmatched}
