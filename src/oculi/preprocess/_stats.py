"""Streaming mean / variance / covariance with Chan et al.'s pairwise update (float64).

Each batch's statistics are computed in two passes over the batch (mean, then squared deviations
from it), then merged into the running state with

    n = n_a + n_b,  delta = mean_b - mean_a,
    mean = mean_a + delta * n_b / n,
    M2 = M2_a + M2_b + delta^2 * n_a * n_b / n        (outer(delta, delta) for covariance).

This is Welford's update generalised to batches (Chan, Golub & LeVeque 1979): it never subtracts
two large sums, so it stays accurate for data with a large mean and a small spread (e.g. uint16 CT
values around 1000 with noise of a few units), and it holds only O(C) (or O(D^2)) numbers.
"""

from __future__ import annotations

import numpy as np


class RunningMoments:
    """Running count, mean and second central moment of D-dimensional samples.

    Args:
        dim: number of features ``D``.
        covariance: keep the full ``D x D`` co-moment matrix (for whitening) instead of only the
            diagonal (for per-channel normalisation).
    """

    def __init__(self, dim: int, *, covariance: bool = False) -> None:
        self.dim = int(dim)
        self.covariance = covariance
        self.count = 0
        self.mean = np.zeros(self.dim, np.float64)
        self.m2 = np.zeros((self.dim, self.dim) if covariance else self.dim, np.float64)

    def update(self, samples: np.ndarray) -> None:
        """Merge a batch of samples, shape ``(N, D)`` (any real dtype)."""
        x = np.asarray(samples, dtype=np.float64).reshape(-1, self.dim)
        n_b = x.shape[0]
        if n_b == 0:
            return
        mean_b = x.mean(axis=0)
        centred = x - mean_b
        m2_b = centred.T @ centred if self.covariance else np.einsum("ij,ij->j", centred, centred)
        n_a = self.count
        n = n_a + n_b
        delta = mean_b - self.mean
        self.mean = self.mean + delta * (n_b / n)
        corr = np.outer(delta, delta) if self.covariance else delta * delta
        self.m2 = self.m2 + m2_b + corr * (n_a * n_b / n)
        self.count = n

    def variance(self, ddof: int = 0) -> np.ndarray:
        """Per-feature variance (``D``) or covariance matrix (``D x D``)."""
        if self.count - ddof <= 0:
            return np.full_like(self.m2, np.nan)
        return self.m2 / (self.count - ddof)
