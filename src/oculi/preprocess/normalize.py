"""Per-channel normalisation with statistics fitted in one streaming pass, and per-image
standardisation.

Units: by default (``as_float01=True``) images are first brought to the house convention, float
in [0, 1] (uint8 / 255, uint16 / 65535, float checked to lie in [0, 1]); the statistics and the
mean/std given to :func:`normalize` are in those units (ImageNet's ``(0.485, 0.456, 0.406)``
etc.). With ``as_float01=False`` the values are used as they are (e.g. CT in Hounsfield units).

    >>> import numpy as np
    >>> from oculi.preprocess import fit_normalization, normalize
    >>> images = (np.full((4, 4, 3), v, np.uint8) for v in (0, 255))
    >>> stats = fit_normalization(images)
    >>> [round(m, 3) for m in stats.mean], [round(s, 3) for s in stats.std]
    ([0.5, 0.5, 0.5], [0.5, 0.5, 0.5])
    >>> float(normalize(np.full((2, 2, 3), 255, np.uint8), stats.mean, stats.std).max())
    1.0
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from oculi.core.checks import check_image
from oculi.core.constants import IMAGENET_MEAN, IMAGENET_STD
from oculi.core.errors import DataError, ParameterError, ShapeError
from oculi.preprocess._stats import RunningMoments


def _as_values(image: np.ndarray, name: str, as_float01: bool) -> np.ndarray:
    """HxW or HxWxC -> float64 HxWxC in the chosen units."""
    check_image(
        image,
        name,
        channels=range(1, 65),
        dtypes=("uint8", "uint16", "int16", "int32", "float16", "float32", "float64"),
        check_range=as_float01,
    )
    x = image[..., None] if image.ndim == 2 else image
    if as_float01:
        if x.dtype == np.uint8:
            return x.astype(np.float64) / 255.0
        if x.dtype == np.uint16:
            return x.astype(np.float64) / 65535.0
        if x.dtype.kind == "i":
            raise ParameterError(
                f"{name}: signed integer images have no [0, 1] scale — pass as_float01=False"
            )
    return x.astype(np.float64)


@dataclass(frozen=True)
class ChannelStats:
    """Fitted per-channel statistics.

    Attributes:
        mean: per-channel mean, in the units of the fit.
        std: per-channel population standard deviation (``ddof=0``).
        count: number of pixels per channel that went into the fit.
        as_float01: whether the fit used [0, 1] units.
    """

    mean: tuple[float, ...]
    std: tuple[float, ...]
    count: int
    as_float01: bool = True

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the statistics as JSON (atomically)."""
        from oculi.core.atomic import write_json_atomic

        write_json_atomic(path, {"kind": "oculi.ChannelStats", **asdict(self)})

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> ChannelStats:
        """Read statistics written by :meth:`save`."""
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
        if data.get("kind") != "oculi.ChannelStats":
            raise DataError(f"{path}: not an oculi ChannelStats file (kind={data.get('kind')!r})")
        return cls(
            mean=tuple(data["mean"]),
            std=tuple(data["std"]),
            count=int(data["count"]),
            as_float01=bool(data.get("as_float01", True)),
        )


def fit_normalization(
    images: Iterable[np.ndarray | str | os.PathLike[str]], *, as_float01: bool = True
) -> ChannelStats:
    """Per-channel mean and standard deviation over a dataset, in one streaming pass.

    The images are visited once and only one image is held at a time; each image's moments are
    merged with Chan et al.'s pairwise update in float64, which stays accurate where the
    sum-of-squares formula cancels catastrophically. Images may differ in size.

    Args:
        images: an iterable (a generator is fine) of HxW or HxWxC arrays with the same channel
            count, or of image paths (read with ``oculi.io.read_image(mode="unchanged")``, one at
            a time).
        as_float01: measure in [0, 1] units (see module docs) or in raw values.

    Returns:
        :class:`ChannelStats` (population std, ``ddof=0``).

    Raises:
        DataError: the iterable is empty or contains only empty images.
        ShapeError: the channel count changes between images.
    """
    moments: RunningMoments | None = None
    for i, item in enumerate(images):
        if isinstance(item, str | os.PathLike):
            from oculi.io import read_image

            image = read_image(item, mode="unchanged")
        else:
            image = item
        x = _as_values(image, f"images[{i}]", as_float01)
        if moments is None:
            moments = RunningMoments(x.shape[2])
        elif x.shape[2] != moments.dim:
            raise ShapeError(
                f"images[{i}]: expected {moments.dim} channel(s) like the first image, got "
                f"{x.shape[2]}"
            )
        moments.update(x.reshape(-1, x.shape[2]))
    if moments is None or moments.count == 0:
        raise DataError("images: no pixels to fit (the iterable was empty)")
    std = np.sqrt(moments.variance())
    return ChannelStats(
        mean=tuple(float(m) for m in moments.mean),
        std=tuple(float(s) for s in std),
        count=int(moments.count),
        as_float01=as_float01,
    )


def _per_channel(values: Sequence[float] | float, channels: int, name: str) -> np.ndarray:
    arr = np.atleast_1d(np.asarray(values, dtype=np.float64))
    if arr.size == 1:
        arr = np.repeat(arr, channels)
    if arr.ndim != 1 or arr.size != channels:
        raise ShapeError(f"{name}: expected 1 or {channels} value(s), got {arr.size}")
    return arr


def normalize(
    image: np.ndarray,
    mean: Sequence[float] | float = IMAGENET_MEAN,
    std: Sequence[float] | float = IMAGENET_STD,
    *,
    as_float01: bool = True,
) -> np.ndarray:
    """``(image - mean) / std`` per channel.

    Args:
        image: HxW or HxWxC; uint8/uint16/float in [0, 1] (or any values with
            ``as_float01=False``).
        mean: one value or one per channel, in the same units.
        std: one value or one per channel, all > 0.
        as_float01: convert to [0, 1] first (see module docs).

    Returns:
        float32 array of the input's shape.
    """
    x = _as_values(image, "image", as_float01)
    m = _per_channel(mean, x.shape[2], "mean")
    s = _per_channel(std, x.shape[2], "std")
    if not (s > 0).all():
        raise ParameterError(f"std: expected values > 0, got {tuple(s)}")
    out = ((x - m) / s).astype(np.float32)
    return out[..., 0] if image.ndim == 2 else out


def denormalize(
    image: np.ndarray,
    mean: Sequence[float] | float = IMAGENET_MEAN,
    std: Sequence[float] | float = IMAGENET_STD,
) -> np.ndarray:
    """Inverse of :func:`normalize`: ``image * std + mean`` (float32, in the units of the fit)."""
    x = np.asarray(image, dtype=np.float64)
    x3 = x[..., None] if x.ndim == 2 else x
    m = _per_channel(mean, x3.shape[2], "mean")
    s = _per_channel(std, x3.shape[2], "std")
    out = (x3 * s + m).astype(np.float32)
    return out[..., 0] if x.ndim == 2 else out


def standardize(
    image: np.ndarray, *, per_channel: bool = False, as_float01: bool = True
) -> np.ndarray:
    """Zero mean, unit variance for one image (like ``tf.image.per_image_standardization``).

    ``(x - mean) / max(std, 1 / sqrt(N))`` with ``N`` the number of values averaged, so a constant
    image gives zeros instead of a division by zero.

    Args:
        image: HxW or HxWxC.
        per_channel: statistics per channel instead of over all values.
        as_float01: convert to [0, 1] first (the result does not depend on it for uint8 input).

    Returns:
        float32 array of the input's shape.
    """
    x = _as_values(image, "image", as_float01)
    axes = (0, 1) if per_channel else None
    n = x.shape[0] * x.shape[1] * (1 if per_channel else x.shape[2])
    mean = x.mean(axis=axes, keepdims=True)
    std = np.maximum(x.std(axis=axes, keepdims=True), 1.0 / np.sqrt(max(n, 1)))
    out = ((x - mean) / std).astype(np.float32)
    return out[..., 0] if image.ndim == 2 else out


class Normalizer:
    """A reusable per-channel normalisation: ``fit`` on a dataset, ``transform``, save/load.

    Args:
        mean: known per-channel mean (skip :meth:`fit`); default: unfitted.
        std: known per-channel std.
        as_float01: units, see the module docs.
    """

    def __init__(
        self,
        mean: Sequence[float] | None = None,
        std: Sequence[float] | None = None,
        *,
        as_float01: bool = True,
    ) -> None:
        self.as_float01 = as_float01
        self.stats: ChannelStats | None = None
        if (mean is None) != (std is None):
            raise ParameterError("mean, std: give both or neither")
        if mean is not None and std is not None:
            self.stats = ChannelStats(tuple(mean), tuple(std), 0, as_float01)

    def fit(self, images: Iterable[np.ndarray]) -> Normalizer:
        """Fit the statistics in one streaming pass (see :func:`fit_normalization`)."""
        self.stats = fit_normalization(images, as_float01=self.as_float01)
        return self

    def _fitted(self) -> ChannelStats:
        if self.stats is None:
            raise ParameterError("Normalizer: not fitted — call fit(images) or give mean and std")
        return self.stats

    def transform(self, image: np.ndarray) -> np.ndarray:
        """Normalise one image (float32, same shape)."""
        st = self._fitted()
        return normalize(image, st.mean, st.std, as_float01=self.as_float01)

    __call__ = transform

    def inverse_transform(self, image: np.ndarray) -> np.ndarray:
        """Undo :meth:`transform` (float32, in the fitted units)."""
        st = self._fitted()
        return denormalize(image, st.mean, st.std)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the fitted statistics as JSON."""
        self._fitted().save(path)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Normalizer:
        """Read a normaliser written by :meth:`save`."""
        stats = ChannelStats.load(path)
        norm = cls(as_float01=stats.as_float01)
        norm.stats = stats
        return norm
