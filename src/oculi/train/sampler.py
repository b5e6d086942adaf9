"""The engine's default training order: a seeded shuffle (or class-balanced draw) split over
processes."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator, Sequence

import torch
from torch.utils.data import Sampler


class ShardedSampler(Sampler[int]):
    """Epoch-seeded shuffling (or class-balanced sampling with replacement), split over ranks.

    Every rank draws the same permutation from ``seed + epoch`` and takes every ``world``-th
    index from ``rank``, padding so all ranks see the same number of samples (DDP needs equal
    step counts). ``balanced`` draws with probability proportional to 1 / class count.
    """

    def __init__(self, targets: Sequence[int], *, seed: int = 0, rank: int = 0, world: int = 1,
                 shuffle: bool = True, balanced: bool = False) -> None:
        self.targets = list(targets)
        self.seed, self.rank, self.world = seed, rank, world
        self.shuffle, self.balanced = shuffle, balanced
        self.epoch = 0
        self.per_rank = math.ceil(len(self.targets) / world)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def _order(self) -> list[int]:
        g = torch.Generator().manual_seed(self.seed + self.epoch)
        n = len(self.targets)
        if self.balanced:
            counts = Counter(self.targets)
            w = torch.tensor([1.0 / counts[t] for t in self.targets], dtype=torch.double)
            return torch.multinomial(w, self.per_rank * self.world, True, generator=g).tolist()
        order = torch.randperm(n, generator=g).tolist() if self.shuffle else list(range(n))
        pad = self.per_rank * self.world - n
        return order + order[:pad]

    def __iter__(self) -> Iterator[int]:
        return iter(self._order()[self.rank :: self.world])

    def __len__(self) -> int:
        return self.per_rank
