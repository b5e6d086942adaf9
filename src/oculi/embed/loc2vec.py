"""Loc2Vec's measured score: do a tile's nearest neighbours in embedding space share its
land-use mix (the fraction of water, park, road and building pixels)?

Tiles whose centres are closer than a tile's side overlap and would share their mix trivially;
they are never neighbours here. For each query tile:

* ``mix_l1_nn``: L1 distance between its mix and its nearest neighbour's mix (mean over queries);
* ``mix_l1_random``: the same for a random other tile (the mean over all allowed pairs);
* ``mix_l1_best``: the same for the tile with the closest mix (the best any embedding can do);
* ``mix_gain``: (random - nn) / (random - best): 0 is no better than chance, 1 is the best;
* ``mix_spearman``: Spearman rank correlation of embedding distance and mix distance over all
  allowed pairs.
"""

from __future__ import annotations

import numpy as np
import torch

from oculi.core.errors import ShapeError


def allowed_pairs(centres: np.ndarray, tile_size: float) -> np.ndarray:
    """``bool (N, N)``: pairs of distinct tiles that do not overlap (centres >= ``tile_size``
    apart along x or y)."""
    c = np.asarray(centres, np.float64)
    gap = np.abs(c[:, None] - c[None]).max(-1)
    return gap >= tile_size


def _ranks(x: torch.Tensor) -> torch.Tensor:
    """0-based ranks of ``x (N,)``; tied values share their average rank (as Spearman's rho
    needs: pure tiles give many equal mix distances)."""
    order = x.argsort()
    _, group, counts = torch.unique_consecutive(x[order], return_inverse=True,
                                                return_counts=True)
    counts = counts.to(x.dtype)
    average = counts.cumsum(0) - (counts + 1) / 2  # mean of the 0-based ranks of each group
    r = torch.empty_like(x)
    r[order] = average[group]
    return r


def mix_scores(embeddings: np.ndarray | torch.Tensor, mixes: np.ndarray, centres: np.ndarray,
               tile_size: float) -> dict[str, float]:
    """The scores of the module doc.

    Args:
        embeddings: ``(N, D)`` float.
        mixes: ``(N, L)`` layer fractions (:func:`oculi.embed.city.layer_mix`).
        centres: ``(N, 2)`` tile centres ``(x, y)`` in pixels.
        tile_size: tile side in pixels.

    Raises:
        ShapeError: inputs of different lengths, or a tile with no allowed neighbour.
    """
    e = torch.as_tensor(np.asarray(embeddings), dtype=torch.float64)
    m = torch.as_tensor(np.asarray(mixes), dtype=torch.float64)
    if not (len(e) == len(m) == len(centres)):
        raise ShapeError(f"embeddings/mixes/centres: lengths {len(e)}, {len(m)}, "
                         f"{len(centres)} differ")
    ok = torch.as_tensor(allowed_pairs(centres, tile_size))
    if not bool(ok.any(1).all()):
        raise ShapeError("tiles: some tile overlaps every other — draw tiles from a larger area")
    emb_d = torch.cdist(e, e)
    mix_d = torch.cdist(m, m, p=1)
    nn = emb_d.masked_fill(~ok, torch.inf).argmin(1)
    rows = torch.arange(len(e))
    nn_l1 = float(mix_d[rows, nn].mean())
    random_l1 = float((mix_d * ok).sum(1).div(ok.sum(1)).mean())
    best_l1 = float(mix_d.masked_fill(~ok, torch.inf).min(1).values.mean())
    iu = torch.triu_indices(len(e), len(e), 1)
    keep = ok[iu[0], iu[1]]
    a, b = emb_d[iu[0], iu[1]][keep], mix_d[iu[0], iu[1]][keep]
    ra, rb = _ranks(a), _ranks(b)
    spearman = float(torch.corrcoef(torch.stack([ra, rb]))[0, 1])
    gain = (random_l1 - nn_l1) / max(random_l1 - best_l1, 1e-12)
    return {"mix_l1_nn": nn_l1, "mix_l1_random": random_l1, "mix_l1_best": best_l1,
            "mix_gain": gain, "mix_spearman": spearman}


__all__ = ["allowed_pairs", "mix_scores"]
