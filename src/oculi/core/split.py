"""Reproducible hold-out splits of a list of items (every trainable task uses the same one)."""

from __future__ import annotations

import numpy as np

from oculi.core.errors import DataError


def split_indices(
    n: int, val_fraction: float = 0.2, *, seed: int = 0
) -> tuple[list[int], list[int]]:
    """A reproducible random train/val split of ``range(n)`` (val at least one item).

    Args:
        n: number of items (at least 2).
        val_fraction: fraction held out, rounded, clamped to ``[1, n - 1]`` items.
        seed: NumPy ``default_rng`` seed.

    Returns:
        ``(train, val)``: sorted index lists.

    >>> split_indices(5, 0.4, seed=0)
    ([0, 1, 3], [2, 4])
    """
    if n < 2:
        raise DataError(f"split: need at least 2 items to hold one out, got {n}")
    perm = np.random.default_rng(seed).permutation(n).tolist()
    k = min(n - 1, max(1, round(n * val_fraction)))
    return sorted(perm[k:]), sorted(perm[:k])
