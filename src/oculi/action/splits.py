"""Group-wise splits: no actor (person, scene) appears on both sides of a split.

    >>> from oculi.action.splits import leave_one_group_out
    >>> [(g, tr.tolist(), te.tolist()) for g, tr, te in leave_one_group_out(["a", "b", "a"])]
    [('a', [1], [0, 2]), ('b', [0, 2], [1])]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from oculi.core.errors import DataError


@dataclass(frozen=True)
class Fold:
    """One split: the held-out group and the (train, test) clip indices (int64 arrays)."""

    group: str
    train: np.ndarray
    test: np.ndarray

    def __iter__(self):  # unpack as ``group, train, test``
        return iter((self.group, self.train, self.test))


def _groups(groups: Sequence[object] | np.ndarray) -> np.ndarray:
    g = np.asarray([None if x is None else str(x) for x in groups], dtype=object)
    missing = [i for i, x in enumerate(g) if x is None or x == ""]
    if missing:
        raise DataError(f"groups: clip(s) {missing[:5]} have no group value; a group split needs "
                        f"one for every clip (CSV group column)")
    return g


def group_split(groups: Sequence[object] | np.ndarray,
                test_groups: Sequence[str]) -> Fold:
    """Train on every group except ``test_groups``, test on those.

    Raises:
        DataError: a clip without a group, a test group that no clip has.
    """
    g = _groups(groups)
    held = {str(t) for t in test_groups}
    unknown = held - set(g)
    if unknown:
        raise DataError(f"test_groups: {sorted(unknown)} not among the groups "
                        f"{sorted(set(g))}")
    mask = np.isin(g, list(held))
    return Fold(",".join(sorted(held)), np.flatnonzero(~mask), np.flatnonzero(mask))


def leave_one_group_out(groups: Sequence[object] | np.ndarray) -> list[Fold]:
    """One fold per group (sorted by name): test on that group, train on all others.

    Raises:
        DataError: a clip without a group, or fewer than two groups.
    """
    g = _groups(groups)
    names = sorted(set(g))
    if len(names) < 2:
        raise DataError(f"groups: leave-one-group-out needs at least two groups, got {names}")
    return [group_split(g, [name]) for name in names]
