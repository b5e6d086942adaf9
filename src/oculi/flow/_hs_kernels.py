"""Compiled inner loops of Horn–Schunck: block SOR on the linearised system, ROF denoising.

The SOR and Jacobi sweeps here are the plain reference versions (the tests check the fast
solvers of :mod:`oculi.flow._hs_blocked`, which :mod:`oculi.flow.hs` uses, against them).

Private: :mod:`oculi.flow.hs` is the public entry. Arrays are HxW float32, C-contiguous.
"""

from __future__ import annotations

import math

import numpy as np

from oculi.core.jit import njit


@njit(cache=True, fastmath=True, inline="always")
def _weight(r, robust, eps2, expo):  # pragma: no cover - compiled
    """Lagged robust weight of a residual: 1, or the generalised Charbonnier's psi'."""
    if not robust:
        return np.float32(1.0)
    q = r * r + eps2
    return np.float32(1.0) / np.sqrt(q) if expo == 0.5 else q ** (expo - np.float32(1.0))


@njit(cache=True, fastmath=True, inline="always")
def _solve_pixel(u, v, i, j, sw, su, sv, u0, v0, ix, iy, it, alpha2, omega,
                 robust, eps2, expo):  # pragma: no cover - compiled
    """Block-SOR update of pixel (i, j) given the weighted neighbour sums; returns the change."""
    up = u[i, j]
    vp = v[i, j]
    u0p = u0[i, j]
    v0p = v0[i, j]
    du = up - u0p
    dv = vp - v0p
    gx = ix[i, j]
    gy = iy[i, j]
    gt = it[i, j]
    psi = _weight(gx * du + gy * dv + gt, robust, eps2, expo)
    a = psi * gx * gx
    b = psi * gx * gy
    c = psi * gy * gy
    bu = -psi * gx * gt
    bv = -psi * gy * gt
    s = alpha2 * sw
    a += s
    c += s
    bu += alpha2 * (su - sw * u0p)
    bv += alpha2 * (sv - sw * v0p)
    det = a * c - b * b
    if det <= 1e-20:
        return 0.0
    nu = u0p + (c * bu - b * bv) / det
    nv = v0p + (a * bv - b * bu) / det
    nu = up + omega * (nu - up)
    nv = vp + omega * (nv - vp)
    u[i, j] = nu
    v[i, j] = nv
    return max(abs(nu - up), abs(nv - vp))


@njit(cache=True, fastmath=True)
def _border_pixel(u, v, i, j, u0, v0, ix, iy, it, alpha2, w_edge, w_diag,
                  omega, robust, eps2, expo):  # pragma: no cover - compiled
    """As :func:`_solve_pixel` for a pixel on the image border (missing neighbours dropped)."""
    h, w = u.shape
    sw = 0.0
    su = 0.0
    sv = 0.0
    for di in range(-1, 2):
        ii = i + di
        if ii < 0 or ii >= h:
            continue
        for dj in range(-1, 2):
            jj = j + dj
            if jj < 0 or jj >= w or (di == 0 and dj == 0):
                continue
            wt = w_edge if di == 0 or dj == 0 else w_diag
            if wt == 0.0:
                continue
            sw += wt
            su += wt * u[ii, jj]
            sv += wt * v[ii, jj]
    return _solve_pixel(u, v, i, j, sw, su, sv, u0, v0, ix, iy, it, alpha2,
                        omega, robust, eps2, expo)


@njit(cache=True, fastmath=True)
def sor_solve(u, v, u0, v0, ix, iy, it, alpha2, w_edge, w_diag, omega,
              max_iter, tol, robust, eps2, expo):  # pragma: no cover - compiled
    """Block SOR on the Euler–Lagrange equations of one warp; ``u``, ``v`` updated in place.

    Solves for the flow ``(u, v)`` around the linearisation point ``(u0, v0)``:
    ``psi*Ix*(Ix du + Iy dv + It) = alpha2 * sum_n w_n (u_n - u_p)`` (and the same for ``v``),
    with ``du = u - u0``, edge neighbours weighted ``w_edge`` and diagonal ones ``w_diag``, and
    ``psi`` 1 (quadratic data term) or the lagged generalised-Charbonnier weight
    ``(r^2 + eps2)^(expo - 1)`` of the current residual ``r = Ix du + Iy dv + It``. Pixels are
    swept in the four colours of a 2x2 tiling (with either stencil): Gauss–Seidel between
    colours. This is the simple reference sweep; :mod:`oculi.flow._hs_blocked` has the fast one.

    Returns:
        The number of sweeps done (stops once the largest change in a sweep is below ``tol`` px).
    """
    h, w = u.shape
    sw_in = np.float32(4.0) * (w_edge + w_diag)
    for k in range(max_iter):
        change = np.float32(0.0)
        for c in range(4):
            for i in range(h):
                if (i & 1) != (c >> 1):
                    continue
                j0 = c & 1
                if i == 0 or i == h - 1:
                    for j in range(j0, w, 2):
                        d = _border_pixel(u, v, i, j, u0, v0, ix, iy, it,
                                          alpha2, w_edge, w_diag, omega, robust, eps2, expo)
                        change = max(change, d)
                    continue
                if j0 == 0:
                    d = _border_pixel(u, v, i, 0, u0, v0, ix, iy, it, alpha2,
                                      w_edge, w_diag, omega, robust, eps2, expo)
                    change = max(change, d)
                    j0 = 2
                for j in range(j0, w - 1, 2):
                    su = (w_edge * (u[i - 1, j] + u[i + 1, j] + u[i, j - 1] + u[i, j + 1])
                          + w_diag * (u[i - 1, j - 1] + u[i - 1, j + 1] + u[i + 1, j - 1]
                                      + u[i + 1, j + 1]))
                    sv = (w_edge * (v[i - 1, j] + v[i + 1, j] + v[i, j - 1] + v[i, j + 1])
                          + w_diag * (v[i - 1, j - 1] + v[i - 1, j + 1] + v[i + 1, j - 1]
                                      + v[i + 1, j + 1]))
                    d = _solve_pixel(u, v, i, j, sw_in, su, sv, u0, v0, ix, iy, it,
                                     alpha2, omega, robust, eps2, expo)
                    change = max(change, d)
                if (w - 1 - j0) % 2 == 0 and w > 1:
                    d = _border_pixel(u, v, i, w - 1, u0, v0, ix, iy, it,
                                      alpha2, w_edge, w_diag, omega, robust, eps2, expo)
                    change = max(change, d)
        if change < tol:
            return k + 1
    return max_iter


@njit(cache=True, fastmath=True, error_model="numpy")
def rof_structure(f, theta, n_iter):  # pragma: no cover - compiled
    """Structure part of ``f`` by ROF total-variation denoising (Chambolle's dual projection).

    Minimises ``TV(u) + |u - f|^2 / (2 theta)`` with ``n_iter`` fixed-point steps of step 1/4 on
    the dual field; ``f`` is HxW float32 (any range). Returns ``u``, HxW float32. Row loops are
    branch-free (the missing terms at the border are multiplied by 0) so that they vectorise.
    """
    h, w = f.shape
    p1 = np.zeros((h, w), np.float32)
    p2 = np.zeros((h, w), np.float32)
    term = np.empty((h, w), np.float32)
    g = (f / np.float32(theta)).astype(np.float32)
    tau = np.float32(0.249)
    one = np.float32(1.0)
    for _ in range(n_iter):
        for i in range(h):  # term = div p - g, with p1 = 0 past the right, p2 past the bottom
            below = one if i < h - 1 else np.float32(0.0)
            above = one if i > 0 else np.float32(0.0)
            a = p1[i]
            b = p2[i]
            c = p2[max(i - 1, 0)]
            gi = g[i]
            ti = term[i]
            ti[0] = a[0] + below * b[0] - above * c[0] - gi[0]
            for j in range(1, w - 1):
                ti[j] = a[j] - a[j - 1] + below * b[j] - above * c[j] - gi[j]
            if w > 1:
                ti[w - 1] = -a[w - 2] + below * b[w - 1] - above * c[w - 1] - gi[w - 1]
        for i in range(h):  # p = (p + tau grad term) / (1 + tau |grad term|)
            below = one if i < h - 1 else np.float32(0.0)
            t = term[i]
            tb = term[min(i + 1, h - 1)]
            a = p1[i]
            b = p2[i]
            for j in range(w - 1):
                gx = t[j + 1] - t[j]
                gy = below * (tb[j] - t[j])
                n = one + tau * math.sqrt(gx * gx + gy * gy)
                a[j] = (a[j] + tau * gx) / n
                b[j] = (b[j] + tau * gy) / n
            j = w - 1
            gy = below * (tb[j] - t[j])
            n = one + tau * abs(gy)
            a[j] = a[j] / n
            b[j] = (b[j] + tau * gy) / n
    return (-np.float32(theta) * term).astype(np.float32)


@njit(cache=True, fastmath=True, inline="always")
def _jacobi_pixel(u, v, un, vn, u0, v0, ix, iy, it, i, j, ub, vb, alpha2, robust, eps2,
                  expo):  # pragma: no cover - compiled
    u0p = u0[i, j]
    v0p = v0[i, j]
    gx = ix[i, j]
    gy = iy[i, j]
    gt = it[i, j]
    psi = _weight(gx * (u[i, j] - u0p) + gy * (v[i, j] - v0p) + gt, robust, eps2, expo)
    a = psi * gx * gx + alpha2
    b = psi * gx * gy
    c = psi * gy * gy + alpha2
    bu = -psi * gx * gt + alpha2 * (ub - u0p)
    bv = -psi * gy * gt + alpha2 * (vb - v0p)
    inv = np.float32(1.0) / (a * c - b * b)
    un[i, j] = u0p + (c * bu - b * bv) * inv
    vn[i, j] = v0p + (a * bv - b * bu) * inv


@njit(cache=True, fastmath=True)
def _jacobi_border(u, v, un, vn, u0, v0, ix, iy, it, i, j, alpha2, w_edge, w_diag, robust, eps2,
                   expo):  # pragma: no cover - compiled
    h, w = u.shape
    im = max(i - 1, 0)
    ip = min(i + 1, h - 1)
    jm = max(j - 1, 0)
    jp = min(j + 1, w - 1)
    ub = (w_edge * (u[im, j] + u[ip, j] + u[i, jm] + u[i, jp])
          + w_diag * (u[im, jm] + u[im, jp] + u[ip, jm] + u[ip, jp]))
    vb = (w_edge * (v[im, j] + v[ip, j] + v[i, jm] + v[i, jp])
          + w_diag * (v[im, jm] + v[im, jp] + v[ip, jm] + v[ip, jp]))
    _jacobi_pixel(u, v, un, vn, u0, v0, ix, iy, it, i, j, ub, vb, alpha2, robust, eps2, expo)


@njit(cache=True, fastmath=True)
def _jacobi_row(u, v, un, vn, u0, v0, ix, iy, it, i, alpha2, w_edge, w_diag, robust, eps2,
                expo):  # pragma: no cover - compiled
    """One Jacobi update of row ``i``: read ``u``, ``v``, write row ``i`` of ``un``, ``vn``."""
    h, w = u.shape
    if w < 3:
        for j in range(w):
            _jacobi_border(u, v, un, vn, u0, v0, ix, iy, it, i, j, alpha2, w_edge, w_diag,
                           robust, eps2, expo)
        return
    im = max(i - 1, 0)
    ip = min(i + 1, h - 1)
    _jacobi_border(u, v, un, vn, u0, v0, ix, iy, it, i, 0, alpha2, w_edge, w_diag, robust,
                   eps2, expo)
    for j in range(1, w - 1):
        ub = (w_edge * (u[im, j] + u[ip, j] + u[i, j - 1] + u[i, j + 1])
              + w_diag * (u[im, j - 1] + u[im, j + 1] + u[ip, j - 1] + u[ip, j + 1]))
        vb = (w_edge * (v[im, j] + v[ip, j] + v[i, j - 1] + v[i, j + 1])
              + w_diag * (v[im, j - 1] + v[im, j + 1] + v[ip, j - 1] + v[ip, j + 1]))
        _jacobi_pixel(u, v, un, vn, u0, v0, ix, iy, it, i, j, ub, vb, alpha2, robust, eps2,
                      expo)
    _jacobi_border(u, v, un, vn, u0, v0, ix, iy, it, i, w - 1, alpha2, w_edge, w_diag, robust,
                   eps2, expo)


@njit(cache=True, fastmath=True)
def jacobi_solve(u, v, u0, v0, ix, iy, it, alpha2, w_edge, w_diag, max_iter, robust, eps2,
                 expo):  # pragma: no cover - compiled
    """Jacobi iterations on the same equations as :func:`sor_solve` (replicated borders).

    Every pixel is updated from the previous iterate, as in Horn & Schunck's paper; with the
    quadratic data term, ``u0 = v0 = 0`` and the 1/6, 1/12 stencil this is exactly their
    iteration ``u = ubar - Ix (Ix ubar + Iy vbar + It) / (alpha2 + Ix^2 + Iy^2)``. The stencil
    weights must sum to 1. ``u``, ``v`` hold the result. Returns the number of iterations.
    The simple reference; :mod:`oculi.flow._hs_blocked` has the fast one.
    """
    h = u.shape[0]
    tu = np.empty_like(u)
    tv = np.empty_like(v)
    # Two iterations per pass over memory: row i of iterate k+1 goes to (tu, tv) and, as soon
    # as its three source rows exist, row i-1 of iterate k+2 back into (u, v) (row i-1 of
    # iterate k is no longer needed by then).
    for _ in range(max_iter // 2):
        for i in range(h + 1):
            if i < h:
                _jacobi_row(u, v, tu, tv, u0, v0, ix, iy, it, i, alpha2, w_edge, w_diag, robust,
                            eps2, expo)
            if i >= 1:
                _jacobi_row(tu, tv, u, v, u0, v0, ix, iy, it, i - 1, alpha2, w_edge, w_diag,
                            robust, eps2, expo)
    if max_iter % 2 == 1:
        for i in range(h):
            _jacobi_row(u, v, tu, tv, u0, v0, ix, iy, it, i, alpha2, w_edge, w_diag, robust,
                        eps2, expo)
        u[:, :] = tu
        v[:, :] = tv
    return max_iter
