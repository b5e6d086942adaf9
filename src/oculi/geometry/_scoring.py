"""Model quality for robust estimation: MSAC and MAGSAC++ (noise scale marginalised).

MAGSAC++ (Barath, Noskova, Ivashechkin, Matas, CVPR 2020), derived here from its assumptions:

* the residual ``r`` of an inlier, for a noise scale ``sigma``, follows a chi distribution with
  ``nu`` degrees of freedom scaled by ``sigma``, truncated at ``k sigma`` (``k`` its 0.99
  quantile): ``g(r | sigma) = 2 C(nu) sigma^-nu r^(nu-1) exp(-r^2 / 2 sigma^2)``,
  ``C(nu) = 1 / (2^(nu/2) Gamma(nu/2))``;
* ``sigma`` is uniform on ``[0, sigma_max]``; :func:`oculi.geometry.estimate_transform` takes
  ``sigma_max`` = its inlier threshold, so residuals up to ``k sigma_max`` (about 3x the threshold)
  still carry weight.

Marginalising ``sigma`` (substituting ``t = r^2 / 2 sigma^2``, the factor ``r^(nu-1)`` cancels)
gives the iteratively re-weighted least-squares weight of a residual::

    w(r) ~ Gamma(a, r^2 / 2 sigma_max^2) - Gamma(a, k^2 / 2),   a = (nu - 1) / 2,  r < k sigma_max

(``Gamma(a, x)`` the upper incomplete gamma function; ``w = 0`` beyond ``k sigma_max``). The loss
whose IRLS weight is ``w`` (``rho'(r) = r w(r)``) integrates in closed form, using
``d/du [u Gamma(a, u) - Gamma(a + 1, u)] = Gamma(a, u)``::

    rho(r) ~ r^2 / 2 [Gamma(a, u) - Gamma(a, k^2 / 2)] + sigma_max^2 gamma(a + 1, u),
    u = r^2 / 2 sigma_max^2

(``gamma`` the lower incomplete gamma function), constant ``rho_max = sigma_max^2 gamma(a + 1,
k^2 / 2)`` beyond ``k sigma_max``. The model quality is ``sum_i rho(r_i) / rho_max`` (lower is
better; an outlier costs 1), with ``w`` scaled to 1 at ``r = 0``.

    >>> import numpy as np
    >>> q = MagsacQuality(sigma_max=1.0)      # nu = 2: weights vanish at k = 3.03 px
    >>> e2 = np.array([0.0, 1.0, 4.0, 9.0, 10.0])
    >>> np.round(q.loss(e2), 3).tolist()
    [0.0, 0.528, 0.936, 1.0, 1.0]
    >>> np.round(q.weights(e2), 3).tolist()
    [1.0, 0.316, 0.043, 0.0, 0.0]
"""

from __future__ import annotations

import functools
import math

import numpy as np

#: degrees of freedom of the residual: the 2-D transfer error of a point correspondence
DOF = 2
#: quantile of the chi distribution at which an inlier's residual is truncated
QUANTILE = 0.99
#: samples of the loss table used to score hypotheses
_TABLE = 4096


@functools.lru_cache(maxsize=8)
def _unit_tables(dof: int):
    """The scale-free constants of the loss for ``sigma_max = 1`` (the loss of ``e2`` at
    ``sigma_max`` is the unit loss of ``e2 / sigma_max^2``): ``k^2``, ``Gamma(a, k^2 / 2)``,
    ``gamma(a + 1, k^2 / 2)``, the loss tabulated on ``e2 / sigma_max^2`` in ``[0, k^2]`` and the
    weight on ``r / sigma_max`` in ``[0, k]``."""
    from scipy import special  # lazy: scipy.special costs ~0.4 s at CLI start-up

    a = 0.5 * (dof - 1)
    k2 = float(2.0 * special.gammaincinv(0.5 * dof, QUANTILE))  # chi^2_nu quantile
    upper_k = float(special.gammaincc(a, 0.5 * k2) * math.gamma(a))
    lower_k = float(special.gammainc(a + 1.0, 0.5 * k2) * math.gamma(a + 1.0))
    u = np.linspace(0.0, k2, _TABLE)
    h = 0.5 * u
    upper = special.gammaincc(a, h) * math.gamma(a)
    loss = (0.5 * u * (upper - upper_k) + special.gammainc(a + 1.0, h) * math.gamma(a + 1.0))
    # the weight on a grid of r / sigma_max: near 0 it falls like r (not like r^2)
    r = np.linspace(0.0, math.sqrt(k2), _TABLE)
    weight = (special.gammaincc(a, 0.5 * r * r) * math.gamma(a) - upper_k) / (math.gamma(a)
                                                                               - upper_k)
    return k2, upper_k, lower_k, u, loss / lower_k, r, weight


class MagsacQuality:
    """MAGSAC++ loss and IRLS weights of squared residuals (module docs give the derivation).

    Args:
        sigma_max: the largest noise scale, pixels (> 0).
        dof: degrees of freedom ``nu`` of the residual (>= 2).

    Attributes:
        t2: ``(k sigma_max)^2``, px^2: squared residuals from here on have zero weight.
    """

    def __init__(self, sigma_max: float, dof: int = DOF) -> None:
        self.a = 0.5 * (dof - 1)
        self.dof = dof
        (k2, self.upper_k, lower_k, self._u_grid, self._loss_grid, self._r_grid,
         self._weight_grid) = _unit_tables(dof)
        self.sigma2 = float(sigma_max) ** 2
        self.t2 = k2 * self.sigma2
        self.rho_max = self.sigma2 * lower_k
        self.w0 = math.gamma(self.a) - self.upper_k

    def _upper(self, u):
        """Upper incomplete gamma ``Gamma(a, u)`` (not regularised)."""
        from scipy import special

        return special.gammaincc(self.a, u) * math.gamma(self.a)

    def _lower1(self, u):
        """Lower incomplete gamma ``gamma(a + 1, u)`` (not regularised)."""
        from scipy import special

        return special.gammainc(self.a + 1.0, u) * math.gamma(self.a + 1.0)

    def loss(self, e2: np.ndarray) -> np.ndarray:
        """Normalised loss ``rho(r) / rho_max`` in [0, 1] of squared residuals ``e2`` (px^2), any
        shape; non-finite residuals cost 1."""
        e2 = np.asarray(e2, np.float64)
        out = np.ones(e2.shape)
        m = e2 < self.t2
        r2 = e2[m]
        u = r2 / (2.0 * self.sigma2)
        out[m] = (0.5 * r2 * (self._upper(u) - self.upper_k)
                  + self.sigma2 * self._lower1(u)) / self.rho_max
        return out

    def score(self, e2: np.ndarray) -> np.ndarray:
        """Quality (lower is better) of models from their ``(..., N)`` squared residuals: the sum
        of :meth:`loss` over the last axis, the loss interpolated in a table of ``e2 / sigma_max^2``
        (built once per ``dof``: the incomplete gamma functions cost most of the hypothesis loop
        otherwise; absolute error < 1e-4)."""
        u = np.asarray(e2, np.float64) / self.sigma2
        out = np.interp(u, self._u_grid, self._loss_grid, right=1.0)
        out[~np.isfinite(u)] = 1.0
        return out.sum(-1)

    def bound(self, e2: np.ndarray) -> np.ndarray:
        """A lower bound of :meth:`score` from ``(..., N)`` squared residuals, cheaper than the
        score: every residual from ``k sigma_max`` on costs exactly 1."""
        return (~(np.asarray(e2) < self.t2)).sum(-1)

    def weights(self, e2: np.ndarray) -> np.ndarray:
        """IRLS weights in [0, 1] (1 at zero residual, 0 from the threshold on) of ``e2``."""
        e2 = np.asarray(e2, np.float64)
        out = np.zeros(e2.shape)
        m = e2 < self.t2
        out[m] = (self._upper(e2[m] / (2.0 * self.sigma2)) - self.upper_k) / self.w0
        return out

    def table_weights(self, e2: np.ndarray) -> np.ndarray:
        """:meth:`weights` interpolated in a table of ``r / sigma_max`` (absolute error < 1e-4;
        the IRLS loops of the refit call it dozens of times); non-finite residuals weigh 0."""
        with np.errstate(invalid="ignore"):
            r = np.sqrt(np.asarray(e2, np.float64) / self.sigma2)
        out = np.interp(r, self._r_grid, self._weight_grid, right=0.0)
        out[~np.isfinite(r)] = 0.0
        return out


class MsacQuality:
    """MSAC: the squared residual truncated at the threshold, ``min(r^2, t^2)``, summed.

    Args:
        threshold: inlier threshold, pixels.
    """

    def __init__(self, threshold: float) -> None:
        self.t2 = float(threshold) ** 2

    def score(self, e2: np.ndarray) -> np.ndarray:
        """Sum over the last axis of ``min(e2, t^2)`` (px^2; lower is better)."""
        return np.minimum(e2, self.t2).sum(-1)

    def bound(self, e2: np.ndarray) -> np.ndarray:
        """A lower bound of :meth:`score`: ``t^2`` for every residual from the threshold on."""
        return self.t2 * (~(np.asarray(e2) < self.t2)).sum(-1)


#: quality functions by the name ``estimate_transform(scoring=...)`` takes
QUALITIES = {"magsac": MagsacQuality, "msac": MsacQuality}
