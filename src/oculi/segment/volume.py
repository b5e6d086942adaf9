"""NIfTI volumes for 3-D segmentation: reading with spacing and affine, CT windowing, patch
sampling for training, and writing predictions back on the input's grid.

Arrays are ``(D, H, W)`` = NIfTI ``(k, j, i)`` (the array nibabel returns, axes reversed), so
``spacing`` is ``(dz, dy, dx)`` in millimetres. Writing reverses the axes again and reuses the
source affine and header, so a prediction overlays its scan in any viewer. Anisotropic spacing is
kept as is (no resampling): distances (HD95) use it, and the volumetric networks take
per-axis strides so a 5 mm slice axis is down-sampled less than the in-plane axes.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from oculi.core.errors import DataError, ImageReadError, ShapeError


@dataclass
class Volume:
    """A volume with its geometry. ``data`` is ``(D, H, W)``; ``spacing`` ``(dz, dy, dx)`` mm."""

    data: np.ndarray
    affine: np.ndarray
    spacing: tuple[float, float, float]
    header: Any = field(default=None, repr=False)
    path: Path | None = None

    @property
    def anisotropy(self) -> float:
        """Largest over smallest voxel size (1 = isotropic)."""
        return max(self.spacing) / min(self.spacing)


def read_volume(path: str | os.PathLike[str]) -> Volume:
    """Read a 3-D NIfTI file (``.nii``/``.nii.gz``) with nibabel.

    Raises:
        ImageReadError: missing or unreadable file.
        ShapeError: not 3-D (a 4-D series: pick a time point first).
    """
    import nibabel as nib

    p = Path(path)
    if not p.is_file():
        raise ImageReadError(f"{p}: no such file")
    try:
        img = nib.load(str(p))
        data = np.asarray(img.dataobj)
    except Exception as exc:
        raise ImageReadError(f"{p}: not a readable NIfTI volume: {exc}") from exc
    if data.ndim == 4 and data.shape[3] == 1:
        data = data[..., 0]
    if data.ndim != 3:
        raise ShapeError(f"{p}: expected a 3-D volume, got shape {data.shape}")
    zooms = tuple(float(z) for z in img.header.get_zooms()[:3])
    return Volume(
        np.ascontiguousarray(data.transpose(2, 1, 0)),
        np.asarray(img.affine),
        (zooms[2], zooms[1], zooms[0]),
        img.header,
        p,
    )


def write_volume(path: str | os.PathLike[str], data: np.ndarray, like: Volume) -> Path:
    """Write ``(D, H, W)`` ``data`` as NIfTI on ``like``'s grid (its affine and header), atomically.

    Raises:
        ShapeError: ``data`` does not have ``like``'s shape.
    """
    import nibabel as nib

    from oculi.core.atomic import atomic_path

    arr = np.asarray(data)
    if arr.shape != like.data.shape:
        raise ShapeError(
            f"data: expected the reference volume's shape {like.data.shape}, got {arr.shape}"
        )
    header = like.header.copy() if like.header is not None else None
    img = nib.Nifti1Image(np.ascontiguousarray(arr.transpose(2, 1, 0)), like.affine, header)
    img.set_data_dtype(arr.dtype)
    out = Path(path)
    suffix = "".join(out.suffixes[-2:]) if out.name.endswith(".nii.gz") else out.suffix
    with atomic_path(out) as tmp:
        tmp_named = tmp.with_name(tmp.name.removesuffix(tmp.suffix) + suffix) if suffix else tmp
        nib.save(img, str(tmp_named))
        if tmp_named != tmp:
            os.replace(tmp_named, tmp)
    return out


def check_label(volume: Volume, label: Volume, num_classes: int = 2) -> np.ndarray:
    """The label as int64, checked against the image's grid and the class count."""
    if label.data.shape != volume.data.shape:
        raise ShapeError(
            f"label: shape {label.data.shape} differs from the image's {volume.data.shape}"
        )
    if not np.allclose(label.affine, volume.affine, atol=1e-3):
        raise ShapeError(
            "label: its affine differs from the image's — not the same grid; resample it"
        )
    t = np.rint(label.data).astype(np.int64)
    if t.min() < 0 or t.max() >= num_classes:
        raise DataError(
            f"label: values {int(t.min())}..{int(t.max())} outside [0, {num_classes - 1}]"
        )
    return t


def window(data: np.ndarray, lo: float = -160.0, hi: float = 240.0) -> np.ndarray:
    """Clip intensities to ``[lo, hi]`` (CT: Hounsfield units) and scale to float32 [0, 1]."""
    if hi <= lo:
        raise DataError(f"window: expected lo < hi, got {lo}, {hi}")
    return ((np.clip(data.astype(np.float32), lo, hi) - lo) / (hi - lo)).astype(np.float32)


class PatchSampler(torch.utils.data.Dataset):
    """Random ``(C, d, h, w)`` patches (and label patches) from volumes, oversampling foreground.

    A map-style dataset of ``length`` items; every access draws a fresh random patch (the RNG is
    seeded from ``seed``, the index and a draw counter), so epochs differ and runs repeat.

    Args:
        images: ``(D, H, W)`` float arrays in [0, 1] (or ``(C, D, H, W)``).
        labels: matching int64 ``(D, H, W)`` label arrays.
        patch: patch size ``(d, h, w)``; volumes smaller than it are zero-padded.
        pos_fraction: share of patches centred near a random foreground voxel.
        length: patches per epoch.
        seed: RNG seed.
        flips: random in-plane flips.
    """

    def __init__(
        self,
        images: Sequence[np.ndarray],
        labels: Sequence[np.ndarray],
        patch: Sequence[int],
        *,
        pos_fraction: float = 0.5,
        length: int = 100,
        seed: int = 0,
        flips: bool = True,
    ) -> None:
        if len(images) != len(labels) or not images:
            raise DataError("PatchSampler: expected as many label volumes as images (at least one)")
        self.images = [im if im.ndim == 4 else im[None] for im in images]
        self.labels = list(labels)
        for im, lab in zip(self.images, self.labels, strict=True):
            if im.shape[1:] != lab.shape:
                raise ShapeError(f"PatchSampler: image {im.shape[1:]} and label {lab.shape} differ")
        self.patch = tuple(int(p) for p in patch)
        for k, lab in enumerate(self.labels):  # zero-pad (at the end) volumes smaller than a patch
            pads = [(0, max(0, p - s)) for p, s in zip(self.patch, lab.shape, strict=True)]
            if any(b for _, b in pads):
                self.images[k] = np.pad(self.images[k], [(0, 0), *pads])
                self.labels[k] = np.pad(lab, pads)
        self.pos_fraction, self.length, self.seed, self.flips = pos_fraction, length, seed, flips
        self._fg = [np.argwhere(lab > 0) for lab in self.labels]
        self._draws = 0

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        self._draws += 1
        return self.sample(np.random.default_rng([self.seed, int(i), self._draws]))

    def sample(self, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """One random ``(image patch (C, d, h, w) float32, label patch (d, h, w) int64)``."""
        k = int(rng.integers(len(self.images)))
        im, lab, fg = self.images[k], self.labels[k], self._fg[k]
        shape = lab.shape
        if len(fg) and rng.random() < self.pos_fraction:
            c = fg[int(rng.integers(len(fg)))]
            start = [
                int(np.clip(ci - p // 2 + rng.integers(-(p // 4), p // 4 + 1), 0, s - p))
                for ci, p, s in zip(c, self.patch, shape, strict=True)
            ]
        else:
            start = [
                int(rng.integers(0, s - p + 1)) for p, s in zip(self.patch, shape, strict=True)
            ]
        sl = tuple(slice(a, a + p) for a, p in zip(start, self.patch, strict=True))
        x, y = im[(slice(None), *sl)], lab[sl]
        if self.flips:
            for ax in (1, 2):  # in-plane flips only (keeps the slice order)
                if rng.random() < 0.5:
                    x, y = np.flip(x, ax + 1), np.flip(y, ax)
        return (
            torch.from_numpy(np.ascontiguousarray(x, np.float32)),
            torch.from_numpy(np.ascontiguousarray(y)).long(),
        )
