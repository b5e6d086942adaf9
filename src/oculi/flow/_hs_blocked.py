"""Fast solvers for one warp of Horn–Schunck: blocked in time, vectorised, parallel over row bands.

Private: :mod:`oculi.flow.hs` calls :func:`sor_solve` and :func:`jacobi_solve`. They solve the
same equations as the simple reference sweeps :func:`oculi.flow._hs_kernels.sor_solve` and
:func:`oculi.flow._hs_kernels.jacobi_solve` (tests compare them), organised for speed:

- per-pixel constants are computed once per warp: the linearisation point is folded into
  ``It' = It - Ix u0 - Iy v0`` and, for the quadratic data term, the update
  ``u = ubar - Ix (Ix ubar + Iy vbar + It') / (s + Ix^2 + Iy^2)`` becomes
  ``u = ubar - ax (ax ubar + ay vbar + at)`` with ``a* = I* / sqrt(s + Ix^2 + Iy^2)``;
- several sweeps are done per pass over memory (temporal blocking), so the rows in flight stay
  in cache: SOR sweeps run as a wavefront in place (sweep ``k + 1`` one row pair behind sweep
  ``k``), Jacobi iterates go through three-row ring buffers, one per iterate;
- SOR keeps each row's even and odd columns apart, with ghost zeros around and the border's
  missing neighbours handled by a per-pixel renormalisation, so that each colour of the 2x2
  colouring is one contiguous, branch-free, vectorised loop per row;
- row loops index 1-D views made in the loop's own function, and the optional parts (robust
  weight, convergence count) are compiled away by passing None, both of which keep LLVM's
  vectoriser working;
- the rows can be cut into bands solved in parallel (numba ``prange``); each band also solves a
  halo of rows wide enough that the dependencies of its own rows are exact, and writes its own
  rows to a second buffer, so the result does not depend on the number of bands or threads.

Arrays are HxW float32, C-contiguous.
"""

from __future__ import annotations

import threading

import numpy as np

from oculi.core.jit import get_num_threads, njit, prange

SOR_BLOCK = 20  # sweeps per pass over memory
JACOBI_BLOCK = 30  # iterations per pass over memory
_MIN_BAND = 64  # rows a band owns at least (the halos are 2 rows per SOR sweep, 1 per Jacobi)
# Jacobi row loops run over a multiple of _VEC pixels (LLVM vectorises 8 lanes x 4 and would
# leave up to 31 pixels to scalar code) into zero padding, which is then ignored.
_VEC = 32
_PAD = _VEC + 16


@njit(cache=True, fastmath=True, error_model="numpy", inline="always")
def _psi(r, eps2, expo):  # pragma: no cover - compiled
    """Lagged robust weight ``(r^2 + eps2)^(expo - 1)``; ``expo`` None means 0.5."""
    q = r * r + eps2
    if expo is None:
        return np.float32(1.0) / np.sqrt(q)
    return q ** (expo - np.float32(1.0))


@njit(cache=True, fastmath=True, error_model="numpy")
def _sum_weights(i, j, h, w, w_edge, w_diag):  # pragma: no cover - compiled
    """Sum of the stencil weights of the neighbours of (i, j) inside the image."""
    s = np.float32(0.0)
    for di in range(-1, 2):
        for dj in range(-1, 2):
            if (di == 0 and dj == 0) or not (0 <= i + di < h and 0 <= j + dj < w):
                continue
            s += w_edge if di == 0 or dj == 0 else w_diag
    return s


@njit(cache=True, fastmath=True, error_model="numpy", inline="always")
def _set_constants(cx, cy, ct, rs, i, p, m, gx, gy, gt, sw, alpha2,
                   robust):  # pragma: no cover - compiled
    rs[i, p, m] = np.float32(1.0) / sw
    k = np.float32(1.0) if robust else np.float32(1.0) / np.sqrt(alpha2 * sw + gx * gx + gy * gy)
    cx[i, p, m] = gx * k
    cy[i, p, m] = gy * k
    ct[i, p, m] = gt * k


@njit(cache=True, fastmath=True, error_model="numpy")
def _constants(u0, v0, ix, iy, it, alpha2, w_edge, w_diag, robust, split, cx, cy, ct,
               rs):  # pragma: no cover - compiled
    """Per-pixel constants ``(cx, cy, ct, rs)`` of one warp, written into those arrays.

    Robust: ``(Ix, Iy, It')``. Quadratic: ``(Ix, Iy, It') / sqrt(alpha2 sw + Ix^2 + Iy^2)``.
    ``sw`` is the sum of the stencil weights of the neighbours: over those inside the image for
    SOR (``split``: missing neighbours are dropped), all of them for Jacobi (replicated border),
    where it is 1; ``rs = 1 / sw``. Layout: Hx1x(W+pad) (Jacobi), or (``split``, SOR)
    Hx2x((W+1)//2+pad) with column ``j`` at ``[j % 2, j // 2 + 1]`` (index 0 is a ghost column).
    Only those positions are written (the rest, zero, stays so); ``rs`` is not used for Jacobi.
    """
    h, w = u0.shape
    sw_in = np.float32(4.0) * (w_edge + w_diag)
    kx = np.empty(w, np.float32)
    ky = np.empty(w, np.float32)
    kt = np.empty(w, np.float32)
    ne = (w + 1) // 2
    no = w // 2
    for i in range(h):
        gxs = ix[i]
        gys = iy[i]
        gts = it[i]
        us = u0[i]
        vs = v0[i]
        for j in range(w):  # contiguous, vectorised
            gx = gxs[j]
            gy = gys[j]
            kx[j] = gx
            ky[j] = gy
            kt[j] = gts[j] - gx * us[j] - gy * vs[j]
        if not robust:
            s0 = alpha2 * sw_in
            for j in range(w):
                k = np.float32(1.0) / np.sqrt(s0 + kx[j] * kx[j] + ky[j] * ky[j])
                kx[j] *= k
                ky[j] *= k
                kt[j] *= k
        if split:
            for dst, src in ((cx, kx), (cy, ky), (ct, kt)):
                even = dst[i, 0]
                odd = dst[i, 1]
                for m in range(no):
                    even[m + 1] = src[2 * m]
                    odd[m + 1] = src[2 * m + 1]
                if ne > no:
                    even[ne] = src[w - 1]
            rs[i, 0, 1:ne + 1] = np.float32(1.0) / sw_in
            rs[i, 1, 1:no + 1] = np.float32(1.0) / sw_in
        else:
            cx[i, 0, :w] = kx
            cy[i, 0, :w] = ky
            ct[i, 0, :w] = kt
    if split:  # missing neighbours on the border are dropped
        for i in range(h):
            edge = i == 0 or i == h - 1
            for j in range(0, w, 1 if edge else max(w - 1, 1)):  # all, or the first and last
                _set_constants(cx, cy, ct, rs, i, j & 1, (j >> 1) + 1, ix[i, j], iy[i, j],
                               it[i, j] - ix[i, j] * u0[i, j] - iy[i, j] * v0[i, j],
                               _sum_weights(i, j, h, w, w_edge, w_diag), alpha2, robust)


# ------------------------------------------------------------------ SOR (split columns, in place)


@njit(cache=True, fastmath=True, error_model="numpy")
def _sor_run(uu, vv, r, cx, cy, ct, rs, i, p, m0, a, n, alpha2, w_edge, w_diag, omega, eps2,
             expo, tol):  # pragma: no cover - compiled
    """SOR update, in place, of the ``n`` pixels ``m0 ..`` of half-row ``p`` of band row ``r``.

    Missing neighbours are ghost zeros; ``rs`` renormalises the neighbour sums (1 inside).

    ``a``: the first left neighbour in the other half (``m0 - 1`` for even columns, ``m0`` for
    odd ones). The loop runs over 1-D views made here (views passed in cost reference counting
    per call; 2-D indexing with a run-time half index defeats vectorisation). ``eps2`` None:
    quadratic data term; ``expo`` None: exponent 0.5; ``tol`` None: no convergence count (None
    arguments compile specialisations without the branches). Returns how many pixels changed
    by ``tol`` or more (a sum: it vectorises where a maximum does not).
    """
    q = 1 - p
    uc = uu[r, p, m0:]
    vc = vv[r, p, m0:]
    ul = uu[r, q, a:]
    ur = uu[r, q, a + 1:]
    vl = vv[r, q, a:]
    vr = vv[r, q, a + 1:]
    uac = uu[r - 1, p, m0:]
    ual = uu[r - 1, q, a:]
    uar = uu[r - 1, q, a + 1:]
    ubc = uu[r + 1, p, m0:]
    ubl = uu[r + 1, q, a:]
    ubr = uu[r + 1, q, a + 1:]
    vac = vv[r - 1, p, m0:]
    val = vv[r - 1, q, a:]
    var = vv[r - 1, q, a + 1:]
    vbc = vv[r + 1, p, m0:]
    vbl = vv[r + 1, q, a:]
    vbr = vv[r + 1, q, a + 1:]
    cxr = cx[i, p, m0:]
    cyr = cy[i, p, m0:]
    ctr = ct[i, p, m0:]
    rsr = rs[i, p, m0:]
    count = np.float32(0.0)
    for m in range(n):
        k = rsr[m]
        su = k * (w_edge * (uac[m] + ubc[m] + ul[m] + ur[m])
                  + w_diag * (ual[m] + uar[m] + ubl[m] + ubr[m]))
        sv = k * (w_edge * (vac[m] + vbc[m] + vl[m] + vr[m])
                  + w_diag * (val[m] + var[m] + vbl[m] + vbr[m]))
        gx = cxr[m]
        gy = cyr[m]
        gt = ctr[m]
        up = uc[m]
        vp = vc[m]
        if eps2 is None:
            t = gx * su + gy * sv + gt
        else:
            psi = _psi(gx * up + gy * vp + gt, eps2, expo) * k
            t = psi * (gx * su + gy * sv + gt) / (alpha2 + psi * (gx * gx + gy * gy))
        du = omega * (su - gx * t - up)
        dv = omega * (sv - gy * t - vp)
        uc[m] = up + du
        vc[m] = vp + dv
        if tol is not None:
            count += np.float32(1.0) if max(abs(du), abs(dv)) >= tol else np.float32(0.0)
    return count


@njit(cache=True, fastmath=True, error_model="numpy")
def _sor_row(uu, vv, r, i, w, cx, cy, ct, rs, alpha2, w_edge, w_diag, omega, eps2, expo,
             tol):  # pragma: no cover - compiled
    """Both colours of image row ``i`` (band row ``r``): even columns, then odd ones.

    Even column ``2m`` (stored at ``m + 1``) has its left and right neighbours at ``m``, ``m + 1``
    of the odd half; odd column ``2m + 1`` at ``m + 1``, ``m + 2`` of the even half. Returns how
    many pixels changed by ``tol`` or more.
    """
    c = _sor_run(uu, vv, r, cx, cy, ct, rs, i, 0, 1, 0, (w + 1) // 2, alpha2, w_edge, w_diag,
                 omega, eps2, expo, tol)
    return c + _sor_run(uu, vv, r, cx, cy, ct, rs, i, 1, 1, 1, w // 2, alpha2, w_edge, w_diag,
                        omega, eps2, expo, tol)


@njit(cache=True, fastmath=True, error_model="numpy")
def _sor_wavefront(uu, vv, lo, first, last, a, e, w, cx, cy, ct, rs, sweeps, alpha2, w_edge,
                   w_diag, omega, eps2, expo, tol, counts):  # pragma: no cover - compiled
    """``sweeps`` SOR sweeps, in place, of image rows ``first:last`` held in ``uu[i - lo + 1]``.

    The sweeps run as a wavefront: step ``p`` of a sweep updates row ``2p`` (both colours),
    then row ``2p - 1`` (both colours), which is the four-colour order; sweep ``k + 1`` runs one
    step behind sweep ``k``, so the rows in flight stay in cache. ``counts[k]``: pixels of rows
    ``a:e`` that changed by ``tol`` or more in sweep ``k``.
    """
    p0 = first // 2
    p1 = last // 2
    for t in range(p1 - p0 + sweeps):
        for k in range(sweeps):
            p = p0 + t - k
            if p < p0 or p > p1:
                continue
            for i in (2 * p, 2 * p - 1):
                if first <= i < last:
                    c = _sor_row(uu, vv, i - lo + 1, i, w, cx, cy, ct, rs, alpha2, w_edge,
                                 w_diag, omega, eps2, expo, tol)
                    if a <= i < e:
                        counts[k] += c


@njit(cache=True, fastmath=True, error_model="numpy")
def _sor_band(uin, vin, uout, vout, cx, cy, ct, rs, w, a, e, sweeps, alpha2, w_edge, w_diag,
              omega, eps2, expo, tol, counts):  # pragma: no cover - compiled
    """``sweeps`` SOR sweeps of the rows ``a:e``; split arrays (H+2)x2x((W+1)//2+pad).

    Copies the rows with a halo of ``2 sweeps + 1`` rows (a sweep carries information at most two
    rows) and one more on each side, held fixed, sweeps the copy (:func:`_sor_wavefront`) and
    writes rows ``a:e`` to ``uout``, ``vout``.
    """
    h = uin.shape[0] - 2
    halo = 2 * sweeps + 1
    lo = max(0, a - halo)
    hi = min(h, e + halo)
    uu = uin[lo:hi + 2].copy()
    vv = vin[lo:hi + 2].copy()
    _sor_wavefront(uu, vv, lo, lo, hi, a, e, w, cx, cy, ct, rs, sweeps, alpha2, w_edge, w_diag,
                   omega, eps2, expo, tol, counts)
    uout[a + 1:e + 1] = uu[a - lo + 1:e - lo + 1]
    vout[a + 1:e + 1] = vv[a - lo + 1:e - lo + 1]


@njit(cache=True, fastmath=True, error_model="numpy", parallel=True)
def _sor_bands(uin, vin, uout, vout, cx, cy, ct, rs, w, bands, sweeps, alpha2, w_edge, w_diag,
               omega, eps2, expo, tol, counts):  # pragma: no cover - compiled
    """:func:`_sor_band` on the bands ``bands[b]:bands[b+1]`` in parallel.

    One band (``bands`` = ``[0, H]``) is swept in place in ``uin``, ``vin`` (``uout``, ``vout``
    are not touched). Both cases are this one compiled entry point: a process loads one cached
    kernel for them, and ``python -m oculi.warm`` compiles it whatever the size of its input.
    """
    n = bands.shape[0] - 1
    if n == 1:
        _sor_wavefront(uin, vin, 0, 0, bands[1], 0, bands[1], w, cx, cy, ct, rs, sweeps, alpha2,
                       w_edge, w_diag, omega, eps2, expo, tol, counts[0])
    else:
        for b in prange(n):
            _sor_band(uin, vin, uout, vout, cx, cy, ct, rs, w, bands[b], bands[b + 1], sweeps,
                      alpha2, w_edge, w_diag, omega, eps2, expo, tol, counts[b])


# ------------------------------------------------------------------ Jacobi (three-row ring buffers)


@njit(cache=True, fastmath=True, error_model="numpy")
def _jacobi_row(dst, src, sa, sc, sb, cx, cy, ct, n, alpha2, w_edge, w_diag, eps2,
                expo):  # pragma: no cover - compiled
    """A row of the next iterate into ``dst`` (2x(W+pad), u and v, edge-replicated) from rows
    ``sa``, ``sc``, ``sb`` (above, centre, below) of ``src`` (3x2x(W+pad)); ``n`` = W.

    ``eps2``, ``expo`` as in :func:`_sor_run`.
    """
    uo = dst[0, 1:]
    vo = dst[1, 1:]
    ual = src[sa, 0, 0:]
    uac = src[sa, 0, 1:]
    uar = src[sa, 0, 2:]
    ucl = src[sc, 0, 0:]
    ucc = src[sc, 0, 1:]
    ucr = src[sc, 0, 2:]
    ubl = src[sb, 0, 0:]
    ubc = src[sb, 0, 1:]
    ubr = src[sb, 0, 2:]
    val = src[sa, 1, 0:]
    vac = src[sa, 1, 1:]
    var = src[sa, 1, 2:]
    vcl = src[sc, 1, 0:]
    vcc = src[sc, 1, 1:]
    vcr = src[sc, 1, 2:]
    vbl = src[sb, 1, 0:]
    vbc = src[sb, 1, 1:]
    vbr = src[sb, 1, 2:]
    for m in range((n + _VEC - 1) // _VEC * _VEC):  # into the rows' padding, overwritten below
        ub = (w_edge * (uac[m] + ubc[m] + ucl[m] + ucr[m])
              + w_diag * (ual[m] + uar[m] + ubl[m] + ubr[m]))
        vb = (w_edge * (vac[m] + vbc[m] + vcl[m] + vcr[m])
              + w_diag * (val[m] + var[m] + vbl[m] + vbr[m]))
        gx = cx[m]
        gy = cy[m]
        gt = ct[m]
        if eps2 is None:
            t = gx * ub + gy * vb + gt
        else:
            psi = _psi(gx * ucc[m] + gy * vcc[m] + gt, eps2, expo)
            t = psi * (gx * ub + gy * vb + gt) / (alpha2 + psi * (gx * gx + gy * gy))
        uo[m] = ub - gx * t
        vo[m] = vb - gy * t
    for c in range(2):
        dst[c, 0] = dst[c, 1]
        dst[c, n + 1] = dst[c, n]


@njit(cache=True, fastmath=True, error_model="numpy")
def _jacobi_band(uin, vin, uout, vout, cx, cy, ct, a, e, iters, alpha2, w_edge, w_diag, eps2,
                 expo, ring):  # pragma: no cover - compiled
    """``iters`` Jacobi iterations of the rows ``a:e`` in one pass over the rows.

    Iterate ``l`` of row ``r`` is computed at step ``r + l`` into a three-row ring buffer of its
    own, from rows ``r - 1 .. r + 1`` of iterate ``l - 1`` (edges replicated), on a halo of
    ``iters - l`` rows around ``a:e``; the last iterate of rows ``a:e`` goes to ``uout``, ``vout``.
    ``ring``: at least (iters+1)x3x2x(W+pad), zero at first (its padding only ever holds finite
    values computed from zeros and the rows' values; they are never used).
    """
    h, w = uin.shape
    end0 = min(h, e + iters)
    for s in range(max(0, a - iters), e + iters):
        if s < end0:  # iterate 0: the input row, edge-replicated
            row = ring[0, s % 3]
            row[0, 1:w + 1] = uin[s]
            row[1, 1:w + 1] = vin[s]
            for c in range(2):
                row[c, 0] = row[c, 1]
                row[c, w + 1] = row[c, w]
        for lv in range(1, iters + 1):
            r = s - lv
            if r < max(0, a - (iters - lv)) or r >= min(h, e + (iters - lv)):
                continue
            dst = ring[lv, r % 3]
            _jacobi_row(dst, ring[lv - 1], max(r - 1, 0) % 3, r % 3, min(r + 1, h - 1) % 3,
                        cx[r, 0], cy[r, 0], ct[r, 0], w, alpha2, w_edge, w_diag, eps2, expo)
            if lv == iters:
                uout[r] = dst[0, 1:w + 1]
                vout[r] = dst[1, 1:w + 1]


@njit(cache=True, fastmath=True, error_model="numpy", parallel=True)
def _jacobi_bands(uin, vin, uout, vout, cx, cy, ct, bands, iters, alpha2, w_edge, w_diag, eps2,
                  expo, ring):  # pragma: no cover - compiled
    """:func:`_jacobi_band` on the bands ``bands[b]:bands[b+1]`` in parallel.

    One band (``bands`` = ``[0, H]``) is solved in place in ``uin``, ``vin`` with the ring buffer
    ``ring`` (row r is written after row r + iters has been read; ``uout``, ``vout`` are not
    touched); several get a ring each. One compiled entry point for both, as for SOR.
    """
    n = bands.shape[0] - 1
    if n == 1:
        _jacobi_band(uin, vin, uin, vin, cx, cy, ct, 0, bands[1], iters, alpha2, w_edge, w_diag,
                     eps2, expo, ring)
    else:
        for b in prange(n):
            own = np.zeros((iters + 1, 3, 2, uin.shape[1] + _PAD), np.float32)
            _jacobi_band(uin, vin, uout, vout, cx, cy, ct, bands[b], bands[b + 1], iters,
                         alpha2, w_edge, w_diag, eps2, expo, own)


# ------------------------------------------------------------------ drivers


def default_bands() -> int:
    """Row bands to solve in parallel: numba's thread count (``numba.get_num_threads()``).

    Set it with ``numba.set_num_threads(n)`` or ``NUMBA_NUM_THREADS``; the result is the same
    for any count. On a busy machine (load near or above the core count) one thread is faster:
    each parallel block waits at its end for the slowest thread, which the scheduler may hold
    back for a whole time slice (measured at load ~6 on 2 cores: 2 bands took 1.8x the time of
    one).
    """
    return get_num_threads()


def _bands(h: int, n_bands: int | None) -> np.ndarray:
    n = n_bands if n_bands is not None else default_bands()
    n = max(1, min(n, h // _MIN_BAND))
    return np.linspace(0, h, n + 1).round().astype(np.int64)


def _modes(robust: bool, eps2: float, expo: float) -> tuple[np.float32 | None, ...]:
    """``(eps2, expo)`` as the kernels take them: None for the quadratic term / exponent 0.5."""
    if not robust:
        return None, None
    return np.float32(eps2), (None if expo == 0.5 else np.float32(expo))


_LOCAL = threading.local()
_WORKSPACE_BYTES = 256 << 20


def _workspace(name: str, shape: tuple[int, ...], key: tuple[int, ...]) -> np.ndarray:
    """A zero-initialised float32 buffer kept per thread for ``(name, shape, key)``.

    Fresh memory costs a page fault per 4 KiB on first touch, as much as several sweeps for a
    640x480 frame; buffers are reused from warp to warp and call to call, provided the caller
    restores whatever it relies on being zero. All are dropped past 256 MiB.
    """
    cache = getattr(_LOCAL, "cache", None)
    if cache is None:
        cache = _LOCAL.cache = {}
    k = (name, shape, key)
    buf = cache.get(k)
    if buf is None:
        if sum(b.nbytes for b in cache.values()) + 4 * int(np.prod(shape)) > _WORKSPACE_BYTES:
            cache.clear()
        buf = cache[k] = np.zeros(shape, np.float32)
    return buf


def _split(a: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """HxW -> (H+2)x2x((W+1)//2+pad), row ``i`` at ``i + 1``, column ``j`` at
    ``[j % 2, j // 2 + 1]``, zeros around (ghost rows and columns, padding); into ``out`` (whose
    positions outside the image must be zero) or a new array."""
    h, w = a.shape
    if out is None:
        out = np.zeros((h + 2, 2, (w + 1) // 2 + _PAD), np.float32)
    out[1:h + 1, 0, 1:(w + 1) // 2 + 1] = a[:, 0::2]
    out[1:h + 1, 1, 1:w // 2 + 1] = a[:, 1::2]
    return out


def _merge(s: np.ndarray, out: np.ndarray) -> None:
    """Inverse of :func:`_split` into the HxW array ``out`` (numpy: as fast as a compiled loop,
    and one cached kernel fewer to load)."""
    h, w = out.shape
    out[:, 0::2] = s[1:h + 1, 0, 1:(w + 1) // 2 + 1]
    out[:, 1::2] = s[1:h + 1, 1, 1:w // 2 + 1]


def sor_solve(u: np.ndarray, v: np.ndarray, u0: np.ndarray, v0: np.ndarray, ix: np.ndarray,
              iy: np.ndarray, it: np.ndarray, alpha2: float, w_edge: float, w_diag: float,
              omega: float, max_iter: int, tol: float, robust: bool, eps2: float, expo: float,
              *, n_bands: int | None = None, block: int = SOR_BLOCK) -> int:
    """Fast equivalent of :func:`oculi.flow._hs_kernels.sor_solve` (same arguments and result).

    Four-colour block SOR in the same order, sweeps blocked in time ``block`` at a time; the
    convergence test (largest change below ``tol``) is done for every
    sweep, but the solver only stops at the end of a block, so it may sweep a little further.
    ``n_bands``: parallel row bands (default: :func:`default_bands`); the result does not depend
    on it. ``u0``, ``v0`` may be ``u``, ``v`` themselves. Returns the number of sweeps done.
    """
    from oculi.flow import _hs_kernels

    h, w = u.shape
    f32 = np.float32
    if h < 4 or w < 4:  # (the reference reads u0, v0 while it writes u, v)
        return _hs_kernels.sor_solve(u, v, u0.copy(), v0.copy(), ix, iy, it, f32(alpha2),
                                     f32(w_edge), f32(w_diag), f32(omega), int(max_iter),
                                     f32(tol), bool(robust), f32(eps2), f32(expo))
    shape = (h, 2, (w + 1) // 2 + _PAD)
    cx, cy, ct, rs = (_workspace(n, shape, (w,)) for n in ("cx", "cy", "ct", "rs"))
    _constants(u0, v0, ix, iy, it, f32(alpha2), f32(w_edge), f32(w_diag), bool(robust), True,
               cx, cy, ct, rs)
    bands = _bands(h, n_bands)
    shape = (h + 2, 2, (w + 1) // 2 + _PAD)
    ua, va = _split(u, _workspace("u", shape, (w,))), _split(v, _workspace("v", shape, (w,)))
    if len(bands) > 2:  # (only rows inside the image are written: the ghost rows stay 0)
        ub, vb = _workspace("u2", shape, (w,)), _workspace("v2", shape, (w,))
    else:  # one band is swept in place: the second buffers are not used
        ub, vb = ua, va
    done = 0
    tol32 = f32(tol) if tol > 0 else None
    while done < max_iter:
        k = min(block, max_iter - done)
        counts = np.zeros((len(bands) - 1, k), np.float32)
        args = (f32(alpha2), f32(w_edge), f32(w_diag), f32(omega), *_modes(robust, eps2, expo),
                tol32)
        _sor_bands(ua, va, ub, vb, cx, cy, ct, rs, w, bands, k, *args, counts)
        ua, ub, va, vb = ub, ua, vb, va  # (one band: in place, the pairs are the same arrays)
        done += k
        if tol > 0 and (counts.sum(axis=0) == 0).any():
            break
    _merge(ua, u)
    _merge(va, v)
    return done


def jacobi_solve(u: np.ndarray, v: np.ndarray, u0: np.ndarray, v0: np.ndarray, ix: np.ndarray,
                 iy: np.ndarray, it: np.ndarray, alpha2: float, w_edge: float, w_diag: float,
                 max_iter: int, robust: bool, eps2: float, expo: float, *,
                 n_bands: int | None = None, block: int = JACOBI_BLOCK) -> int:
    """Fast equivalent of :func:`oculi.flow._hs_kernels.jacobi_solve` (same arguments, result).

    ``block`` iterations per pass over memory; ``n_bands`` parallel row bands (default:
    :func:`default_bands`), without effect on the result. ``u0``, ``v0`` may be ``u``, ``v``
    themselves. Returns ``max_iter``.
    """
    from oculi.flow import _hs_kernels

    h, w = u.shape
    f32 = np.float32
    if h < 2 or w < 2:
        return _hs_kernels.jacobi_solve(u, v, u0.copy(), v0.copy(), ix, iy, it, f32(alpha2),
                                        f32(w_edge), f32(w_diag), int(max_iter), bool(robust),
                                        f32(eps2), f32(expo))
    shape = (h, 1, w + _PAD)
    cx, cy, ct = (_workspace(n, shape, ()) for n in ("jx", "jy", "jt"))
    _constants(u0, v0, ix, iy, it, f32(alpha2), f32(w_edge), f32(w_diag), bool(robust), False,
               cx, cy, ct, cx)
    bands = _bands(h, n_bands)
    ua, va = u, v
    if len(bands) > 2:
        ub, vb = np.empty_like(u), np.empty_like(v)
    else:  # one band is solved in place: the second buffers are not used
        ub, vb = ua, va
    done = 0
    while done < max_iter:
        k = min(block, max_iter - done)
        args = (f32(alpha2), f32(w_edge), f32(w_diag), *_modes(robust, eps2, expo))
        ring = _workspace("ring", (k + 1 if len(bands) == 2 else 1, 3, 2, w + _PAD), ())
        _jacobi_bands(ua, va, ub, vb, cx, cy, ct, bands, k, *args, ring)
        ua, ub, va, vb = ub, ua, vb, va  # (one band: in place, the pairs are the same arrays)
        done += k
    if ua is not u:
        u[:] = ua
        v[:] = va
    return max_iter
