"""Measuring generators with feature networks available offline, each score named for its network.

* **FID-LeNet / KID-LeNet** (28x28 sets): Fréchet distance and kernel (polynomial MMD²) distance
  of the penultimate features of a LeNet classifier trained here on the same set
  (:mod:`oculi.generate.features`). Not Inception FID: numbers are comparable only with other
  FID-LeNet numbers of the same set, feature network and sample size.
* **FID-Lite0** (photos): the same distance on ImageNet EfficientNet-Lite0 pool features
  (:mod:`oculi.generate.extractors`); an Inception-v3 path exists when the user supplies its
  weights file.
* **Precision / recall of the manifold** (Kynkäänniemi et al. 2019): each real (fake) feature is
  the centre of a ball reaching its ``k``-th nearest real (fake) neighbour; precision is the share
  of fake samples inside some real ball, recall the share of real samples inside some fake ball.
* **Class accuracy** of conditional samples (the feature network's classifier, per class) and
  **mode coverage** (the share of classes the samples hit, the entropy of the class shares).

FID depends on the sample size (its bias falls as 1/N): compare scores made with equal N, and
the reference :func:`real_baseline` (two disjoint real halves) at that N.

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a = rng.normal(size=(500, 4)); b = rng.normal(size=(500, 4)) + 1.0
    >>> frechet_distance(a, a) < 1e-6, round(frechet_distance(a, b))
    (True, 4)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from oculi.core.errors import DataError, ShapeError

#: neighbours defining the manifold radius (Kynkäänniemi et al. use k = 3)
PR_NEIGHBOURS = 3
#: torch.cdist without the matrix-product shortcut (exact distances, no round-off ties)
_EXACT = "donot_use_mm_for_euclid_dist"


def _features(x: Any, name: str, min_rows: int = 2) -> np.ndarray:
    """Check a ``(N, D)`` finite feature matrix and return it as float64."""
    f = x.detach().cpu().numpy() if hasattr(x, "detach") else np.asarray(x)
    if f.ndim != 2 or f.shape[1] < 1:
        raise ShapeError(f"{name}: expected a (N, D) feature matrix, got shape {f.shape}")
    if not np.issubdtype(f.dtype, np.number):
        raise DataError(f"{name}: expected numbers, got dtype {f.dtype}")
    f = f.astype(np.float64)
    if not np.isfinite(f).all():
        raise DataError(f"{name}: {int((~np.isfinite(f)).sum())} feature values are NaN or "
                        "infinite")
    if len(f) < min_rows:
        raise DataError(f"{name}: needs at least {min_rows} samples, got {len(f)}")
    return f


def _pair(a: Any, b: Any, min_rows: int = 2) -> tuple[np.ndarray, np.ndarray]:
    fa, fb = _features(a, "features_a", min_rows), _features(b, "features_b", min_rows)
    if fa.shape[1] != fb.shape[1]:
        raise ShapeError(f"features_a and features_b: feature sizes differ ({fa.shape[1]} vs "
                         f"{fb.shape[1]})")
    return fa, fb


def frechet_distance(features_a: Any, features_b: Any) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (the FID formula).

    ``|mu_a - mu_b|² + tr(S_a + S_b - 2 (S_a^½ S_b S_a^½)^½)`` with unbiased covariances; the
    matrix square root of the symmetric product is taken from its eigenvalues (negative round-off
    clipped to 0).

    Args:
        features_a, features_b: ``(N, D)`` and ``(M, D)`` finite features, N and M > D (fewer
            samples than dimensions give a rank-deficient covariance and a meaningless score).

    Raises:
        ShapeError: not 2-D or different D. DataError: NaN/inf, or too few samples.
    """
    fa, fb = _pair(features_a, features_b)
    d = fa.shape[1]
    for name, f in (("features_a", fa), ("features_b", fb)):
        if len(f) <= d:
            raise DataError(f"{name}: {len(f)} samples for {d}-dimensional features — the "
                            f"covariance needs more samples than dimensions (> {d})")
    mu_a, mu_b = fa.mean(0), fb.mean(0)
    s_a, s_b = np.cov(fa, rowvar=False), np.cov(fb, rowvar=False)
    w, v = np.linalg.eigh(s_a)
    root_a = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    inner = root_a @ s_b @ root_a
    cross = np.sqrt(np.clip(np.linalg.eigvalsh((inner + inner.T) / 2), 0, None)).sum()
    value = float(((mu_a - mu_b) ** 2).sum() + np.trace(s_a) + np.trace(s_b) - 2 * cross)
    return max(value, 0.0)


def _poly_mmd(fa: np.ndarray, fb: np.ndarray) -> float:
    """Unbiased MMD² with the cubic polynomial kernel ``(x·y / D + 1)³`` (equal subset sizes)."""
    d = fa.shape[1]
    kaa = (fa @ fa.T / d + 1) ** 3
    kbb = (fb @ fb.T / d + 1) ** 3
    kab = (fa @ fb.T / d + 1) ** 3
    m = fa.shape[0]
    within = (kaa.sum() - np.trace(kaa) + kbb.sum() - np.trace(kbb)) / (m * (m - 1))
    return float(within - 2 * kab.sum() / m**2)


def kernel_distance(features_a: Any, features_b: Any, *, subsets: int = 100,
                    subset_size: int = 1000, seed: int = 0) -> tuple[float, float]:
    """KID: mean and standard deviation over random subsets of the unbiased polynomial MMD²
    (Bińkowski et al. 2018; kernel ``(x·y / D + 1)³``).

    Each subset draws ``subset_size`` rows of A, then of B, without replacement (a torch
    ``randperm`` from a generator seeded with ``seed``; ``subset_size`` is capped at the smaller
    set).

    Returns:
        ``(mean, std)`` over the subsets (std with 1/``subsets``).

    Raises:
        ShapeError / DataError: as :func:`frechet_distance` (at least 2 samples each).
    """
    fa, fb = _pair(features_a, features_b)
    if subsets < 1 or subset_size < 2:
        raise DataError(f"subsets / subset_size: expected >= 1 / >= 2, got {subsets} / "
                        f"{subset_size}")
    import torch

    size = min(subset_size, len(fa), len(fb))
    g = torch.Generator().manual_seed(seed)
    scores = []
    for _ in range(subsets):
        ia = torch.randperm(len(fa), generator=g)[:size].numpy()
        ib = torch.randperm(len(fb), generator=g)[:size].numpy()
        scores.append(_poly_mmd(fa[ia], fb[ib]))
    return float(np.mean(scores)), float(np.std(scores))


def _kth_radius(f: Any, k: int, chunk: int) -> Any:
    """Distance of each row of tensor ``f`` to its ``k``-th nearest other row."""
    import torch

    out = []
    for i in range(0, len(f), chunk):
        d = torch.cdist(f[i:i + chunk], f, compute_mode=_EXACT)
        out.append(d.kthvalue(k + 1, dim=1).values)  # the 1st is the row itself (0)
    return torch.cat(out)


def _inside(query: Any, centres: Any, radii: Any, chunk: int) -> Any:
    """Whether each query row lies within some centre's ball (distance <= radius)."""
    import torch

    hits = []
    for i in range(0, len(query), chunk):
        d = torch.cdist(query[i:i + chunk], centres, compute_mode=_EXACT)
        hits.append((d <= radii[None, :]).any(1))
    return torch.cat(hits)


def precision_recall(real_features: Any, fake_features: Any, *, k: int = PR_NEIGHBOURS,
                     chunk: int = 1024) -> tuple[float, float]:
    """Improved precision and recall of the manifold (Kynkäänniemi et al. 2019).

    Args:
        real_features, fake_features: ``(N, D)`` and ``(M, D)`` features, each with more than
            ``k`` rows.
        k: the neighbour whose distance is each ball's radius.
        chunk: rows per distance block (memory: ``chunk x max(N, M)`` floats).

    Returns:
        ``(precision, recall)`` in [0, 1].
    """
    import torch

    fr, ff = _pair(real_features, fake_features, min_rows=k + 1)
    tr, tf = torch.from_numpy(fr), torch.from_numpy(ff)
    precision = _inside(tf, tr, _kth_radius(tr, k, chunk), chunk).double().mean()
    recall = _inside(tr, tf, _kth_radius(tf, k, chunk), chunk).double().mean()
    return float(precision), float(recall)


def class_accuracy(predicted: Any, labels: Any, num_classes: int = 10) -> dict[str, Any]:
    """How often the classifier names the class a conditional sample was asked for.

    Args:
        predicted: ``(N,)`` predicted classes. labels: ``(N,)`` requested classes.

    Returns:
        ``{"class_accuracy": float, "per_class": [accuracy or None per class]}``.
    """
    p, y = np.asarray(predicted).reshape(-1), np.asarray(labels).reshape(-1)
    if p.shape != y.shape:
        raise ShapeError(f"labels: expected one label per sample ({len(p)}), got {len(y)}")
    if len(y) and (not np.issubdtype(y.dtype, np.integer) or y.min() < 0
                   or y.max() >= num_classes):
        raise DataError(f"labels: expected integers in 0..{num_classes - 1}")
    per = [float((p[y == c] == c).mean()) if (y == c).any() else None
           for c in range(num_classes)]
    return {"class_accuracy": float((p == y).mean()) if len(y) else 0.0, "per_class": per}


def mode_coverage(predicted: Any, num_classes: int = 10) -> dict[str, float]:
    """Mode coverage of samples from their predicted classes.

    Returns:
        ``mode_coverage``: share of the classes holding at least half the uniform share
        (1 / (2 x num_classes)) of the samples; ``class_entropy``: entropy of the class shares
        over log(num_classes) (1 = every class equally often).
    """
    p = np.asarray(predicted).reshape(-1)
    share = np.bincount(p, minlength=num_classes)[:num_classes] / max(len(p), 1)
    nz = share[share > 0]
    entropy = float(-(nz * np.log(nz)).sum() / np.log(num_classes))
    return {"mode_coverage": float((share >= 0.5 / num_classes).mean()),
            "class_entropy": entropy}


def _kid_size(n: int, m: int) -> int:
    return min(1000, n, m)


def scores_from_features(real: np.ndarray, fake: np.ndarray, *, prefix: str = "lenet",
                         kid_subsets: int = 50, pr_max: int = 5000,
                         seed: int = 0) -> dict[str, float]:
    """FID, KID (mean), precision and recall of two feature sets, keys ``fid_<prefix>``,
    ``kid_<prefix>``, ``precision``, ``recall``. Precision/recall use at most ``pr_max`` rows of
    each set (the first ones)."""
    fid = frechet_distance(real, fake)
    kid, _ = kernel_distance(real, fake, subsets=kid_subsets,
                             subset_size=_kid_size(len(real), len(fake)), seed=seed)
    prec, rec = precision_recall(real[:pr_max], fake[:pr_max])
    return {f"fid_{prefix}": fid, f"kid_{prefix}": kid, "precision": prec, "recall": rec}


def generator_scores(fake: Any, real: Any, *, set_name: str,
                     fake_labels: Any = None) -> dict[str, float]:
    """Score generated 28x28 images against real ones with the set's LeNet feature network.

    Args:
        fake: generated images, ``uint8`` or float in [0, 1], ``(N, 28, 28)`` (or with a
            one-plane channel axis); N must exceed 128 (the feature size) for FID.
        real: real images of the same set, same layout (use the test split, N of them).
        set_name: ``mnist`` or ``fashion-mnist``: picks the feature network.
        fake_labels: ``(N,)`` classes the samples were conditioned on (conditional models).

    Returns:
        ``fid_lenet``, ``kid_lenet`` (mean over 50 subsets of up to 1,000), ``precision``,
        ``recall`` (k = 3), ``class_accuracy`` (only with ``fake_labels``), ``mode_coverage``,
        ``class_entropy``, ``feature_accuracy`` (the feature network's test accuracy).

    Raises:
        ShapeError / DTypeError / DataError: bad images (wrong shape, NaN, too few samples).
    """
    from oculi.generate.features import feature_network, lenet_outputs

    net, info = feature_network(set_name)
    ff, fake_pred = lenet_outputs(net, fake, "fake")
    fr, _ = lenet_outputs(net, real, "real")
    out = scores_from_features(fr, ff)
    if fake_labels is not None:
        out["class_accuracy"] = class_accuracy(fake_pred, fake_labels)["class_accuracy"]
    out.update(mode_coverage(fake_pred))
    out["feature_accuracy"] = float(info["test_accuracy"])
    return out


def real_baseline(set_name: str, *, n: int | None = None, seed: int = 0) -> dict[str, Any]:
    """FID-LeNet / KID-LeNet / precision / recall between two disjoint random halves of the
    set's test split: the score a perfect generator would get with ``n`` samples.

    Args:
        set_name: ``mnist`` or ``fashion-mnist``.
        n: samples per half (None: half the test split; at most half of it).
        seed: which halves.

    Returns:
        The metric keys of :func:`scores_from_features` plus ``n``, ``split`` and
        ``feature_accuracy``.
    """
    from oculi.data.digits import load_digits
    from oculi.generate.features import feature_network, lenet_outputs

    x, _ = load_digits(set_name, "test")
    half = len(x) // 2
    n = half if n is None else int(n)
    if not 128 < n <= half:
        raise DataError(f"n: expected 129..{half} samples per half of the {set_name} test "
                        f"split, got {n}")
    order = np.random.default_rng(seed).permutation(len(x))
    net, info = feature_network(set_name)
    fa, _ = lenet_outputs(net, x[order[:n]], "real half A")
    fb, _ = lenet_outputs(net, x[order[half:half + n]], "real half B")
    out: dict[str, Any] = scores_from_features(fa, fb, seed=seed)
    out.update({"n": n, "split": "test", "feature_accuracy": float(info["test_accuracy"])})
    return out


__all__ = ["PR_NEIGHBOURS", "class_accuracy", "frechet_distance", "generator_scores",
           "kernel_distance", "mode_coverage", "precision_recall", "real_baseline",
           "scores_from_features"]
