"""Robust estimation of 2D transforms: LO-RANSAC with MAGSAC++ scoring, adaptive iterations and a
final refit (LM on the inliers, then the model marginalised over the noise scale).

One engine serves three models, registered in :data:`models` (``homography`` 4 points,
``affine`` 3, ``similarity`` 2):

1. hypotheses from random minimal samples, drawn in batches and solved in closed form together;
   samples with three (nearly) collinear points, or (homography) with mixed orientation of
   their point triples, are rejected before solving;
2. each hypothesis is scored by MAGSAC++ (Barath et al. 2020: the inlier noise scale ``sigma``
   marginalised over ``[0, threshold]``; ``oculi.geometry._scoring`` derives the loss and its
   weights) or, with ``scoring="msac"``, by MSAC (truncated quadratic of the one-sided
   reprojection error); an exact pre-test skips the full score of a hypothesis whose lower
   bound (every residual beyond the loss's cut-off costs the maximum) cannot beat the best;
3. every new best is locally optimised (Lebeda et al. 2012): inner RANSAC on non-minimal samples
   of its inliers, each followed by iteratively re-weighted least squares with a shrinking
   threshold; candidates are ranked by the same score;
4. the number of iterations adapts to the best inlier ratio ``w`` (inliers: residual within the
   threshold): ``k = log(1 - confidence) / log(1 - w^s)``;
5. final refit. First the MSAC refit: the model is refined on its inliers (homography: LM;
   affine/similarity: linear least squares, exact for this error) until the inlier set is
   stable, and a homography gets a soft-L1 polish on the points within 3x the threshold. With
   MAGSAC++ scoring the model is then marginalised over the noise scale, as MAGSAC's
   sigma-consensus does (Barath et al. 2019, 2020): for ten noise scales ``sigma_max_j`` evenly
   spread over ``(0, 10/3 * threshold]`` (10 px at the default 3 px), two IRLS steps with the
   MAGSAC++ weights of ``sigma_max_j`` for a 4-D residual (a correspondence is a point in 4-D)
   (weighted normalised DLT or linear least squares), and the final model is fitted to the mean
   of the ten models' images of the supporting points. The marginalised model is kept only if
   it keeps 90 % of the MSAC refit's inliers (few, clustered inliers: the wide scales would
   pull the model off).

On the HPatches/Oxford ground-truth pairs with identical SIFT matches (``bench/geometry.py``,
docs/features.md "Estimator") MAGSAC++ scoring with this refit has a lower median corner error
than MSAC scoring and than OpenCV's ``USAC_MAGSAC`` and is at most MAGSAC's on 9 of the 11
pairs; it is the default. It loses on Oxford graf 1-3 (3.58 vs 3.42 px) and on dogman 1-4,
which no method solves (> 10 px). Starting the marginalisation from the MSAC refit rather than
from the LO model is what wins the large viewpoint changes (churchill 1-6: 3.37 vs 4.57 px);
noise scales up to 2x or 8/3x the threshold gave 7 of the 11 pairs, a 2-D residual 7-8. On
synthetic data with matches displaced 2-8 px the wide scales cost accuracy
(tests/geometry/test_scoring.py).

    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> H = np.array([[0.9, 0.1, 20.0], [-0.1, 1.0, 5.0], [2e-4, 1e-4, 1.0]])
    >>> x1 = rng.uniform(0, 640, (200, 2))
    >>> from oculi.geometry.transforms import transform_points
    >>> x2 = transform_points(H, x1) + rng.normal(0, 0.5, (200, 2))
    >>> x2[:60] = rng.uniform(0, 640, (60, 2))          # 30% outliers
    >>> est = estimate_homography(x1, x2, threshold=2.0)
    >>> int(est.inliers[60:].sum()) >= 135, bool(est.inliers[:60].sum() <= 2)
    (True, True)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from oculi.core.checks import check_choice, check_positive
from oculi.core.errors import NoMatchError, ParameterError, ShapeError
from oculi.core.registry import Registry
from oculi.geometry import _solvers as S
from oculi.geometry._scoring import QUALITIES, MagsacQuality
from oculi.geometry.refine import refine_homography
from oculi.geometry.transforms import as_points, transform_points


@dataclass(frozen=True)
class ModelSpec:
    """How to fit one kind of transform: sample size and the solvers."""

    name: str
    sample_size: int
    minimal: Callable[[np.ndarray, np.ndarray], np.ndarray]
    fit: Callable[..., np.ndarray]  # (xy1, xy2, weights=None) -> 3x3
    degenerate: Callable[[np.ndarray, np.ndarray], np.ndarray]
    polish: Callable[..., np.ndarray] | None = None  # (H, xy1, xy2) -> 3x3, nonlinear


_COLLINEAR_TOL = 1e-3
#: soft threshold of the final robust polish, as a fraction of the inlier threshold; chosen on
#: the ground-truth pairs (bench/geometry.py): 0.6 t beat 1.0 t and the hard-inlier refit
_POLISH_SCALE = 0.6
#: inner RANSAC samples of each local optimisation
_LO_INNER = 5
#: the final refit marginalises the model over noise scales up to this multiple of the inlier
#: threshold (10 px at the default 3 px); chosen on the ground-truth pairs (bench/geometry.py):
#: with scales up to 2 or 8/3 of it the estimate is <= OpenCV's USAC_MAGSAC on 7 of 11 pairs,
#: with 10/3 on 9
_SIGMA_MAX_SCALE = 10.0 / 3.0
#: degrees of freedom of the refit's noise model: a correspondence (x1, y1, x2, y2) is a point
#: in 4-D (the scoring keeps 2, the dimension of the transfer error); 2 measured worse here
_SIGMA_DOF = 4
#: the refit is kept only if it keeps this share of the inliers of the model it started from
_SIGMA_KEEP = 0.9
#: noise scales the final refit averages over (an even partition of (0, sigma_max])
_SIGMA_PARTS = 10
#: IRLS steps per noise scale of the final refit
_SIGMA_STEPS = 2


def _degenerate_h(p1: np.ndarray, p2: np.ndarray) -> np.ndarray:
    return (
        S.collinear_any(p1, _COLLINEAR_TOL)
        | S.collinear_any(p2, _COLLINEAR_TOL)
        | S.orientation_flipped(p1, p2)
    )


def _degenerate_a(p1: np.ndarray, p2: np.ndarray) -> np.ndarray:
    return S.collinear_any(p1, _COLLINEAR_TOL) | S.collinear_any(p2, _COLLINEAR_TOL)


def _degenerate_s(p1: np.ndarray, p2: np.ndarray) -> np.ndarray:
    d1 = np.linalg.norm(p1[:, 1] - p1[:, 0], axis=1)
    d2 = np.linalg.norm(p2[:, 1] - p2[:, 0], axis=1)
    return (d1 < 1e-6) | (d2 < 1e-6)


models: Registry[ModelSpec] = Registry("geometric model")
models.register("homography", help="8-dof projective map, 4-point samples")(
    ModelSpec("homography", 4, S.minimal_homography, S.dlt_homography, _degenerate_h,
              refine_homography)
)
models.register("affine", help="6-dof affine map, 3-point samples")(
    ModelSpec("affine", 3, S.minimal_affine, S.lstsq_affine, _degenerate_a)
)
models.register("similarity", help="4-dof rotation + uniform scale + shift, 2-point samples")(
    ModelSpec("similarity", 2, S.minimal_similarity, S.lstsq_similarity, _degenerate_s)
)


@dataclass(frozen=True)
class Estimate:
    """A robustly estimated transform and its support.

    Attributes:
        model: ``(3, 3)`` float64 matrix mapping ``[x, y, 1]`` of image 1 to image 2.
        inliers: ``(N,)`` bool, residual <= ``threshold``.
        residuals: ``(N,)`` float64 one-sided reprojection errors ``|model x1 - x2|`` in pixels.
        threshold: the inlier threshold in pixels.
        kind: ``"homography"``, ``"affine"`` or ``"similarity"``.
        iterations: hypotheses drawn (degenerate samples included).
    """

    model: np.ndarray
    inliers: np.ndarray
    residuals: np.ndarray
    threshold: float
    kind: str
    iterations: int

    @property
    def n_inliers(self) -> int:
        """Number of inliers."""
        return int(self.inliers.sum())

    @property
    def inlier_ratio(self) -> float:
        """Inliers / correspondences."""
        return self.n_inliers / max(len(self.inliers), 1)

    @property
    def rms(self) -> float:
        """Root-mean-square residual of the inliers, pixels (NaN without inliers)."""
        r = self.residuals[self.inliers]
        return float(np.sqrt(np.mean(r**2))) if len(r) else float("nan")

    def as_dict(self) -> dict[str, Any]:
        """Plain numbers for JSON (the mask and residuals are omitted)."""
        return {
            "kind": self.kind, "model": self.model.tolist(), "n_inliers": self.n_inliers,
            "n_matches": len(self.inliers), "inlier_ratio": self.inlier_ratio,
            "rms_px": self.rms, "threshold_px": self.threshold, "iterations": self.iterations,
        }


def _sq_errors(models_: np.ndarray, xy1: np.ndarray, xy2: np.ndarray) -> np.ndarray:
    """``(B, N)`` squared one-sided reprojection errors of B models; non-finite -> inf."""
    q = np.einsum("bij,nj->bni", models_[:, :, :2], xy1) + models_[:, None, :, 2]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        d = q[..., :2] / q[..., 2:3] - xy2
        e = (d**2).sum(-1)
    e[~np.isfinite(e)] = np.inf
    return e


def _sample(rng: np.random.Generator, n: int, k: int, b: int) -> np.ndarray:
    """Up to ``b`` rows of ``k`` distinct indices in ``[0, n)``."""
    idx = rng.integers(0, n, (2 * b + 8, k))
    srt = np.sort(idx, axis=1)
    ok = (np.diff(srt, axis=1) > 0).all(axis=1)
    return idx[ok][:b]


def ransac_iterations(n_inliers: int, n: int, k: int, confidence: float, cap: int) -> int:
    """Samples still needed so that, with inlier ratio ``n_inliers / n`` and minimal samples of
    ``k``, one all-inlier sample is drawn with probability ``confidence`` (at most ``cap``).

    >>> ransac_iterations(50, 100, 4, 0.99, 10_000)
    72
    """
    w = n_inliers / n
    if w >= 1.0:
        return 0
    p = w**k
    if p <= 0:
        return cap
    denom = math.log1p(-p)
    if denom >= 0:
        return cap
    return min(cap, math.ceil(math.log(1.0 - confidence) / denom))


def _best_hypothesis(hyp: np.ndarray, xy1, xy2, quality, best_score: float):
    """Index and score of the best of ``hyp (B, 3, 3)`` if it beats ``best_score``, else
    ``(None, best_score)``. Exact pre-test: a hypothesis whose lower bound
    (``quality.bound``) cannot beat the best is not scored in full."""
    err2 = _sq_errors(hyp, xy1, xy2)
    live = np.flatnonzero(quality.bound(err2) < best_score)
    if len(live) == 0:
        return None, best_score
    scores = quality.score(err2[live])
    j = int(np.argmin(scores))
    if scores[j] < best_score:
        return int(live[j]), float(scores[j])
    return None, best_score


def _iterative_ls(spec: ModelSpec, model: np.ndarray, xy1, xy2, t2: float, mult: float = 3.0,
                  steps: int = 4) -> np.ndarray:
    """LO step: least squares on the inliers of a threshold shrinking from ``mult*t`` to ``t``,
    weighted by a Cauchy-like kernel of the current residual."""
    for i in range(steps):
        thr2 = t2 * (mult - (mult - 1.0) * i / max(steps - 1, 1)) ** 2
        e2 = _sq_errors(model[None], xy1, xy2)[0]
        sel = e2 <= thr2
        if sel.sum() < max(spec.sample_size * 2, spec.sample_size + 1):
            break
        w = 1.0 / (1.0 + e2[sel] / t2)
        cand = spec.fit(xy1[sel], xy2[sel], w)
        if not np.all(np.isfinite(cand)):
            break
        model = cand
    return model


def _local_optimisation(spec, model, xy1, xy2, t2, rng, best_score, quality):
    best = model
    e2 = _sq_errors(model[None], xy1, xy2)[0]
    inl = np.flatnonzero(e2 <= t2)
    cand = _iterative_ls(spec, model, xy1, xy2, t2)
    score = float(quality.score(_sq_errors(cand[None], xy1, xy2)[0]))
    if score < best_score:
        best, best_score = cand, score
    m = min(len(inl) // 2, 7 * spec.sample_size)
    if m > spec.sample_size:
        for _ in range(_LO_INNER):
            sub = rng.choice(inl, m, replace=False)
            cand = spec.fit(xy1[sub], xy2[sub])
            if not np.all(np.isfinite(cand)):
                continue
            cand = _iterative_ls(spec, cand, xy1, xy2, t2)
            score = float(quality.score(_sq_errors(cand[None], xy1, xy2)[0]))
            if score < best_score:
                best, best_score = cand, score
    return best, best_score


def estimate_transform(
    xy1: Any,
    xy2: Any,
    model: str = "homography",
    *,
    threshold: float = 3.0,
    confidence: float = 0.999,
    max_iterations: int = 10000,
    seed: int | None = 0,
    local_optimisation: bool = True,
    refine: bool = True,
    batch: int = 64,
    min_inliers: int | None = None,
    scoring: str = "magsac",
) -> Estimate:
    """Robustly fit a transform to correspondences ``xy1[i] <-> xy2[i]`` (see module docs).

    Args:
        xy1, xy2: ``(N, 2)`` points ``(x, y)`` in pixels of images 1 and 2.
        model: ``"homography"``, ``"affine"`` or ``"similarity"`` (``models.names()``).
        threshold: inlier threshold on the one-sided reprojection error, pixels.
        confidence: probability of having drawn one all-inlier sample, in (0, 1).
        max_iterations: cap on the hypotheses drawn.
        seed: random seed (``None``: fresh entropy).
        local_optimisation: run LO on every new best hypothesis.
        refine: final refinement on the inliers.
        batch: hypotheses solved per vectorised step.
        min_inliers: give up (``NoMatchError``) once enough hypotheses were drawn to have found,
            with probability ``confidence``, a model with this many inliers, if none was found
            (callers that reject weaker models anyway, e.g. image pairs that do not overlap).
        scoring: model quality of hypotheses and LO candidates, and the final refit:
            ``"magsac"`` (MAGSAC++: the noise scale marginalised over ``[0, threshold]``, so
            residuals up to about ``3 * threshold`` carry weight; final LM on the inliers, then
            the model marginalised over noise scales up to ``10/3 * threshold``) or ``"msac"``
            (truncated quadratic at ``threshold``; final LM on the inliers and a soft-L1
            polish only).

    Returns:
        :class:`Estimate` with the model, inlier mask and residuals.

    Raises:
        ShapeError: mismatched point arrays.
        ParameterError: a bad threshold or confidence.
        NoMatchError: fewer points than the sample size, or no valid hypothesis (all samples
            degenerate, no inliers).
    """
    spec: ModelSpec = models.get(model)
    a, b = as_points(xy1, "xy1"), as_points(xy2, "xy2")
    if a.shape != b.shape:
        raise ShapeError(f"xy1 and xy2: expected the same number of points, got {len(a)} and "
                         f"{len(b)}")
    check_positive(threshold, "threshold")
    check_choice(scoring, QUALITIES, "scoring")
    if not 0 < confidence < 1:
        raise ParameterError(f"confidence: expected a number in (0, 1), got {confidence!r}")
    finite = np.isfinite(a).all(1) & np.isfinite(b).all(1)
    n, k = len(a), spec.sample_size
    if finite.sum() < k:
        raise NoMatchError(
            f"{spec.name}: need at least {k} correspondences, got {int(finite.sum())}"
        )
    fa, fb = a[finite], b[finite]
    nf = len(fa)
    rng = np.random.default_rng(seed)
    t2 = float(threshold) ** 2
    quality = QUALITIES[scoring](threshold)  # MAGSAC++: sigma_max = threshold
    best, best_score, best_inl = None, np.inf, 0
    iters, needed = 0, max_iterations
    give_up = max_iterations + 1
    if min_inliers is not None:
        if min_inliers > nf:
            raise NoMatchError(f"{spec.name}: {nf} correspondences, fewer than the "
                               f"{min_inliers} inliers asked for")
        give_up = ransac_iterations(max(min_inliers, k), nf, k, confidence, max_iterations)
    while iters < needed:
        if iters >= give_up and best_inl < min_inliers:
            raise NoMatchError(
                f"{spec.name}: no model with {min_inliers} inliers among {n} correspondences "
                f"after {iters} hypotheses (best: {best_inl})")
        idx = _sample(rng, nf, k, min(batch, needed - iters))
        if len(idx) == 0:  # nf == k with repeats only: use the one sample there is
            idx = np.arange(k)[None]
        iters += len(idx)
        s1, s2 = fa[idx], fb[idx]
        ok = ~spec.degenerate(s1, s2)
        if not ok.any():
            continue
        hyp = spec.minimal(s1[ok], s2[ok])
        hyp = hyp[np.isfinite(hyp).all(axis=(1, 2))]
        if len(hyp) == 0:
            continue
        j, score = _best_hypothesis(hyp, fa, fb, quality, best_score)
        if j is not None:
            best, best_score = hyp[j], score
            if local_optimisation:
                best, best_score = _local_optimisation(spec, best, fa, fb, t2, rng, best_score,
                                                         quality)
            best_inl = int((_sq_errors(best[None], fa, fb)[0] <= t2).sum())
            needed = ransac_iterations(best_inl, nf, k, confidence, max_iterations)
    if best is None or best_inl < k:
        raise NoMatchError(
            f"{spec.name}: no consistent model among {n} correspondences "
            f"({iters} hypotheses; points collinear or no {k} agree within {threshold:g} px)"
        )
    if refine:
        best = _refit(spec, best, fa, fb, t2, quality)
    res = np.full(n, np.inf)
    res[finite] = np.sqrt(_sq_errors(best[None], fa, fb)[0])
    return Estimate(best / best[2, 2], res <= threshold, res, float(threshold), spec.name, iters)


def _refit(spec: ModelSpec, model, xy1, xy2, t2: float, quality) -> np.ndarray:
    """The final refit of the scoring in use (module docs, step 5)."""
    model = _final_refinement(spec, model, xy1, xy2, t2)
    if not isinstance(quality, MagsacQuality):
        return model
    cand = _sigma_consensus(spec, model, xy1, xy2, _SIGMA_MAX_SCALE * math.sqrt(t2))
    # fallback: a refit that lost a tenth of the inliers was pulled off by the wide scales
    inl = (_sq_errors(np.stack([model, cand]), xy1, xy2) <= t2).sum(axis=1)
    return cand if inl[1] >= _SIGMA_KEEP * inl[0] else model


def _final_refinement(spec: ModelSpec, model, xy1, xy2, t2: float) -> np.ndarray:
    prev = None
    for _ in range(4):
        inl = _sq_errors(model[None], xy1, xy2)[0] <= t2
        if inl.sum() < spec.sample_size or (prev is not None and np.array_equal(inl, prev)):
            break
        prev = inl
        if spec.polish is not None:
            cand = spec.polish(model, xy1[inl], xy2[inl])
        else:
            cand = spec.fit(xy1[inl], xy2[inl])
        if not np.all(np.isfinite(cand)):
            break
        model = cand
    if spec.polish is not None:  # robust polish: soft-L1 on the points within 3 t, by IRLS
        c2 = (_POLISH_SCALE**2) * t2
        for _ in range(3):
            e2 = _sq_errors(model[None], xy1, xy2)[0]
            sel = e2 <= 9.0 * t2
            if sel.sum() < 2 * spec.sample_size:
                break
            w = 1.0 / np.sqrt(1.0 + e2[sel] / c2)  # soft-L1 weights rho'(r^2)
            cand = spec.polish(model, xy1[sel], xy2[sel], weights=w)
            if not np.all(np.isfinite(cand)):
                break
            model = cand
    return model


def _sigma_consensus(spec: ModelSpec, model, xy1, xy2, sigma_max: float,
                     dof: int = _SIGMA_DOF) -> np.ndarray:
    """MAGSAC++ final refit with the model marginalised over the noise scale (module docs, step
    5): for each ``sigma_max_j = j sigma_max / _SIGMA_PARTS`` IRLS from ``model`` with the MAGSAC++
    weights of ``sigma_max_j`` (weighted linear fits: normalised DLT for a homography); the
    result is the fit to the mean of these models' images of the points that carry
    weight at ``sigma_max`` (an average in the image, independent of the parametrisation).
    ``model`` itself is returned when fewer than ``2 * sample_size`` points carry weight or
    every fit degenerates."""
    support = MagsacQuality(sigma_max, dof).table_weights(_sq_errors(model[None], xy1, xy2)[0]) > 0
    if support.sum() < 2 * spec.sample_size:
        return model
    fits = []
    for j in range(1, _SIGMA_PARTS + 1):
        quality = MagsacQuality(sigma_max * j / _SIGMA_PARTS, dof)
        cand = model
        for _ in range(_SIGMA_STEPS):
            w = quality.table_weights(_sq_errors(cand[None], xy1, xy2)[0])
            sel = w > 0
            if sel.sum() < 2 * spec.sample_size:
                break
            nxt = spec.fit(xy1[sel], xy2[sel], w[sel])
            if not np.all(np.isfinite(nxt)):
                break
            cand = nxt
        fits.append(cand)
    images = np.stack([transform_points(m, xy1[support]) for m in fits])
    # a near-degenerate model can send a point to infinity: such points take no part
    ok = np.isfinite(images).all(axis=(0, 2))
    if ok.sum() < 2 * spec.sample_size:
        return model
    out = spec.fit(xy1[support][ok], images[:, ok].mean(axis=0))
    return out if np.all(np.isfinite(out)) else model


def estimate_homography(xy1: Any, xy2: Any, **kwargs: Any) -> Estimate:
    """Robust homography (image 1 -> image 2); see :func:`estimate_transform` for arguments."""
    return estimate_transform(xy1, xy2, "homography", **kwargs)


def estimate_affine(xy1: Any, xy2: Any, **kwargs: Any) -> Estimate:
    """Robust affine map; see :func:`estimate_transform`."""
    return estimate_transform(xy1, xy2, "affine", **kwargs)


def estimate_similarity(xy1: Any, xy2: Any, **kwargs: Any) -> Estimate:
    """Robust similarity (rotation, uniform scale, shift); see :func:`estimate_transform`."""
    return estimate_transform(xy1, xy2, "similarity", **kwargs)


def fit_homography(xy1: Any, xy2: Any, *, refine: bool = True) -> np.ndarray:
    """Non-robust homography from all correspondences: normalised DLT, then LM (N >= 4).

    Raises:
        NoMatchError: fewer than 4 points or a degenerate configuration.
    """
    a, b = as_points(xy1, "xy1"), as_points(xy2, "xy2")
    if len(a) < 4 or len(a) != len(b):
        raise NoMatchError(f"homography: need >= 4 matched points, got {len(a)} and {len(b)}")
    h = S.dlt_homography(a, b)
    if not np.all(np.isfinite(h)):
        raise NoMatchError("homography: degenerate point configuration (collinear points?)")
    return refine_homography(h, a, b) if refine else h
