"""Analytic Jacobians of the transfer residuals of :mod:`oculi.stitching.bundle`.

The residual layout is that of ``bundle._transfer``: the forward residuals
``proj(H_ij a) - b`` of every match (two rows each), then the backward ones
``proj(H_ji b) - a``. With a forward-difference Jacobian every Levenberg–Marquardt iteration costs
one residual evaluation per parameter (41 for six homographies); these cost about two.
"""

from __future__ import annotations

import numpy as np


def _proj_jac(q: np.ndarray) -> np.ndarray:
    """``(n, 2, 3)`` derivative of ``q[:2] / q[2]`` with respect to ``q``."""
    z = q[:, 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        iz = 1.0 / z
        j = np.zeros((len(q), 2, 3))
        j[:, 0, 0] = j[:, 1, 1] = iz
        j[:, 0, 2] = -q[:, 0] * iz * iz
        j[:, 1, 2] = -q[:, 1] * iz * iz
    return np.where(np.isfinite(j), j, 0.0)


def _skew(v: np.ndarray) -> np.ndarray:
    """``(n, 3, 3)`` cross-product matrices ``[v]x``."""
    s = np.zeros((len(v), 3, 3))
    s[:, 0, 1], s[:, 0, 2] = -v[:, 2], v[:, 1]
    s[:, 1, 0], s[:, 1, 2] = v[:, 2], -v[:, 0]
    s[:, 2, 0], s[:, 2, 1] = -v[:, 1], v[:, 0]
    return s


def _add_block(jac: np.ndarray, rows: np.ndarray, col: np.ndarray, d: np.ndarray) -> None:
    """``jac[rows[m], col[m] + k] += d[m, k]`` for the matches ``m`` whose node is free
    (``col >= 0``; the reference node has no columns). ``d`` is ``(n, width)``."""
    ok = col >= 0
    jac[rows[ok, None], col[ok, None] + np.arange(d.shape[1])] += d[ok]


def rotation_jacobian(
    k_mat: np.ndarray, k_inv: np.ndarray, rot: np.ndarray, focal: np.ndarray,
    a: np.ndarray, b: np.ndarray, src: np.ndarray, dst: np.ndarray,
    free_col: np.ndarray, focal_col: np.ndarray,
) -> np.ndarray:
    """Jacobian of the rotation-model residuals.

    Args:
        k_mat, k_inv, rot: ``(N, 3, 3)`` per node: intrinsics, their inverse, world -> camera.
        focal: ``(N,)`` focal lengths (the parameters are their logs).
        a, b: ``(n, 3)`` homogeneous points of the matches in their source and destination.
        src, dst: ``(n,)`` node slots of every match's images i and j.
        free_col: ``(N,)`` first column of each node's rotation-vector update (-1 for the gauge);
            the update is a left perturbation ``exp([w]x) R`` (exact at ``w = 0``; LM needs only
            a Jacobian whose columns span the same space to find the same stationary point).
        focal_col: ``(N,)`` column of each node's log focal (one shared column or one each).

    Returns:
        ``(4 n, P)`` with ``P = max(free_col) + 3`` rotation columns plus the focal columns.
    """
    n = len(a)
    n_cols = int(max(free_col.max() + 3, focal_col.max() + 1))
    jac = np.zeros((4 * n, n_cols))
    rows = np.arange(n)
    for half, (s_node, d_node, pts) in enumerate(((src, dst, a), (dst, src, b))):
        c = np.einsum("nij,nj->ni", k_inv[s_node], pts)
        rel = rot[d_node] @ rot[s_node].transpose(0, 2, 1)  # R_d R_s^T
        s = np.einsum("nij,nj->ni", rot[d_node], np.einsum("nji,nj->ni", rot[s_node], c))
        q = np.einsum("nij,nj->ni", k_mat[d_node], s)
        jq_k = _proj_jac(q) @ k_mat[d_node]  # (n, 2, 3)
        d_wd = -jq_k @ _skew(s)
        d_ws = jq_k @ rel @ _skew(c)
        f_d = focal[d_node][:, None]
        d_fd = np.einsum("nij,nj->ni", _proj_jac(q), np.column_stack([f_d[:, 0] * s[:, 0],
                                                                     f_d[:, 0] * s[:, 1],
                                                                     np.zeros(n)]))
        c_f = np.column_stack([-c[:, 0], -c[:, 1], np.zeros(n)])
        d_fs = np.einsum("nij,nj->ni", jq_k @ rel, c_f)
        for comp in range(2):
            r = 2 * n * half + 2 * rows + comp
            _add_block(jac, r, free_col[d_node], d_wd[:, comp])
            _add_block(jac, r, free_col[s_node], d_ws[:, comp])
            fcol_d, fcol_s = focal_col[d_node], focal_col[s_node]
            np.add.at(jac, (r, fcol_d), d_fd[:, comp])
            np.add.at(jac, (r, fcol_s), d_fs[:, comp])
    return jac


def homography_jacobian(
    h: np.ndarray, h_inv: np.ndarray, a: np.ndarray, b: np.ndarray, src: np.ndarray,
    dst: np.ndarray, free_col: np.ndarray,
) -> np.ndarray:
    """Jacobian of the homography-model residuals (``H_ij = H_j^-1 H_i``; parameters: the first
    eight entries of every free node's ``H``, ``H[2, 2] = 1``).

    Args:
        h, h_inv: ``(N, 3, 3)`` per node and their inverses.
        a, b, src, dst: as in :func:`rotation_jacobian`.
        free_col: ``(N,)`` first of each node's 8 columns (-1 for the reference).
    """
    n = len(a)
    n_cols = int(free_col.max() + 8) if free_col.max() >= 0 else 0
    jac = np.zeros((4 * n, n_cols))
    rows = np.arange(n)
    for half, (s_node, d_node, pts) in enumerate(((src, dst, a), (dst, src, b))):
        m = h_inv[d_node] @ h[s_node]
        q = np.einsum("nij,nj->ni", m, pts)
        u = _proj_jac(q) @ h_inv[d_node]  # (n, 2, 3)
        # d r / d H_s[k, l] = u[:, k] * pts[l];  d r / d H_d[k, l] = -u[:, k] * q[l]
        d_s = (u[:, :, :, None] * pts[:, None, None, :]).reshape(n, 2, 9)[:, :, :8]
        d_d = (-u[:, :, :, None] * q[:, None, None, :]).reshape(n, 2, 9)[:, :, :8]
        for comp in range(2):
            r = 2 * n * half + 2 * rows + comp
            _add_block(jac, r, free_col[s_node], d_s[:, comp])
            _add_block(jac, r, free_col[d_node], d_d[:, comp])
    return jac
