"""Pictures of explanations: a heatmap overlay and a grid of methods for one image.

    >>> import numpy as np
    >>> from oculi.explain.visual import overlay
    >>> out = overlay(np.zeros((4, 6, 3), np.uint8), np.linspace(0, 1, 24).reshape(4, 6))
    >>> out.shape, out.dtype
    ((4, 6, 3), dtype('uint8'))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from oculi.core.checks import check_image
from oculi.core.convert import ensure_float01, ensure_uint8, to_rgb
from oculi.core.errors import ParameterError, ShapeError


def _as_numpy(x: Any) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x)


def _hwc(image: Any) -> np.ndarray:
    """A numpy image, ``(3, H, W)`` / ``(1, H, W)`` tensors and arrays moved to channels-last."""
    img = _as_numpy(image)
    if img.ndim == 3 and img.shape[0] in (1, 3) and img.shape[2] not in (1, 3):
        img = img.transpose(1, 2, 0)
    return img


def colorize(heatmap: Any, cmap: str = "jet") -> np.ndarray:
    """``(H, W)`` values in [0, 1] -> ``(H, W, 3)`` float32 RGB in [0, 1] (matplotlib map)."""
    from matplotlib import colormaps

    m = np.clip(_as_numpy(heatmap).astype(np.float32), 0, 1)
    return colormaps[cmap](m)[..., :3].astype(np.float32)


def overlay(image: Any, heatmap: Any, *, alpha: float = 0.5, cmap: str = "jet") -> np.ndarray:
    """Blend a colour-mapped heatmap onto an image.

    Args:
        image: ``(H, W, 3)`` or ``(H, W)`` uint8 or float [0, 1] numpy array, or a ``(3, H, W)``
            tensor in [0, 1].
        heatmap: ``(H, W)`` map in [0, 1] of the same size (an :class:`Explanation` map).
        alpha: weight of the heatmap (0 = image only, 1 = heatmap only).
        cmap: matplotlib colormap name.

    Returns:
        ``(H, W, 3)`` uint8 RGB.
    """
    img = ensure_float01(to_rgb(check_image(_hwc(image), "image")))
    hm = _as_numpy(heatmap)
    if hm.shape != img.shape[:2]:
        raise ShapeError(f"heatmap: expected shape {img.shape[:2]} (the image's), got {hm.shape}")
    if not 0 <= alpha <= 1:
        raise ParameterError(f"alpha: expected a value in [0, 1], got {alpha}")
    return ensure_uint8(np.clip((1 - alpha) * img + alpha * colorize(hm, cmap), 0, 1))


def grid(
    image: Any,
    maps: Mapping[str, Any],
    *,
    title: str = "",
    notes: Mapping[str, str] | None = None,
    columns: int = 4,
    alpha: float = 0.5,
    cmap: str = "jet",
) -> Any:
    """A matplotlib figure: the image, then one overlay per method with an optional note
    (e.g. its deletion AUC) under each.

    Args:
        image: the input image (as for :func:`overlay`).
        maps: method name -> ``(H, W)`` map in [0, 1].
        title: figure title (e.g. the predicted label and probability).
        notes: method name -> a short line shown under its panel.
    """
    from matplotlib.figure import Figure  # no pyplot: the global backend is left alone

    panels: Sequence[tuple[str, Any]] = [("input", None), *maps.items()]
    cols = min(columns, len(panels))
    rows = -(-len(panels) // cols)
    fig = Figure(figsize=(3 * cols, 3.3 * rows))
    img = _hwc(image)
    for i, (name, m) in enumerate(panels):
        ax = fig.add_subplot(rows, cols, i + 1)
        ax.imshow(img if m is None else overlay(img, m, alpha=alpha, cmap=cmap))
        label = name if not notes or name not in notes else f"{name}\n{notes[name]}"
        ax.set_title(label, fontsize=9)
        ax.axis("off")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def figure_to_array(fig: Any, dpi: int = 100) -> np.ndarray:
    """Render a matplotlib figure to an ``(H, W, 3)`` uint8 RGB array."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    fig.set_dpi(dpi)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()
