"""Instances from a semantic prediction, and from Mask R-CNN detections: label images.

A *label image* is an HxW ``int32`` array, 0 = background, objects numbered ``1..n`` — what
:mod:`oculi.train.metrics` (``match_instances``, ``dsb_score``, ``InstanceMetrics``) measures.

* :func:`label_components`: connected components of a foreground mask (touching objects stay one).
* :func:`split_instances`: the distance-transform watershed that splits touching round objects
  (nuclei, cells, coins). The Euclidean distance to the background is smoothed (Gaussian ``sigma``
  pixels); seeds are its local maxima at least ``min_distance`` pixels apart, kept only when they
  rise ``h`` pixels above their surroundings (h-maxima: a neck narrower than the bodies by more
  than ``h`` splits, a shallow waist does not); each foreground pixel floods from the seed it
  reaches first going down the distance. Components that got no seed stay whole.
* :func:`instances_from_probability`: threshold a foreground probability, then one of the two.
* :func:`labels_from_masks` / :func:`labels_from_detections`: Mask R-CNN's per-instance soft
  masks (``Detections.masks``) painted into one label image; overlaps go to the higher score.

    >>> import numpy as np
    >>> yy, xx = np.mgrid[:40, :60]
    >>> two = ((yy - 20) ** 2 + (xx - 18) ** 2 < 12**2) | ((yy - 20) ** 2 + (xx - 40) ** 2 < 12**2)
    >>> int(label_components(two).max()), int(split_instances(two, min_distance=5).max())
    (1, 2)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import ndimage

from oculi.core.checks import check_choice, check_positive
from oculi.core.errors import DataError, ShapeError, ValueRangeError

INSTANCE_METHODS = ("watershed", "components")


def _check_mask(mask: Any, name: str = "mask") -> np.ndarray:
    m = np.asarray(mask)
    if m.ndim != 2:
        raise ShapeError(f"{name}: expected an HxW mask, got shape {m.shape}")
    return m.astype(bool) if m.dtype != bool else m


def relabel_sequential(labels: np.ndarray) -> np.ndarray:
    """Renumber the ids of a label image to ``1..n`` in increasing id order (HxW int32)."""
    lab = np.asarray(labels)
    ids, inv = np.unique(lab, return_inverse=True)
    start = 0 if ids.size and ids[0] == 0 else 1
    new = np.arange(start, start + ids.size, dtype=np.int32)
    return new[inv.reshape(lab.shape)].astype(np.int32)


def remove_small(labels: np.ndarray, min_size: int) -> np.ndarray:
    """Set objects of fewer than ``min_size`` pixels to background and renumber (HxW int32)."""
    lab = np.asarray(labels)
    if min_size <= 1:
        return relabel_sequential(lab)
    sizes = np.bincount(lab.ravel())
    small = sizes < min_size
    small[0] = False
    out = np.where(small[lab], 0, lab)
    return relabel_sequential(out)


def label_components(
    mask: np.ndarray, *, connectivity: int = 1, min_size: int = 0, fill_holes: bool = False
) -> np.ndarray:
    """Connected components of a foreground mask.

    Args:
        mask: HxW bool (or any array; nonzero = foreground).
        connectivity: 1 (4-neighbours) or 2 (8-neighbours).
        min_size: objects smaller than this (pixels) are dropped.
        fill_holes: fill the holes inside objects.

    Returns:
        HxW int32 label image, objects ``1..n``.
    """
    m = _check_mask(mask)
    check_choice(connectivity, (1, 2), "connectivity")
    if fill_holes:
        m = ndimage.binary_fill_holes(m)
    lab, _ = ndimage.label(m, ndimage.generate_binary_structure(2, connectivity))
    return remove_small(lab, min_size)


def seeds_from_distance(
    distance: np.ndarray,
    *,
    min_distance: int = 4,
    h: float = 0.5,
    foreground: np.ndarray | None = None,
) -> np.ndarray:
    """Watershed seeds: maxima of a distance map ``min_distance`` apart with height ``h``.

    Args:
        distance: HxW float distance (pixels) to the background, smoothed or not.
        min_distance: a seed is the largest value within ``2 * min_distance + 1`` pixels.
        h: a maximum must rise at least this many pixels above the saddle to a higher one
            (h-maxima; 0 disables the test).
        foreground: HxW bool region allowed to hold seeds (default ``distance > 0``).

    Returns:
        HxW int32 seed labels (one id per seed; a plateau maximum is one seed).
    """
    d = np.asarray(distance, np.float64)
    fg = d > 0 if foreground is None else np.asarray(foreground, bool)
    peaks = fg & (d > 0)
    if min_distance > 0:
        peaks &= d >= ndimage.maximum_filter(d, size=2 * int(min_distance) + 1, mode="nearest")
    eight = ndimage.generate_binary_structure(2, 2)
    if h > 0:
        from skimage.morphology import local_maxima, reconstruction

        # h-maxima: the regional maxima of the reconstruction of (d - h) under d, on a fixed
        # 1/64-pixel grid; maxima joined by a ridge less than h below them share one plateau,
        # which becomes one seed when it holds a min_distance maximum
        q = np.round(d * 64)
        rec = reconstruction(q - max(1, round(h * 64)), q, method="dilation")
        plateaus = local_maxima(rec, connectivity=2, allow_borders=True) & fg
        regions, n = ndimage.label(plateaus, eight)
        keep = np.zeros(n + 1, bool)
        keep[np.unique(regions[peaks])] = True
        keep[0] = False
        return relabel_sequential(np.where(keep[regions], regions, 0))
    seeds, _ = ndimage.label(peaks, eight)
    return seeds.astype(np.int32)


def split_instances(
    mask: np.ndarray,
    *,
    min_distance: int = 4,
    h: float = 0.5,
    sigma: float = 1.0,
    min_size: int = 0,
    fill_holes: bool = False,
    compactness: float = 0.0,
) -> np.ndarray:
    """Split a foreground mask into objects with the distance-transform watershed.

    Args:
        mask: HxW bool foreground (nonzero = foreground).
        min_distance: smallest distance between two seeds (pixels) — about the smallest object
            radius.
        h: height a distance maximum must have over its saddle to seed its own object (pixels;
            larger = fewer splits). 0 disables the test.
        sigma: Gaussian smoothing of the distance map (pixels; 0 = none) against ragged edges.
        min_size: objects smaller than this (pixels) are dropped, before and after splitting.
        fill_holes: fill holes of the foreground first.
        compactness: the watershed's compactness (0 = classic flooding, larger = rounder cuts).

    Returns:
        HxW int32 label image, objects ``1..n``.
    """
    from skimage.segmentation import watershed

    fg = _check_mask(mask)
    check_positive(sigma, "sigma", allow_zero=True)
    if min_distance < 0:
        raise ValueRangeError(f"min_distance: expected >= 0 pixels, got {min_distance}")
    if fill_holes:
        fg = ndimage.binary_fill_holes(fg)
    if min_size > 1:
        fg = label_components(fg, min_size=min_size) > 0
    if not fg.any():
        return np.zeros(fg.shape, np.int32)
    dist = ndimage.distance_transform_edt(fg)
    if sigma > 0:
        dist = ndimage.gaussian_filter(dist, sigma) * fg
    seeds = seeds_from_distance(dist, min_distance=min_distance, h=h, foreground=fg)
    lab = watershed(-dist, seeds, mask=fg, compactness=compactness).astype(np.int32)
    rest = fg & (lab == 0)  # components without a seed (thin or tiny objects)
    if rest.any():
        extra, _ = ndimage.label(rest, ndimage.generate_binary_structure(2, 2))
        lab = np.where(rest, extra + lab.max(), lab)
    return remove_small(lab, min_size)


def instances_from_probability(
    probability: np.ndarray,
    *,
    threshold: float = 0.5,
    method: str = "watershed",
    min_size: int = 0,
    fill_holes: bool = False,
    **kw: Any,
) -> np.ndarray:
    """Objects from a foreground probability (or a mask): threshold, then split or label.

    Args:
        probability: HxW float in [0, 1] (``> threshold`` = foreground) or an HxW bool/0-1 mask.
        threshold: foreground cut of the probability.
        method: ``"watershed"`` (:func:`split_instances`, splits touching objects) or
            ``"components"`` (:func:`label_components`).
        min_size, fill_holes: see :func:`split_instances`.
        **kw: ``min_distance``, ``h``, ``sigma``, ``compactness`` (watershed) or ``connectivity``
            (components).

    Returns:
        HxW int32 label image, objects ``1..n``.
    """
    check_choice(method, INSTANCE_METHODS, "method")
    p = np.asarray(probability)
    if p.dtype == bool:
        fg = p
    else:
        if p.size and (float(p.min()) < 0 or float(p.max()) > 1):
            raise ValueRangeError(
                f"probability: expected values in [0, 1], got {float(p.min()):.3g}.."
                f"{float(p.max()):.3g} — pass probabilities (sigmoid/softmax), not logits"
            )
        fg = p > threshold
    if method == "components":
        return label_components(fg, min_size=min_size, fill_holes=fill_holes, **kw)
    return split_instances(fg, min_size=min_size, fill_holes=fill_holes, **kw)


def classical_instances(
    image: np.ndarray,
    *,
    smooth: float = 1.0,
    threshold: float | None = None,
    bright: bool = True,
    method: str = "watershed",
    min_size: int = 15,
    fill_holes: bool = True,
    **kw: Any,
) -> np.ndarray:
    """The no-learning baseline: Gaussian smoothing, Otsu threshold, then the watershed split.

    Args:
        image: HxW gray (or HxWx3, converted to gray), any integer or float dtype — only the
            order of values matters (no rescaling assumed).
        smooth: Gaussian sigma in pixels before thresholding (0 = none).
        threshold: foreground cut in the image's units (None: Otsu's threshold of this image).
        bright: objects are brighter than the background (fluorescence); False for dark objects.
        method, min_size, fill_holes, **kw: see :func:`instances_from_probability`.

    Returns:
        HxW int32 label image, objects ``1..n``.
    """
    from skimage.filters import threshold_otsu

    img = np.asarray(image)
    if img.ndim == 3:
        from oculi.core.convert import to_gray

        img = to_gray(img)
    if img.ndim != 2:
        raise ShapeError(f"image: expected HxW or HxWx3, got shape {img.shape}")
    f = img.astype(np.float64)
    if smooth > 0:
        f = ndimage.gaussian_filter(f, smooth)
    cut = float(threshold_otsu(f)) if threshold is None else float(threshold)
    fg = f > cut if bright else f < cut
    return instances_from_probability(
        fg, method=method, min_size=min_size, fill_holes=fill_holes, **kw
    )


def labels_from_masks(
    masks: np.ndarray,
    scores: np.ndarray | Sequence[float],
    *,
    score: float = 0.5,
    mask_threshold: float = 0.5,
    min_size: int = 0,
) -> np.ndarray:
    """Paint per-instance masks into one label image; overlaps go to the higher score.

    Args:
        masks: ``(n, H, W)`` float in [0, 1] (Mask R-CNN's soft masks) or bool; an ``(n, 1, H, W)``
            torchvision array is accepted too.
        scores: ``(n,)`` confidences.
        score: instances scored below this are left out.
        mask_threshold: a pixel belongs to an instance when its mask value is above this.
        min_size: instances left with fewer visible pixels are dropped.

    Returns:
        HxW int32 label image; ids ``1..n`` follow decreasing score.
    """
    m = np.asarray(masks)
    if m.ndim == 4 and m.shape[1] == 1:
        m = m[:, 0]
    if m.ndim != 3:
        raise ShapeError(f"masks: expected (n, H, W), got shape {m.shape}")
    s = np.asarray(scores, np.float64).ravel()
    if s.size != m.shape[0]:
        raise ShapeError(f"scores: expected {m.shape[0]} values (one per mask), got {s.size}")
    out = np.zeros(m.shape[1:], np.int32)
    order = np.argsort(-s, kind="stable")
    order = order[s[order] >= score]
    # paint from the lowest kept score to the highest, so the highest score ends on top
    for rank in range(order.size - 1, -1, -1):
        k = order[rank]
        inside = m[k] > mask_threshold if m.dtype != bool else m[k]
        out[inside] = rank + 1
    return remove_small(out, min_size)


def labels_from_detections(
    detections: Any, *, score: float = 0.5, mask_threshold: float = 0.5, min_size: int = 0
) -> np.ndarray:
    """The label image of one image's Mask R-CNN :class:`~oculi.detect.types.Detections`
    (its ``masks``: ``(n, H, W)`` float32 in [0, 1]); see :func:`labels_from_masks`.

    Raises:
        DataError: the detections carry no masks (a box-only detector).
    """
    masks = getattr(detections, "masks", None)
    if masks is None:
        raise DataError(
            "detections: no instance masks — they come from a Mask R-CNN run "
            "(oculi train detect DATA --arch maskrcnn)"
        )
    return labels_from_masks(
        masks, detections.scores, score=score, mask_threshold=mask_threshold, min_size=min_size
    )


def colorize_instances(labels: np.ndarray, *, seed: int = 0) -> np.ndarray:
    """HxW label image -> HxWx3 uint8 RGB, one bright colour per id (background black); the
    colour of an id depends only on the id and ``seed``."""
    from skimage.color import hsv2rgb

    lab = np.asarray(labels)
    ids, inv = np.unique(lab, return_inverse=True)
    golden = 0.6180339887498949
    hue = (ids.astype(np.float64) * golden + 0.1 * seed) % 1.0
    sat = 0.55 + 0.35 * ((ids * 7) % 3) / 2
    hsv = np.stack([hue, sat, np.full(ids.shape, 0.95)], 1)[None]
    pal = (hsv2rgb(hsv)[0] * 255 + 0.5).astype(np.uint8)
    pal[ids == 0] = 0
    return pal[inv.reshape(lab.shape)]


def overlay_instances(
    image: np.ndarray, labels: np.ndarray, *, alpha: float = 0.45, outline: bool = True
) -> np.ndarray:
    """Blend instance colours over an image, each object outlined in its colour (HxWx3 uint8).

    Args:
        image: HxW or HxWx3, uint8 or float in [0, 1].
        labels: HxW label image of the image's size.
    """
    from skimage.segmentation import find_boundaries

    from oculi.core.checks import check_image
    from oculi.core.convert import ensure_uint8, to_rgb

    rgb = ensure_uint8(to_rgb(check_image(image))).astype(np.float32)
    lab = np.asarray(labels)
    if rgb.shape[:2] != lab.shape:
        raise ShapeError(f"labels: expected the image's size {rgb.shape[:2]}, got {lab.shape}")
    col = colorize_instances(lab).astype(np.float32)
    a = (lab > 0)[..., None] * np.float32(alpha)
    if outline:
        a = np.where(find_boundaries(lab, mode="inner")[..., None], np.float32(1.0), a)
    return np.clip(rgb * (1 - a) + col * a + 0.5, 0, 255).astype(np.uint8)


def evaluate_instances(
    model: Any,
    dataset: Any,
    *,
    threshold: float = 0.5,
    method: str = "watershed",
    tile: int | None = 1024,
    **kw: Any,
) -> dict[str, Any]:
    """Instance metrics of a semantic model on a dataset read with ``mask_kind="instance"``.

    Each image is predicted whole (tiled above ``tile`` pixels); the foreground probability
    (1 − P(background)) goes through :func:`instances_from_probability` and the label image is
    matched with the dataset's instance ids (:class:`oculi.train.metrics.InstanceMetrics`).

    Args:
        model: a 2-D :class:`~oculi.segment.Segmenter`.
        dataset: a :class:`~oculi.segment.SegmentationFolder` with instance masks.
        threshold, method, **kw: see :func:`instances_from_probability` (``min_distance``,
            ``h``, ``sigma``, ``min_size``, ``fill_holes``...).

    Returns:
        ``InstanceMetrics.compute()`` (``f1``, ``dsb``, ``pq``... at IoU 0.5).
    """
    from oculi.segment.infer import predict_image
    from oculi.train.metrics import InstanceMetrics

    im = InstanceMetrics()
    for i, sample in enumerate(dataset.samples):
        _, prob = predict_image(model, sample.image, tile=tile)
        labels = instances_from_probability(
            np.clip(1.0 - prob[0], 0.0, 1.0), threshold=threshold, method=method, **kw
        )
        im.update(np.asarray(dataset.instances(i)).astype(np.int64), labels)
    return im.compute()
