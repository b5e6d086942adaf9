"""The quantised ab output space of Zhang et al. 2016 ("Colorful Image Colorization"), its soft
encoding, class rebalancing and annealed-mean readout.

**The in-gamut bins.** The ab plane is cut into a grid of 10-unit cells with centres at
multiples of 10 in [-120, 120]. A cell is kept when its centre lies within one cell diagonal
(10·√2 ab units) of the ab projection of the sRGB gamut: every sRGB colour of a 33-level
RGB lattice (35,937 colours, every lightness) is converted with :func:`skimage.color.rgb2lab`
and the cells near one of them are kept. Cells whose centre is itself in gamut number ~225,
cells holding some sRGB colour ~262; the diagonal margin keeps the cells a soft encoding of a
gamut-edge colour reaches and gives **314 bins** (313 in the paper, whose exact rule is not
published; the count is stable for lattices of 33 to 129 levels).
Each bin also has a representative colour, the sRGB colour nearest its centre
(:func:`bin_colors`): it is inside sRGB by construction and within 10·√2 of the centre.

**Soft encoding** (paper §3.1): a ground-truth ab is spread over its 5 nearest bin centres with
Gaussian weights ``exp(-d²/2σ²)``, σ = 5, normalised to sum 1.

**Rebalancing** (§3.1, eq. 3-4): ``p`` the empirical bin distribution of the training set,
smoothed with a Gaussian of σ = 5 over the bin centres; ``w ∝ ((1-λ)·p̃ + λ/Q)⁻¹`` with
λ = 0.5, scaled so ``Σ_q p̃_q w_q = 1``. A pixel's loss is weighted by the weight of its
target's most probable bin.

**Annealed mean** (§3.2): ``H(Z) = E[f_T(Z)]`` with ``f_T(z) ∝ exp(log z / T)``, T = 0.38;
T = 1 is the mean of the distribution, T → 0 its mode.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from oculi.core.checks import check_in_range, check_positive
from oculi.core.errors import ShapeError

GRID = 10.0
#: the paper's settings
SIGMA = 5.0
NEIGHBOURS = 5
MIX = 0.5
TEMPERATURE = 0.38


def _gamut_lab(levels: int = 33) -> np.ndarray:
    """Lab of every colour of a ``levels``³ sRGB lattice, ``(levels³, 3)`` float64."""
    from skimage.color import rgb2lab

    g = np.linspace(0.0, 1.0, levels)
    rgb = np.stack(np.meshgrid(g, g, g, indexing="ij"), -1).reshape(-1, 1, 3)
    return rgb2lab(rgb).reshape(-1, 3)


@lru_cache(maxsize=1)
def _bins() -> tuple[np.ndarray, np.ndarray]:
    from scipy.spatial import cKDTree

    lab = _gamut_lab()
    c = np.arange(-120.0, 121.0, GRID)
    grid = np.stack(np.meshgrid(c, c, indexing="ij"), -1).reshape(-1, 2)
    dist, nearest = cKDTree(lab[:, 1:]).query(grid)
    keep = dist <= GRID * np.sqrt(2.0) + 1e-9
    return grid[keep].astype(np.float32), lab[nearest[keep]].astype(np.float32)


def ab_bins() -> np.ndarray:
    """The in-gamut bin centres, ``(Q, 2)`` float32 ab (Q = 314; see the module doc)."""
    return _bins()[0].copy()


def bin_colors() -> np.ndarray:
    """Each bin's representative sRGB colour as Lab, ``(Q, 3)`` float32: the lattice colour
    nearest the bin centre in ab (inside sRGB by construction)."""
    return _bins()[1].copy()


def soft_encode(ab: np.ndarray, centres: np.ndarray | None = None, *,
                neighbours: int = NEIGHBOURS, sigma: float = SIGMA) -> np.ndarray:
    """Soft-encode ab values over the bins.

    Args:
        ab: ``(..., 2)`` ab values.
        centres: ``(Q, 2)`` bin centres (default :func:`ab_bins`).
        neighbours: bins each value is spread over.
        sigma: the Gaussian's standard deviation in ab units.

    Returns:
        ``(..., Q)`` float32, ``neighbours`` non-zero entries per value, summing to 1.
    """
    import torch

    centres = ab_bins() if centres is None else centres
    if np.shape(ab)[-1:] != (2,):
        raise ShapeError(f"ab: expected (..., 2) values, got shape {np.shape(ab)}")
    t = soft_encode_torch(torch.as_tensor(np.asarray(ab, np.float32)).reshape(-1, 2),
                          torch.as_tensor(centres), neighbours=neighbours, sigma=sigma)
    return t.numpy().reshape(*np.shape(ab)[:-1], len(centres))


def soft_encode_torch(ab, centres, *, neighbours: int = NEIGHBOURS, sigma: float = SIGMA):
    """:func:`soft_encode` on tensors: ``ab (M, 2)``, ``centres (Q, 2)`` -> ``(M, Q)``."""

    idx, w = soft_encode_sparse(ab, centres, neighbours=neighbours, sigma=sigma)
    out = ab.new_zeros((ab.shape[0], centres.shape[0]), dtype=w.dtype)
    return out.scatter_(1, idx, w)


def soft_encode_sparse(ab, centres, *, neighbours: int = NEIGHBOURS, sigma: float = SIGMA):
    """:func:`soft_encode_torch`'s non-zero entries: ``(indices, weights)``, each
    ``(M, neighbours)`` (bin indices nearest first; float32 weights summing to 1 per row)."""
    import torch

    if ab.ndim != 2 or ab.shape[-1] != 2:
        raise ShapeError(f"ab: expected (M, 2) values, got {tuple(ab.shape)}")
    check_positive(sigma, "sigma")
    near, idx = nearest_bins(ab, centres, neighbours)
    w = torch.exp(-(near - near[:, :1]) / (2 * sigma * sigma))  # shifted: no underflow
    return idx, w / w.sum(1, keepdim=True)


def _brute_nearest(ab, centres, k: int):
    import torch

    d2 = torch.cdist(ab, centres) ** 2
    return d2.topk(k, dim=1, largest=False)


def nearest_bins(ab, centres, k: int = NEIGHBOURS):
    """The ``k`` nearest bin centres of each ab value, exactly: ``(squared distances,
    indices)``, each ``(M, k)``, nearest first.

    Centres on the ``GRID`` lattice (the in-gamut bins) are searched in the 4 x 4 lattice points
    around each value (16 candidates, missing bins skipped); a value whose ``k``-th candidate is
    farther than the window's edge (beyond the gamut) is searched over all centres. Other
    centres are always searched in full.
    """
    import torch

    ab, c = ab.float(), centres.float().to(ab.device)
    cells = torch.round(c / GRID)
    if len(c) < k or ab.shape[0] < 256 or not torch.equal(cells * GRID, c):
        return _brute_nearest(ab, c, k)
    pad = 4  # lattice points of margin around the bins: every window index stays in the table
    lo = cells.min(0).values - pad
    size = (cells.max(0).values - lo + 1 + pad).long()
    table = torch.full((int(size[0]), int(size[1])), -1, dtype=torch.long, device=ab.device)
    table[(cells[:, 0] - lo[0]).long(), (cells[:, 1] - lo[1]).long()] = torch.arange(
        len(c), device=ab.device)
    pos = ab / GRID - lo  # in lattice units from the table's origin
    base = (torch.floor(pos) - 1).clamp(torch.zeros(2, device=ab.device), size - 4)
    steps = torch.arange(4, device=ab.device)
    gx = (base[:, :1] + steps).long()[:, :, None].expand(-1, 4, 4)
    gy = (base[:, 1:] + steps).long()[:, None, :].expand(-1, 4, 4)
    cand = table[gx, gy].reshape(len(ab), 16)
    d2 = ((c[cand.clamp_min(0)] - ab[:, None]) ** 2).sum(-1)
    d2 = torch.where(cand < 0, torch.full_like(d2, float("inf")), d2)
    near, j = d2.topk(k, dim=1, largest=False)
    idx = cand.gather(1, j)
    # any lattice point outside the window is at least this far (ab units)
    edge = torch.minimum(pos - (base - 1), (base + 4) - pos).min(1).values * GRID
    redo = ~(near[:, -1] <= edge * edge)
    if redo.any():
        near[redo], idx[redo] = _brute_nearest(ab[redo], c, k)
    return near, idx


def smooth_prior(counts: np.ndarray, centres: np.ndarray | None = None,
                 sigma: float = SIGMA) -> np.ndarray:
    """The empirical bin distribution (``(Q,)`` counts) smoothed with a Gaussian of ``sigma`` ab
    units over the bin centres, summing to 1."""
    centres = ab_bins() if centres is None else centres
    counts = np.asarray(counts, np.float64)
    if counts.shape != (len(centres),) or counts.sum() <= 0 or (counts < 0).any():
        raise ShapeError(f"counts: expected {len(centres)} non-negative bin counts with a "
                         f"positive sum, got shape {counts.shape}")
    d2 = ((centres[:, None, :] - centres[None, :, :]) ** 2).sum(-1)
    kernel = np.exp(-d2 / (2 * sigma * sigma))
    kernel /= kernel.sum(0, keepdims=True)  # each bin's mass is spread, none is lost
    p = kernel @ (counts / counts.sum())
    return p / p.sum()


def rebalance_weights(prior: np.ndarray, mix: float = MIX) -> np.ndarray:
    """Class-rebalancing weights ``w ∝ ((1-λ)p + λ/Q)⁻¹`` scaled to ``Σ p·w = 1``.

    Args:
        prior: ``(Q,)`` smoothed bin distribution (:func:`smooth_prior`).
        mix: λ, the uniform distribution's share (0: inverse prior, 1: no rebalancing).
    """
    check_in_range(mix, "mix", 0.0, 1.0)
    p = np.asarray(prior, np.float64)
    w = 1.0 / ((1.0 - mix) * p + mix / len(p))
    return (w / (p * w).sum()).astype(np.float32)


def annealed_mean(probs, centres, temperature: float = TEMPERATURE):
    """The annealed-mean ab of bin distributions.

    Args:
        probs: ``(N, Q, H, W)`` tensor of probabilities (softmax output).
        centres: ``(Q, 2)`` tensor of bin centres.
        temperature: T (1: mean, → 0: mode).

    Returns:
        ``(N, 2, H, W)`` ab tensor.
    """
    import torch

    check_positive(temperature, "temperature")
    logits = torch.log(probs.clamp_min(1e-12)) / temperature
    f = torch.softmax(logits, dim=1)
    return torch.einsum("nqhw,qc->nchw", f, centres.to(f))
