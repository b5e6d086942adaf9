"""The fast Horn–Schunck solvers equal the simple reference sweeps of ``_hs_kernels``."""

from __future__ import annotations

import numpy as np
import pytest

from oculi.flow import _hs_blocked as fast
from oculi.flow import _hs_kernels as ref

F32 = np.float32
STENCILS = {"hs": (1 / 6, 1 / 12), "4": (0.25, 0.0)}


def _problem(rng, h, w):
    ix, iy, it = (rng.normal(0, 10, (h, w)).astype(F32) for _ in range(3))
    u0, v0 = (rng.normal(0, 1, (h, w)).astype(F32) for _ in range(2))
    return u0, v0, ix, iy, it


def _solve(module, solver, problem, *, stencil="hs", iters=7, robust=False, tol=0.0, **kw):
    u0, v0, ix, iy, it = problem
    we, wd = STENCILS[stencil]
    # eps2 = 1: the generalised Charbonnier weight is smooth, so float rounding stays small
    common = (F32(9.0), F32(we), F32(wd))
    u, v = u0.copy(), v0.copy()
    if solver == "sor":
        n = module.sor_solve(u, v, u0, v0, ix, iy, it, *common, F32(1.9), iters, F32(tol), robust,
                             F32(1.0), F32(0.5), **kw)
    else:
        n = module.jacobi_solve(u, v, u0, v0, ix, iy, it, *common, iters, robust, F32(1.0),
                                F32(0.5), **kw)
    return u, v, n


@pytest.mark.parametrize("solver", ["sor", "jacobi"])
@pytest.mark.parametrize("robust", [False, True])
@pytest.mark.parametrize(("h", "w", "stencil"), [(23, 31, "hs"), (24, 30, "4"), (150, 133, "hs")])
def test_fast_solver_equals_reference_sweeps(rng, solver, robust, h, w, stencil):
    problem = _problem(rng, h, w)
    ru, rv, rn = _solve(ref, solver, problem, stencil=stencil, robust=robust)
    # several bands (parallel) and several blocks of sweeps per call
    fu, fv, fn = _solve(fast, solver, problem, stencil=stencil, robust=robust, n_bands=3,
                        block=3)
    assert fn == rn == 7
    np.testing.assert_allclose(fu, ru, atol=1e-4)
    np.testing.assert_allclose(fv, rv, atol=1e-4)


@pytest.mark.parametrize("solver", ["sor", "jacobi"])
def test_result_does_not_depend_on_bands_or_threads(rng, solver):
    problem = _problem(rng, 300, 97)
    one = _solve(fast, solver, problem, iters=20, robust=True, n_bands=1, block=7)
    four = _solve(fast, solver, problem, iters=20, robust=True, n_bands=4, block=7)
    assert np.array_equal(one[0], four[0])
    assert np.array_equal(one[1], four[1])


def test_sor_tolerance_stops_at_the_end_of_a_block(rng):
    problem = _problem(rng, 140, 70)
    ru, rv, rn = _solve(ref, "sor", problem, iters=400, tol=1e-3)
    fu, fv, fn = _solve(fast, "sor", problem, iters=400, tol=1e-3, n_bands=2, block=8)
    assert rn < 400
    assert rn <= fn < rn + 8  # the block in which the largest change fell below tol
    np.testing.assert_allclose(fu, ru, atol=1e-2)
    np.testing.assert_allclose(fv, rv, atol=1e-2)


def test_buffers_kept_between_calls_do_not_leak_into_results(rng):
    # 29 and 30 columns share the split layout's width; the odd half's last slot is a
    # neighbour (zero) for one and a pixel for the other
    for w in (30, 29, 30, 29):
        problem = _problem(rng, 40, w)
        for solver in ("sor", "jacobi"):
            ru, rv, _ = _solve(ref, solver, problem)
            fu, fv, _ = _solve(fast, solver, problem, block=4)
            np.testing.assert_allclose(fu, ru, atol=1e-4)
            np.testing.assert_allclose(fv, rv, atol=1e-4)


@pytest.mark.parametrize("solver", ["sor", "jacobi"])
@pytest.mark.parametrize("shape", [(40, 50), (3, 3)])
def test_linearisation_point_may_be_the_flow_itself(rng, solver, shape):
    problem = _problem(rng, *shape)
    u0, v0, ix, iy, it = problem
    fu, fv, _ = _solve(fast, solver, problem, robust=True)
    u, v = u0.copy(), v0.copy()
    args = (F32(9.0), F32(1 / 6), F32(1 / 12))
    if solver == "sor":
        fast.sor_solve(u, v, u, v, ix, iy, it, *args, F32(1.9), 7, F32(0.0), True, F32(1.0),
                       F32(0.5))
    else:
        fast.jacobi_solve(u, v, u, v, ix, iy, it, *args, 7, True, F32(1.0), F32(0.5))
    assert np.array_equal(u, fu)
    assert np.array_equal(v, fv)
