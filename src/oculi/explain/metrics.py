"""Faithfulness of explanation maps, measured by perturbing the input (batched, no gradients).

* deletion / insertion AUC (Petsiuk et al. 2018, RISE): the target probability while the most
  important pixels are removed (replaced by black; lower AUC is better) or revealed on a blurred
  copy (higher is better);
* ROAD (Rong et al. 2022): removal with noisy linear imputation instead of a constant, most
  relevant first (MoRF, lower is better) and least relevant first (LeRF, higher is better);
* average drop and increase in confidence (Chattopadhay et al. 2018): the image multiplied by the
  map, compared with the full image;
* the pointing game (Zhang et al. 2016): whether the map's maximum falls in a box.

Maps are ``(N, H, W)`` float tensors at the input size (any scale; only the order of values matters
except for the average drop, which expects [0, 1]).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from oculi.core.checks import check_choice, check_positive
from oculi.core.errors import ParameterError, ShapeError
from oculi.explain._hooks import (
    OutputSelector,
    check_images,
    make_targets,
    model_guard,
    select_output,
)


def _probs(model: nn.Module, x: torch.Tensor, t: torch.Tensor, output: OutputSelector,
           batch_size: int) -> torch.Tensor:
    """Softmax probability of class ``t[i]`` for each image ``x[i]``, in batches."""
    out = []
    for i in range(0, len(x), batch_size):
        logits = select_output(model(x[i : i + batch_size]), output)
        out.append(logits.float().softmax(1).gather(1, t[i : i + batch_size, None])[:, 0])
    return torch.cat(out) if out else torch.empty(0)


def _check_maps(maps: torch.Tensor, images: torch.Tensor) -> torch.Tensor:
    maps = torch.as_tensor(maps, dtype=torch.float32, device=images.device)
    if maps.shape != (images.shape[0], *images.shape[-2:]):
        raise ShapeError(
            f"maps: expected shape {(images.shape[0], *images.shape[-2:])} (N, H, W), "
            f"got {tuple(maps.shape)}"
        )
    return maps


def _targets(model: nn.Module, images: torch.Tensor, targets: Any, output: OutputSelector,
             batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """One class per image ``(N,)`` and its softmax probability on the unperturbed image."""
    logits = torch.cat([select_output(model(images[i : i + batch_size]), output)
                        for i in range(0, len(images), batch_size)])
    t, multi = make_targets(targets, logits)
    if multi:
        raise ShapeError("targets: metrics take one class per image")
    return t[:, 0], logits.float().softmax(1).gather(1, t)[:, 0]


def _ranks(maps: torch.Tensor) -> torch.Tensor:
    """Rank of every pixel, 0 = most important (ties broken by position), ``(N, H*W)``."""
    flat = maps.flatten(1)
    order = torch.argsort(flat, dim=1, descending=True, stable=True)
    ranks = torch.empty_like(order)
    ranks.scatter_(1, order, torch.arange(flat.shape[1], device=flat.device).expand_as(order))
    return ranks


def blur(images: torch.Tensor, sigma: float = 5.0, size: int = 11) -> torch.Tensor:
    """Gaussian blur of an NCHW batch (RISE's insertion start: 11x11 kernel, sigma 5)."""
    import torchvision.transforms.functional as TF

    return TF.gaussian_blur(images, [size, size], [sigma, sigma])


@torch.no_grad()
def perturbation_curve(
    model: nn.Module, images: torch.Tensor, maps: torch.Tensor, targets: Any = None, *,
    mode: str = "deletion", steps: int = 32, fill: str | float = "mean", batch_size: int = 64,
    output: OutputSelector = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The deletion or insertion curve: ``(fractions (steps+1,), probs (N, steps+1))``.

    Deletion replaces the top ``f`` fraction of pixels (by map value) with ``fill``: ``"mean"``
    (the model's normalisation mean, i.e. RISE's zero in normalised space; 0.5 when the model has
    none), ``"black"``, ``"blur"`` or a value in [0, 1]. Insertion copies the pixels onto a
    blurred image.
    """
    check_positive(steps, "steps")
    check_choice(mode, ("deletion", "insertion"), "mode")
    check_images(images, model)
    maps = _check_maps(maps, images)
    n, _, h, w = images.shape
    with model_guard(model):
        t, _ = _targets(model, images, targets, output, batch_size)
        ranks = _ranks(maps).view(n, 1, h, w)
        counts = torch.round(torch.linspace(0, h * w, steps + 1)).long().to(images.device)
        start = images if mode == "deletion" else blur(images)
        end = _fill(model, images, fill) if mode == "deletion" else images
        probs = torch.empty(n, steps + 1)
        per = max(1, batch_size)
        for i in range(n):
            for s0 in range(0, steps + 1, per):
                c = counts[s0 : s0 + per].view(-1, 1, 1, 1)
                m = (ranks[i : i + 1] < c).to(images.dtype)
                x = start[i] * (1 - m) + end[i] * m
                probs[i, s0 : s0 + per] = _probs(model, x, t[i].expand(len(x)), output, per)
    return counts.float().cpu() / (h * w), probs


def _fill(model: nn.Module, images: torch.Tensor, fill: str | float) -> torch.Tensor:
    """The deletion substrate for ``images``."""
    if fill == "black":
        return torch.zeros_like(images)
    if fill == "blur":
        return blur(images)
    if fill == "mean":
        spec = getattr(model, "spec", None)
        mean = getattr(spec, "mean", None)
        value = torch.tensor(mean if mean is not None else [0.5] * images.shape[1])
        return value.to(images).view(1, -1, 1, 1).expand_as(images)
    if isinstance(fill, (int, float)) and 0 <= fill <= 1:
        return torch.full_like(images, float(fill))
    raise ParameterError(
        f"fill: expected 'mean', 'black', 'blur' or a value in [0, 1], got {fill!r}"
    )


def _auc(probs: torch.Tensor) -> torch.Tensor:
    """Trapezoid area under curves sampled evenly on [0, 1]: ``(N, S+1) -> (N,)``."""
    return ((probs[:, 1:] + probs[:, :-1]) / 2).mean(1)


def deletion_auc(model: nn.Module, images: torch.Tensor, maps: torch.Tensor, targets: Any = None,
                 **kw: Any) -> torch.Tensor:
    """Deletion AUC per image ``(N,)`` in [0, 1]; lower is more faithful."""
    return _auc(perturbation_curve(model, images, maps, targets, mode="deletion", **kw)[1])


def insertion_auc(model: nn.Module, images: torch.Tensor, maps: torch.Tensor,
                  targets: Any = None, **kw: Any) -> torch.Tensor:
    """Insertion AUC per image ``(N,)`` in [0, 1]; higher is more faithful."""
    return _auc(perturbation_curve(model, images, maps, targets, mode="insertion", **kw)[1])


@torch.no_grad()
def confidence_change(model: nn.Module, images: torch.Tensor, maps: torch.Tensor,
                      targets: Any = None, *, batch_size: int = 64,
                      output: OutputSelector = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-image drop ``max(0, Y - O) / Y`` and increase ``O > Y`` (Chattopadhay et al.), where
    ``Y`` is the target probability on the image and ``O`` on the image times its map in [0, 1].
    Averages times 100 are the paper's "average drop %" and "increase in confidence %"."""
    check_images(images, model)
    maps = _check_maps(maps, images).clamp(0, 1)
    with model_guard(model):
        t, y = _targets(model, images, targets, output, batch_size)
        o = _probs(model, images * maps[:, None], t, output, batch_size)
    return (y - o).clamp_min(0) / y.clamp_min(1e-12), (o > y).float()


# --------------------------------------------------------------------------- ROAD
_NEIGHBOURS = ((1, 1, 1 / 12), (0, 1, 1 / 6), (-1, 1, 1 / 12), (1, -1, 1 / 12),
               (0, -1, 1 / 6), (-1, -1, 1 / 12), (1, 0, 1 / 6), (-1, 0, 1 / 6))


def impute(image: np.ndarray, removed: np.ndarray, noise: float = 0.01,
           rng: np.random.Generator | None = None) -> np.ndarray:
    """ROAD's noisy linear imputation: every removed pixel becomes the weighted mean of its eight
    neighbours (1/6 direct, 1/12 diagonal), solved jointly as a sparse linear system, plus
    Gaussian noise of standard deviation ``noise``.

    Args:
        image: ``(C, H, W)`` float array.
        removed: ``(H, W)`` bool mask of the pixels to replace.
    """
    from scipy.sparse import csc_matrix
    from scipy.sparse.linalg import spsolve

    c, h, w = image.shape
    rem = removed.reshape(-1).astype(bool)
    idx = np.flatnonzero(rem)
    if idx.size == 0:
        return image.copy()
    var = np.full(h * w, -1, np.int64)
    var[idx] = np.arange(idx.size)
    flat = image.reshape(c, -1)
    y0, x0 = idx // w, idx % w
    diag = np.zeros(idx.size)
    rhs = np.zeros((idx.size, c))
    rows, cols, vals = [], [], []
    for dy, dx, wt in _NEIGHBOURS:
        y, x = y0 + dy, x0 + dx
        ok = (y >= 0) & (y < h) & (x >= 0) & (x < w)
        nb = np.where(ok, y * w + x, 0)
        diag += np.where(ok, wt, 0.0)
        unknown = ok & rem[nb]
        known = ok & ~rem[nb]
        rows.append(np.flatnonzero(unknown))
        cols.append(var[nb[unknown]])
        vals.append(np.full(int(unknown.sum()), wt))
        rhs[known] -= wt * flat[:, nb[known]].T
    rows.append(np.arange(idx.size))
    cols.append(np.arange(idx.size))
    vals.append(-diag)
    a = csc_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                   shape=(idx.size, idx.size))
    sol = spsolve(a, rhs).reshape(idx.size, c)
    out = flat.copy()
    if noise:
        rng = rng or np.random.default_rng(0)
        sol = sol + noise * rng.standard_normal(sol.shape)
    out[:, idx] = sol.T
    return out.reshape(c, h, w)


@torch.no_grad()
def road(model: nn.Module, images: torch.Tensor, maps: torch.Tensor, targets: Any = None, *,
         fractions: Sequence[float] = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9),
         noise: float = 0.01, seed: int = 0, batch_size: int = 64,
         output: OutputSelector = None) -> dict[str, torch.Tensor]:
    """ROAD: mean target probability over ``fractions`` of pixels removed and imputed, most
    relevant first (``"morf"``, lower is better) and least relevant first (``"lerf"``, higher is
    better); ``"road"`` = (lerf - morf) / 2, higher is better. Each ``(N,)``."""
    check_images(images, model)
    maps = _check_maps(maps, images)
    n, _, h, w = images.shape
    rng = np.random.default_rng(seed)
    ranks = _ranks(maps).view(n, h, w).cpu().numpy()
    imgs = images.detach().cpu().numpy().astype(np.float64)
    res = {}
    with model_guard(model):
        t, _ = _targets(model, images, targets, output, batch_size)
        for order in ("morf", "lerf"):
            batch = []
            for i in range(n):
                for f in fractions:
                    k = round(f * h * w)
                    removed = ranks[i] < k if order == "morf" else ranks[i] >= h * w - k
                    batch.append(impute(imgs[i], removed, noise, rng))
            x = torch.from_numpy(np.stack(batch)).to(images)
            p = _probs(model, x, t.repeat_interleave(len(fractions)), output, batch_size)
            res[order] = p.view(n, len(fractions)).mean(1)
    res["road"] = (res["lerf"] - res["morf"]) / 2
    return res


# --------------------------------------------------------------------------- pointing game
def pointing_game(maps: torch.Tensor, boxes: Sequence[Any], tolerance: float = 15.0
                  ) -> torch.Tensor:
    """Whether each map's maximum lies in one of its boxes (``xyxy`` pixels, one box or a list
    per image) grown by ``tolerance`` pixels (Zhang et al. use 15). Returns ``(N,)`` bool."""
    maps = torch.as_tensor(maps)
    if maps.ndim != 3 or len(boxes) != len(maps):
        raise ShapeError(f"maps/boxes: expected (N, H, W) maps and N boxes, got "
                         f"{tuple(maps.shape)} and {len(boxes)} boxes")
    hits = []
    w = maps.shape[-1]
    for m, bx in zip(maps, boxes, strict=True):
        i = int(m.flatten().argmax())
        y, x = i // w, i % w
        b = np.asarray(bx, np.float64).reshape(-1, 4)
        hit = bool(((b[:, 0] - tolerance <= x) & (x <= b[:, 2] + tolerance)
                    & (b[:, 1] - tolerance <= y) & (y <= b[:, 3] + tolerance)).any())
        hits.append(hit)
    return torch.tensor(hits)


# --------------------------------------------------------------------------- evaluate
METRICS = ("deletion", "insertion", "road", "drop")


def evaluate(
    method: str, model: nn.Module, images: torch.Tensor, targets: Any = None, *,
    boxes: Sequence[Any] | None = None, layer: Any = None, metrics: Sequence[str] = METRICS,
    steps: int = 32, random_baseline: bool = False, seed: int = 0, batch_size: int = 64,
    output: OutputSelector = None, **options: Any,
) -> dict[str, Any]:
    """Explain ``images`` with ``method`` and measure how faithful the maps are.

    Args:
        method: a registered method name (``oculi.explain.methods.names()``).
        images: ``(N, C, H, W)`` float batch in [0, 1].
        targets: one class per image (default: the top prediction).
        boxes: optional ``xyxy`` box (or list of boxes) per image for the pointing game.
        metrics: any of ``"deletion"``, ``"insertion"``, ``"road"``, ``"drop"``.
        steps: points on the deletion/insertion curves.
        random_baseline: also score a uniform random map (seeded) for comparison.

    Returns:
        ``{"method", "per_image": [dict per image], "mean": dict}``; per image: target, prob and
        each metric (``deletion``, ``insertion``, ``road``, ``road_morf``, ``road_lerf``,
        ``drop``, ``increase``, ``pointing``, and ``random_*`` with ``random_baseline``).
    """
    from oculi.explain._base import methods, normalize_maps, upsample

    for m in metrics:
        check_choice(m, METRICS, "metrics")
    entry = methods.entry(method)
    e = entry.obj(model, images, targets, layer, output=output, **options)
    if e.maps.ndim != 3:
        raise ShapeError("targets: evaluate takes one class per image")
    kw = {"batch_size": batch_size, "output": output}
    cols: dict[str, torch.Tensor] = {"target": e.targets.float(), "prob": e.probs}

    def score(maps: torch.Tensor, prefix: str) -> None:
        if "deletion" in metrics:
            cols[prefix + "deletion"] = deletion_auc(model, images, maps, e.targets, steps=steps,
                                                     **kw)
        if "insertion" in metrics:
            cols[prefix + "insertion"] = insertion_auc(model, images, maps, e.targets,
                                                       steps=steps, **kw)
        if "road" in metrics:
            r = road(model, images, maps, e.targets, seed=seed, **kw)
            cols[prefix + "road"], cols[prefix + "road_morf"] = r["road"], r["morf"]
            cols[prefix + "road_lerf"] = r["lerf"]
        if "drop" in metrics:
            drop, inc = confidence_change(model, images, maps, e.targets, **kw)
            cols[prefix + "drop"], cols[prefix + "increase"] = drop, inc

    score(e.maps, "")
    if random_baseline:
        gen = torch.Generator().manual_seed(seed)
        # a random map with the method's own resolution (7x7 for a CAM at stride 32, pixels for
        # a gradient method), upsampled like the method's maps: the same smoothness, no signal
        rand = torch.rand(e.raw.shape, generator=gen).to(e.maps)
        score(normalize_maps(upsample(rand, tuple(images.shape[-2:]))), "random_")
    if boxes is not None:
        cols["pointing"] = pointing_game(e.maps, boxes).float()
    per_image = [
        {k: (int(v[i]) if k == "target" else float(v[i])) for k, v in cols.items()}
        for i in range(len(images))
    ]
    mean = {k: float(v.float().mean()) for k, v in cols.items() if k != "target"}
    return {"method": entry.name, "layer": e.layer, "per_image": per_image, "mean": mean}
