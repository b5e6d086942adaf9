"""The P x K class-balanced batch sampler of metric learning: each batch of ``batch_size``
indices holds P classes with K images each, so every anchor has positives and negatives.

>>> labels = [0] * 5 + [1] * 5 + [2] * 5
>>> s = ClassBalancedSampler(labels, batch_size=4, samples_per_class=2, seed=0)
>>> batch = list(s)[:4]
>>> sorted(__import__("collections").Counter(labels[i] for i in batch).values())
[2, 2]
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
from torch.utils.data import Sampler

from oculi.core.errors import DataError, ParameterError


class ClassBalancedSampler(Sampler[int]):
    """Indices in consecutive blocks of ``batch_size``: P = ``batch_size // samples_per_class``
    classes drawn without replacement, K = ``samples_per_class`` images of each (without
    replacement while a class has images left in this pass, reshuffled when it runs out).

    With fewer classes than P, every class is in each batch and the block is filled evenly
    (some classes get one image more). An epoch has ``len(labels) // batch_size`` batches (at
    least one), split over ``world`` processes.

    Args:
        labels: class label per dataset item (ints).
        batch_size: indices per block (the loader's batch size).
        samples_per_class: K.
        seed: base seed; the order depends on (seed, epoch, rank).
        rank, world: this process and the number of processes.

    Raises:
        DataError: fewer than two classes (no negatives).
        ParameterError: ``batch_size`` below ``2 * samples_per_class``.
    """

    def __init__(self, labels: Sequence[int], batch_size: int, samples_per_class: int,
                 seed: int = 0, rank: int = 0, world: int = 1) -> None:
        labels = np.asarray(labels, dtype=np.int64)
        self.pools = {int(c): np.flatnonzero(labels == c) for c in np.unique(labels)}
        if len(self.pools) < 2:
            raise DataError(f"class-balanced batches: {len(self.pools)} class(es) in the "
                            "training data — metric learning needs at least 2 (negatives)")
        if samples_per_class < 1 or batch_size < 2 * samples_per_class:
            raise ParameterError(f"batch_size {batch_size}: expected at least 2 x "
                                 f"samples_per_class ({samples_per_class})")
        self.batch_size, self.seed, self.rank, self.world = batch_size, seed, rank, world
        self.classes_per_batch = min(batch_size // samples_per_class, len(self.pools))
        self.samples_per_class = batch_size // self.classes_per_batch
        self.batches = max(1, len(labels) // batch_size // world)
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __iter__(self) -> Iterator[int]:
        rng = np.random.default_rng([self.seed, self.epoch, self.rank])
        classes = np.array(sorted(self.pools))
        queues = {c: rng.permutation(pool) for c, pool in self.pools.items()}
        cursor = dict.fromkeys(self.pools, 0)
        p = self.classes_per_batch
        out: list[int] = []
        for _ in range(self.batches):
            chosen = rng.choice(classes, size=p, replace=False)
            counts = np.full(p, self.batch_size // p)
            counts[: self.batch_size % p] += 1
            for c, k in zip(chosen.tolist(), counts.tolist(), strict=True):
                for _ in range(k):
                    if cursor[c] == len(queues[c]):
                        queues[c], cursor[c] = rng.permutation(self.pools[c]), 0
                    out.append(int(queues[c][cursor[c]]))
                    cursor[c] += 1
        return iter(out)

    def __len__(self) -> int:
        return self.batches * self.batch_size


__all__ = ["ClassBalancedSampler"]
