"""The entropy models: the non-parametric factorized density of Ballé et al. 2018 (appendix 6.1)
and the zero-mean Gaussian of the scale hyperprior, both as likelihoods of integer-spaced values
(the probability mass of the unit interval around each value).

:class:`FactorizedDensity` holds, per channel, a monotone cumulative ``c(x)`` built from K small
dense layers (softplus-positive matrices, ``x + tanh(a)·tanh(x)`` non-linearities), and three
quantiles per channel (tail mass 1e-9 below, the median, 1e-9 above) fitted by the auxiliary loss
only; the median is the point the latents are rounded around at test time and the quantiles
bound the coded symbols.
"""

from __future__ import annotations

import math

import torch
from torch import nn

#: probability mass left outside the coded support on each side
TAIL_MASS = 1e-9
#: the smallest Gaussian scale (in quantisation steps) the hyperprior uses
SCALE_MIN = 0.11
#: a likelihood floor (bits of a value are at most -log2 of it)
LIKELIHOOD_MIN = 1e-9


class FactorizedDensity(nn.Module):
    """A learned density per channel of C-channel latents.

    Args:
        channels: C.
        filters: the hidden widths of the per-channel cumulative network.
        init_scale: the expected spread of the latents at initialisation.
    """

    def __init__(self, channels: int, filters: tuple[int, ...] = (3, 3, 3),
                 init_scale: float = 10.0) -> None:
        super().__init__()
        self.channels = channels
        widths = (1, *filters, 1)
        scale = init_scale ** (1.0 / (len(widths) - 1))
        self.matrices = nn.ParameterList()
        self.biases = nn.ParameterList()
        self.factors = nn.ParameterList()
        for k in range(len(widths) - 1):
            init = math.log(math.expm1(1.0 / scale / widths[k + 1]))
            self.matrices.append(nn.Parameter(torch.full((channels, widths[k + 1], widths[k]),
                                                         init)))
            self.biases.append(nn.Parameter(torch.rand(channels, widths[k + 1], 1) - 0.5))
            if k < len(widths) - 2:
                self.factors.append(nn.Parameter(torch.zeros(channels, widths[k + 1], 1)))
        q = torch.tensor([-init_scale, 0.0, init_scale]).repeat(channels, 1, 1)
        self.quantiles = nn.Parameter(q)  # C x 1 x 3, trained by aux_loss only
        t = math.log(2.0 / TAIL_MASS - 1.0)
        self.register_buffer("target", torch.tensor([-t, 0.0, t]), persistent=False)

    def logits_cumulative(self, x: torch.Tensor, detach: bool = False) -> torch.Tensor:
        """The logit of ``c(x)`` for C x 1 x L values (C x 1 x L)."""
        def p(t: torch.Tensor) -> torch.Tensor:
            return t.detach() if detach else t

        for k, matrix in enumerate(self.matrices):
            x = torch.matmul(nn.functional.softplus(p(matrix)), x) + p(self.biases[k])
            if k < len(self.factors):
                x = x + torch.tanh(p(self.factors[k])) * torch.tanh(x)
        return x

    def likelihood(self, y: torch.Tensor) -> torch.Tensor:
        """The mass of ``[y - 0.5, y + 0.5]`` for N x C x H x W values (same shape, >= 1e-9)."""
        n, c = y.shape[:2]
        v = y.transpose(0, 1).reshape(c, 1, -1)
        lower = self.logits_cumulative(v - 0.5)
        upper = self.logits_cumulative(v + 0.5)
        sign = -torch.sign(lower + upper).detach()
        mass = (torch.sigmoid(sign * upper) - torch.sigmoid(sign * lower)).abs()
        mass = mass.reshape(c, n, *y.shape[2:]).transpose(0, 1)
        return mass.clamp_min(LIKELIHOOD_MIN)

    @property
    def medians(self) -> torch.Tensor:
        """The fitted median of each channel (C,)."""
        return self.quantiles[:, 0, 1].detach()

    def aux_loss(self) -> torch.Tensor:
        """How far the quantiles are from the tail masses and the median (the densities'
        parameters are held fixed)."""
        logits = self.logits_cumulative(self.quantiles, detach=True)
        return (logits - self.target).abs().sum()

    @torch.no_grad()
    def fit_quantiles(self, iterations: int = 60) -> None:
        """Set the quantiles to where the cumulative reaches half the tail mass, one half and
        one minus half the tail mass (bisection on the monotone cumulative in [-10⁴, 10⁴]):
        what the auxiliary loss converges to, at once."""
        c = self.channels
        lo = torch.full((c, 1, 3), -1e4, dtype=self.quantiles.dtype,
                        device=self.quantiles.device)
        hi = -lo
        target = self.target.to(lo).view(1, 1, 3)
        for _ in range(iterations):
            mid = (lo + hi) / 2
            below = self.logits_cumulative(mid) < target
            lo, hi = torch.where(below, mid, lo), torch.where(below, hi, mid)
        self.quantiles.copy_((lo + hi) / 2)

    def pmf_tables(self) -> tuple[list[torch.Tensor], list[int]]:
        """Per channel, the float64 masses of the integer offsets from the median that cover
        the quantiles (at most 4,001 of them), and the first offset: ``(masses, offsets)``."""
        with torch.no_grad():
            q = self.quantiles.detach().double()
            med = q[:, 0, 1]
            lo = torch.floor(q[:, 0, 0] - med).clamp(-2000, 0)
            hi = torch.ceil(q[:, 0, 2] - med).clamp(0, 2000)
            length = int((hi - lo).max()) + 1
            x = (med + lo).view(-1, 1, 1) + torch.arange(length, dtype=torch.float64)
            mats = [nn.functional.softplus(m.detach().double()) for m in self.matrices]
            biases = [b.detach().double() for b in self.biases]
            factors = [torch.tanh(a.detach().double()) for a in self.factors]

            def logits(t: torch.Tensor) -> torch.Tensor:
                for k, matrix in enumerate(mats):
                    t = torch.matmul(matrix, t) + biases[k]
                    if k < len(factors):
                        t = t + factors[k] * torch.tanh(t)
                return t

            lower, upper = logits(x - 0.5), logits(x + 0.5)
            sign = -torch.sign(lower + upper)
            mass = (torch.sigmoid(sign * upper) - torch.sigmoid(sign * lower)).abs()[:, 0]
        sizes = (hi - lo).long() + 1
        return ([mass[c, :int(sizes[c])] for c in range(self.channels)],
                [int(v) for v in lo])


def gaussian_likelihood(y: torch.Tensor, scales: torch.Tensor) -> torch.Tensor:
    """The mass of ``[y - 0.5, y + 0.5]`` under zero-mean Gaussians of ``scales`` (same
    shapes; scales floored at :data:`SCALE_MIN`)."""
    s = scales.clamp_min(SCALE_MIN)
    v = y.abs()
    upper = 0.5 * torch.erfc((v - 0.5) / (s * math.sqrt(2.0)))
    lower = 0.5 * torch.erfc((v + 0.5) / (s * math.sqrt(2.0)))
    return (upper - lower).clamp_min(LIKELIHOOD_MIN)
