"""Compiled inner loops of Horn–Schunck: four-colour block SOR on the linearised system.

Private: :mod:`oculi.flow.hs` is the public entry. Arrays are HxW float32, C-contiguous.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

# The four colours of a 2x2 tiling: pixels of one colour never touch each other in the
# 8-neighbourhood, so each colour can be updated in parallel (Gauss–Seidel between colours).
_COLOURS = ((0, 0), (1, 1), (0, 1), (1, 0))


@njit(cache=True, fastmath=True, nogil=True)
def _update_pixel(i, j, du, dv, u0, v0, ix, iy, it, alpha2, w_edge, w_diag,
                  omega, robust, eps2, expo):  # pragma: no cover - compiled
    h, w = du.shape
    sw = 0.0
    su = 0.0
    sv = 0.0
    if i > 0:
        sw += w_edge
        su += w_edge * (u0[i - 1, j] + du[i - 1, j])
        sv += w_edge * (v0[i - 1, j] + dv[i - 1, j])
    if i < h - 1:
        sw += w_edge
        su += w_edge * (u0[i + 1, j] + du[i + 1, j])
        sv += w_edge * (v0[i + 1, j] + dv[i + 1, j])
    if j > 0:
        sw += w_edge
        su += w_edge * (u0[i, j - 1] + du[i, j - 1])
        sv += w_edge * (v0[i, j - 1] + dv[i, j - 1])
    if j < w - 1:
        sw += w_edge
        su += w_edge * (u0[i, j + 1] + du[i, j + 1])
        sv += w_edge * (v0[i, j + 1] + dv[i, j + 1])
    if w_diag > 0.0:
        for di in (-1, 1):
            ii = i + di
            if ii < 0 or ii >= h:
                continue
            for dj in (-1, 1):
                jj = j + dj
                if jj < 0 or jj >= w:
                    continue
                sw += w_diag
                su += w_diag * (u0[ii, jj] + du[ii, jj])
                sv += w_diag * (v0[ii, jj] + dv[ii, jj])
    gx = ix[i, j]
    gy = iy[i, j]
    gt = it[i, j]
    dup = du[i, j]
    dvp = dv[i, j]
    psi = 1.0
    if robust:
        r = gx * dup + gy * dvp + gt
        psi = (r * r + eps2) ** (expo - 1.0)
    s = alpha2 * sw
    a = psi * gx * gx + s
    b = psi * gx * gy
    c = psi * gy * gy + s
    bu = -psi * gx * gt + alpha2 * (su - sw * u0[i, j])
    bv = -psi * gy * gt + alpha2 * (sv - sw * v0[i, j])
    det = a * c - b * b
    if det <= 1e-20:
        return 0.0
    nu = (c * bu - b * bv) / det
    nv = (a * bv - b * bu) / det
    nu = dup + omega * (nu - dup)
    nv = dvp + omega * (nv - dvp)
    du[i, j] = nu
    dv[i, j] = nv
    return max(abs(nu - dup), abs(nv - dvp))


@njit(cache=True, fastmath=True, parallel=True)
def sor_solve(du, dv, u0, v0, ix, iy, it, alpha2, w_edge, w_diag, omega, max_iter, tol,
              robust, eps2, expo):  # pragma: no cover - compiled
    """Iterate four-colour block SOR on the Euler–Lagrange equations of the increment.

    Solves, for the increment ``(du, dv)`` around the current flow ``(u0, v0)``,
    ``psi*Ix*(Ix du + Iy dv + It) = alpha2 * sum_n w_n ((u0+du)_n - (u0+du)_p)`` and the same for
    ``v``, where ``psi`` is 1 (quadratic data term) or the lagged generalised-Charbonnier weight
    ``(r^2 + eps2)^(expo - 1)``. ``du`` and ``dv`` are updated in place.

    Returns:
        The number of sweeps done (stops early once the largest update is below ``tol`` px).
    """
    h, w = du.shape
    rowmax = np.zeros(h, np.float64)
    for k in range(max_iter):
        rowmax[:] = 0.0
        for c in range(4):
            ci = (0, 1, 0, 1)[c]
            cj = (0, 1, 1, 0)[c]
            nrows = (h - ci + 1) // 2
            for r in prange(nrows):
                i = ci + 2 * r
                m = rowmax[i]
                for j in range(cj, w, 2):
                    d = _update_pixel(i, j, du, dv, u0, v0, ix, iy, it, alpha2, w_edge,
                                      w_diag, omega, robust, eps2, expo)
                    if d > m:
                        m = d
                rowmax[i] = m
        if rowmax.max() < tol:
            return k + 1
    return max_iter


@njit(cache=True, fastmath=True, parallel=True)
def jacobi_hs(u, v, ix, iy, it, alpha2, max_iter, tol):  # pragma: no cover - compiled
    """Classic Horn–Schunck Jacobi iterations with the 1/6, 1/12 averaging stencil, in place.

    ``u <- ubar - Ix (Ix ubar + Iy vbar + It) / (alpha2 + Ix^2 + Iy^2)`` (Horn & Schunck 1981),
    replicated borders. Returns the number of iterations done.
    """
    h, w = u.shape
    ub = np.empty_like(u)
    vb = np.empty_like(v)
    rowmax = np.zeros(h, np.float64)
    for k in range(max_iter):
        for i in prange(h):
            im = max(i - 1, 0)
            ip = min(i + 1, h - 1)
            for j in range(w):
                jm = max(j - 1, 0)
                jp = min(j + 1, w - 1)
                ub[i, j] = ((u[im, j] + u[ip, j] + u[i, jm] + u[i, jp]) / 6.0
                            + (u[im, jm] + u[im, jp] + u[ip, jm] + u[ip, jp]) / 12.0)
                vb[i, j] = ((v[im, j] + v[ip, j] + v[i, jm] + v[i, jp]) / 6.0
                            + (v[im, jm] + v[im, jp] + v[ip, jm] + v[ip, jp]) / 12.0)
        for i in prange(h):
            m = 0.0
            for j in range(w):
                gx = ix[i, j]
                gy = iy[i, j]
                t = (gx * ub[i, j] + gy * vb[i, j] + it[i, j]) / (alpha2 + gx * gx + gy * gy)
                nu = ub[i, j] - gx * t
                nv = vb[i, j] - gy * t
                d = max(abs(nu - u[i, j]), abs(nv - v[i, j]))
                if d > m:
                    m = d
                u[i, j] = nu
                v[i, j] = nv
            rowmax[i] = m
        if rowmax.max() < tol:
            return k + 1
    return max_iter
