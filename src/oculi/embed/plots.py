"""Pictures of an embedding: a 2-D projection coloured by class, and query images with their
nearest neighbours."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def project_2d(embeddings: np.ndarray, method: str = "auto", seed: int = 0) -> tuple[np.ndarray,
                                                                                      str]:
    """``float (N, 2)`` coordinates and the method used: ``pca`` (principal components),
    ``tsne`` (scikit-learn's t-SNE), or ``auto`` (t-SNE when scikit-learn is installed)."""
    x = np.asarray(embeddings, np.float64)
    if method in ("auto", "tsne") and len(x) > 10:
        try:
            from sklearn.manifold import TSNE
        except ImportError:
            if method == "tsne":
                from oculi.core.errors import MissingDependencyError

                raise MissingDependencyError("projection tsne: needs scikit-learn "
                                             "(pip install scikit-learn)") from None
        else:
            perplexity = float(min(30, (len(x) - 1) / 3))
            return TSNE(2, perplexity=perplexity, init="pca", random_state=seed).fit_transform(
                x), "tsne"
    x = x - x.mean(0)
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    return x @ vt[:2].T, "pca"


def projection_figure(coords: np.ndarray, labels: np.ndarray, class_names: Sequence[str] | None,
                      title: str) -> Any:
    """A matplotlib scatter figure of ``coords (N, 2)`` coloured by ``labels``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 5.2))
    classes = np.unique(labels)
    cmap = plt.get_cmap("tab10" if len(classes) <= 10 else "tab20")
    for i, c in enumerate(classes):
        sel = labels == c
        name = class_names[c] if class_names is not None and c < len(class_names) else str(c)
        ax.scatter(coords[sel, 0], coords[sel, 1], s=5, color=cmap(i % cmap.N),
                   label=name if len(classes) <= 20 else None)
    if len(classes) <= 20:
        ax.legend(markerscale=3, fontsize=7, loc="best")
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])
    fig.tight_layout()
    return fig


def neighbour_grid(images: np.ndarray, queries: Sequence[int], neighbours: np.ndarray,
                   correct: np.ndarray | None = None, scale: int = 2) -> np.ndarray:
    """One row per query: the query image, a gap, then its neighbours; a green (same class) or
    red (other class) frame around each neighbour when ``correct`` is given.

    Args:
        images: ``uint8 (N, H, W)`` or ``(N, H, W, 3)``.
        queries: indices of the query images.
        neighbours: ``int (Q, k)`` indices of each query's neighbours, nearest first.
        correct: ``bool (Q, k)`` or None.
        scale: pixel repetition factor.

    Returns:
        ``uint8`` RGB picture.
    """
    imgs = np.asarray(images)
    if imgs.ndim == 3:
        imgs = np.repeat(imgs[..., None], 3, -1)
    h, w = imgs.shape[1:3]
    pad, k = 3, neighbours.shape[1]
    cell_h, cell_w = h + 2 * pad, w + 2 * pad
    out = np.full((len(queries) * cell_h, (k + 1) * cell_w + 8, 3), 255, np.uint8)
    for r, q in enumerate(queries):
        y = r * cell_h + pad
        out[y:y + h, pad:pad + w] = imgs[q]
        for j, n in enumerate(neighbours[r]):
            x = (j + 1) * cell_w + 8 + pad
            if correct is not None:
                colour = (40, 170, 60) if correct[r, j] else (220, 40, 40)
                out[y - 2:y + h + 2, x - 2:x + w + 2] = colour
            out[y:y + h, x:x + w] = imgs[n]
    return np.repeat(np.repeat(out, scale, 0), scale, 1)


__all__ = ["neighbour_grid", "project_2d", "projection_figure"]
