"""Paired comparisons of two models scored on the same images.

- :func:`mcnemar`: the exact McNemar test on per-image correct / incorrect outcomes: only the
  discordant images count (``a_only``: right with A and wrong with B; ``b_only`` the reverse);
  under "no difference" each discordant image is a fair coin, so the two-sided p-value is
  ``min(1, 2·P(X ≤ min(a_only, b_only)))`` with ``X ~ Binomial(a_only + b_only, 1/2)``.
- :func:`bootstrap_difference`: a percentile bootstrap confidence interval of ``mean(a − b)``
  over per-image values (0/1 outcomes or any score), resampling images with replacement, so the
  pairing is kept.

Both assume the images are independent draws: frames of one video are not (see the callers).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from oculi.core.checks import check_in_range, check_positive
from oculi.core.errors import ShapeError


def _pair(a: Any, b: Any, dtype: Any) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(a, dtype).ravel(), np.asarray(b, dtype).ravel()
    if a.shape != b.shape or a.size == 0:
        raise ShapeError(f"a and b: expected two non-empty arrays of the same length (one value "
                         f"per image), got {a.size} and {b.size}")
    return a, b


def mcnemar(correct_a: Any, correct_b: Any) -> dict[str, Any]:
    """Exact McNemar test of two classifiers' per-image outcomes.

    Args:
        correct_a, correct_b: ``(n,)`` booleans (or 0/1), one per image.

    Returns:
        ``n``, ``accuracy_a``, ``accuracy_b``, ``a_only``, ``b_only`` (discordant counts) and
        ``p`` (two-sided exact p-value; 1 when there is no discordant image).
    """
    a, b = _pair(correct_a, correct_b, bool)
    a_only, b_only = int((a & ~b).sum()), int((~a & b).sum())
    m, k = a_only + b_only, min(a_only, b_only)
    # integer division of exact integers: no float overflow however many discordant images
    tail = sum(math.comb(m, i) for i in range(k + 1)) / 2**m if m else 1.0
    return {"n": int(a.size), "accuracy_a": float(a.mean()), "accuracy_b": float(b.mean()),
            "a_only": a_only, "b_only": b_only, "p": min(1.0, 2.0 * tail)}


def bootstrap_difference(a: Any, b: Any, *, resamples: int = 10000, level: float = 0.95,
                         seed: int = 0) -> dict[str, Any]:
    """Percentile bootstrap CI of the mean paired difference ``mean(a) − mean(b)``.

    Args:
        a, b: ``(n,)`` per-image values of the two models (same images, same order).
        resamples: bootstrap resamples.
        level: the interval's coverage, in [0.5, 0.999].
        seed: the resampling seed (the interval is reproducible).

    Returns:
        ``difference`` (observed), ``low``, ``high`` (the interval), ``level``, ``resamples``.
    """
    check_positive(resamples, "resamples")
    check_in_range(level, "level", 0.5, 0.999)
    a, b = _pair(a, b, np.float64)
    d = a - b
    rng = np.random.default_rng(seed)
    means = np.empty(resamples)
    for start in range(0, resamples, 1000):  # bounded memory: 1000 resamples at a time
        stop = min(resamples, start + 1000)
        means[start:stop] = d[rng.integers(0, d.size, (stop - start, d.size))].mean(1)
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(means, [tail, 1.0 - tail])
    return {"difference": float(d.mean()), "low": float(low), "high": float(high),
            "level": level, "resamples": resamples}
