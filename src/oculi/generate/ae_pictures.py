"""The pictures of an autoencoder run: reconstructions beside their inputs, latent interpolation
strips, and a 2-D latent map (the decoded manifold for a 2-D code, else a PCA scatter of the codes
coloured by class). Every picture is a uint8 array; :func:`write_pictures` saves them as PNG."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import torch

from oculi.generate.ae_nets import ConvAutoencoder


def _uint8(x: torch.Tensor) -> np.ndarray:
    """``(N, 1, H, W)`` in [0, 1] -> uint8 ``(N, H, W)``."""
    return (x.detach().float().cpu().clamp(0, 1)[:, 0] * 255).round().to(torch.uint8).numpy()


def _tile(images: np.ndarray, columns: int) -> np.ndarray:
    from oculi.preprocess import montage

    return montage(images, columns)


@torch.no_grad()
def reconstruction_grid(model: ConvAutoencoder, x: torch.Tensor, inputs: torch.Tensor | None = None
                        ) -> np.ndarray:
    """Rows of (input, reconstruction) pairs of up to 16 images ``x`` ``(N, 1, 28, 28)`` in [0, 1];
    ``inputs`` are what the encoder sees (noisy images of a denoising model), default ``x``."""
    x = x[:16]
    seen = x if inputs is None else inputs[:16]
    recon = torch.sigmoid(model.decode(model.encode(seen)[0]))
    rows = [img for pair in zip(_uint8(seen), _uint8(recon), strict=True) for img in pair]
    return _tile(np.stack(rows), 8)


@torch.no_grad()
def interpolation_strips(model: ConvAutoencoder, x: torch.Tensor, pairs: int = 4,
                         steps: int = 10) -> np.ndarray:
    """Decoded straight lines between the codes of image pairs: one strip of ``steps`` images
    per pair (the first and last are the two images' reconstructions)."""
    pairs = max(1, min(pairs, len(x) // 2))
    mu = model.encode(x[:2 * pairs])[0]
    t = torch.linspace(0, 1, steps)[:, None]
    codes = torch.cat([(1 - t) * mu[2 * i] + t * mu[2 * i + 1] for i in range(pairs)])
    return _tile(_uint8(torch.sigmoid(model.decode(codes))), steps)


@torch.no_grad()
def manifold_grid(model: ConvAutoencoder, side: int = 15, extent: float = 2.5) -> np.ndarray:
    """A 2-D code's decoded manifold: ``side x side`` images on a regular grid of
    ``[-extent, extent]²`` (x to the right, y up)."""
    v = torch.linspace(-extent, extent, side)
    zy, zx = torch.meshgrid(v.flip(0), v, indexing="ij")
    codes = torch.stack([zx.reshape(-1), zy.reshape(-1)], 1)
    return _tile(_uint8(torch.sigmoid(model.decode(codes))), side)


def pca_scatter(codes: np.ndarray, labels: np.ndarray, classes: list[str]) -> np.ndarray:
    """An RGB picture of the codes' first two principal components, coloured by class."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    c = codes - codes.mean(0)
    _, _, vt = np.linalg.svd(c, full_matrices=False)
    xy = c @ vt[:2].T if len(vt) >= 2 else np.c_[c[:, 0], np.zeros(len(c))]
    fig, ax = plt.subplots(figsize=(5, 5), dpi=100)
    if len(labels) and labels.min() >= 0:
        for k in np.unique(labels):
            m = labels == k
            name = classes[k] if k < len(classes) else str(k)
            ax.scatter(xy[m, 0], xy[m, 1], s=4, label=name, alpha=0.7)
        ax.legend(markerscale=3, fontsize=7, loc="best")
    else:
        ax.scatter(xy[:, 0], xy[:, 1], s=4, alpha=0.7)
    ax.set_xlabel("PC 1")
    ax.set_ylabel("PC 2")
    ax.set_title(f"codes ({codes.shape[1]}-D), first two principal components")
    fig.tight_layout()
    fig.canvas.draw()
    image = np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()
    plt.close(fig)
    return image


@torch.no_grad()
def pictures(model: ConvAutoencoder, x: torch.Tensor, labels: np.ndarray, classes: list[str],
             inputs: torch.Tensor | None = None) -> dict[str, Any]:
    """The pictures of validation images ``x`` ``(N, 1, 28, 28)`` in [0, 1] with their
    ``labels`` ``(N,)`` (-1: none): ``reconstructions`` and ``interpolations`` (uint8 arrays, of
    the first 16 and 8 images), and ``latent_map`` (the decoded manifold of a 2-D code) or
    ``latent_codes`` (codes, labels, class names of all N, drawn by :func:`write_pictures`)."""
    out: dict[str, Any] = {"reconstructions": reconstruction_grid(model, x, inputs),
                           "interpolations": interpolation_strips(model, x)}
    if model.latent_dim == 2:
        out["latent_map"] = manifold_grid(model)
    else:
        codes = torch.cat([model.encode(b)[0].cpu() for b in x.split(250)])
        out["latent_codes"] = (codes.numpy(), np.asarray(labels), list(classes))
    return out


def write_pictures(folder: str | os.PathLike[str], found: dict[str, Any]) -> list[Path]:
    """Write the pictures of :func:`pictures` as PNG files in ``folder``."""
    from oculi.io import write_image

    written = []
    for name in ("reconstructions", "interpolations", "latent_map"):
        if name in found:
            written.append(write_image(Path(folder) / f"{name}.png", found[name]))
    if "latent_codes" in found:
        codes, labels, classes = found["latent_codes"]
        written.append(write_image(Path(folder) / "latent_map.png",
                                   pca_scatter(codes, np.asarray(labels), list(classes))))
    return [Path(p) for p in written]
