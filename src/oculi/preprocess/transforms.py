"""Every preprocessing function as a reusable, serialisable transform.

A transform is a small frozen dataclass holding its parameters; calling it applies the function:
``CLAHE(clip_limit=3.0)(image) == clahe(image, clip_limit=3.0)``. ``to_config()`` gives a plain
dict (``{"name": "clahe", "clip_limit": 3.0, "tiles": [8, 8]}``) and :func:`create_transform`
rebuilds it, so a pipeline can be written to JSON/YAML and applied later. Fitted transforms
(:class:`~oculi.preprocess.Normalizer`, :class:`~oculi.preprocess.ZCAWhitening`, ...) save their
statistics with their own ``save``/``load``.

    >>> import numpy as np
    >>> from oculi.preprocess import Pipeline, create_transform
    >>> pipe = Pipeline([create_transform("gamma", gamma=0.5), create_transform("clahe")])
    >>> pipe.to_config()[0]
    {'name': 'gamma', 'gamma': 0.5, 'gain': 1.0}
    >>> pipe(np.zeros((16, 16), np.uint8)).shape
    (16, 16)
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, ClassVar

import numpy as np

from oculi.core.constants import IMAGENET_MEAN, IMAGENET_STD
from oculi.core.errors import DataError, ParameterError
from oculi.core.registry import Registry

#: name -> transform class
TRANSFORMS: Registry[type] = Registry("preprocessing transform")


class _Transform:
    name: ClassVar[str] = ""

    def __call__(self, image: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def to_config(self) -> dict[str, Any]:
        """``{"name": ..., **parameters}`` with JSON-friendly values."""
        params = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}
        return {"name": self.name, **params}


def _register(cls: type) -> type:
    TRANSFORMS.register(cls.name, cls, help=(cls.__doc__ or "").strip().split("\n")[0])
    return cls


@_register
@dataclass(frozen=True)
class CLAHE(_Transform):
    """CLAHE (:func:`~oculi.preprocess.clahe`)."""

    clip_limit: float = 2.0
    tiles: tuple[int, int] = (8, 8)
    name: ClassVar[str] = "clahe"

    def __call__(self, image: np.ndarray) -> np.ndarray:
        from oculi.preprocess.contrast import clahe

        return clahe(image, self.clip_limit, tuple(self.tiles))


@_register
@dataclass(frozen=True)
class EqualizeHist(_Transform):
    """Global histogram equalisation (:func:`~oculi.preprocess.equalize_hist`)."""

    name: ClassVar[str] = "equalize"

    def __call__(self, image: np.ndarray) -> np.ndarray:
        from oculi.preprocess.contrast import equalize_hist

        return equalize_hist(image)


@_register
@dataclass(frozen=True)
class Gamma(_Transform):
    """Gamma correction (:func:`~oculi.preprocess.gamma`)."""

    gamma: float = 1.0
    gain: float = 1.0
    name: ClassVar[str] = "gamma"

    def __call__(self, image: np.ndarray) -> np.ndarray:
        from oculi.preprocess.contrast import gamma

        return gamma(image, self.gamma, self.gain)


@_register
@dataclass(frozen=True)
class LocalMeanSubtraction(_Transform):
    """Local-mean subtraction (:func:`~oculi.preprocess.subtract_local_mean`)."""

    sigma: float | None = None
    size: int | None = None
    window: str = "gaussian"
    style: str = "signed"
    alpha: float = 4.0
    offset: float = 128.0
    name: ClassVar[str] = "local_mean"

    def __call__(self, image: np.ndarray) -> np.ndarray:
        from oculi.preprocess.local_mean import subtract_local_mean

        return subtract_local_mean(image, sigma=self.sigma, size=self.size, window=self.window,
                                   style=self.style, alpha=self.alpha, offset=self.offset)


@_register
@dataclass(frozen=True)
class Standardize(_Transform):
    """Per-image standardisation (:func:`~oculi.preprocess.standardize`)."""

    per_channel: bool = False
    as_float01: bool = True
    name: ClassVar[str] = "standardize"

    def __call__(self, image: np.ndarray) -> np.ndarray:
        from oculi.preprocess.normalize import standardize

        return standardize(image, per_channel=self.per_channel, as_float01=self.as_float01)


@_register
@dataclass(frozen=True)
class Normalize(_Transform):
    """Per-channel ``(x - mean) / std``, given statistics (:func:`~oculi.preprocess.normalize`)."""

    mean: tuple[float, ...] = IMAGENET_MEAN
    std: tuple[float, ...] = IMAGENET_STD
    as_float01: bool = True
    name: ClassVar[str] = "normalize"

    def __call__(self, image: np.ndarray) -> np.ndarray:
        from oculi.preprocess.normalize import normalize

        return normalize(image, self.mean, self.std, as_float01=self.as_float01)


@_register
@dataclass(frozen=True)
class Window(_Transform):
    """VOI window of modality values to [0, 1] (:func:`~oculi.preprocess.window`); give a
    ``preset`` or ``center`` and ``width``."""

    center: float | None = None
    width: float | None = None
    preset: str | None = None
    function: str = "linear"
    name: ClassVar[str] = "window"

    def __post_init__(self) -> None:
        if (self.preset is None) == (self.center is None or self.width is None):
            raise ParameterError("Window: give either preset or both center and width")

    def __call__(self, image: np.ndarray) -> np.ndarray:
        from oculi.preprocess.dicom import window

        if self.preset is not None:
            return window(image, self.preset, function=self.function)
        return window(image, self.center, self.width, function=self.function)


def create_transform(name: str, /, **params: Any) -> _Transform:
    """Build a transform by name (``clahe``, ``equalize``, ``gamma``, ``local_mean``,
    ``standardize``, ``normalize``, ``window``) with its parameters.

    Raises:
        UnknownNameError: unknown name (close matches listed).
        ParameterError: a parameter the transform does not have.
    """
    params = {k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}
    return TRANSFORMS.create(name, **params)


class Pipeline:
    """Transforms applied in order; serialisable to a JSON list of configs.

    Args:
        transforms: transform objects (or any callables, which then cannot be saved).
    """

    def __init__(self, transforms: Sequence[Any]) -> None:
        self.transforms = list(transforms)

    def __call__(self, image: np.ndarray) -> np.ndarray:
        for t in self.transforms:
            image = t(image)
        return image

    def __repr__(self) -> str:
        return f"Pipeline({self.transforms!r})"

    def to_config(self) -> list[dict[str, Any]]:
        """The list of transform configs."""
        out = []
        for t in self.transforms:
            if not isinstance(t, _Transform):
                raise ParameterError(f"Pipeline: {t!r} is not an oculi transform; cannot save it")
            out.append(t.to_config())
        return out

    @classmethod
    def from_config(cls, config: Sequence[dict[str, Any]]) -> Pipeline:
        """Rebuild from :meth:`to_config` output."""
        items = []
        for i, entry in enumerate(config):
            if not isinstance(entry, dict) or "name" not in entry:
                raise DataError(f"config[{i}]: expected a dict with a 'name', got {entry!r}")
            params = {k: v for k, v in entry.items() if k != "name"}
            items.append(create_transform(entry["name"], **params))
        return cls(items)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the pipeline as JSON (atomically)."""
        from oculi.core.atomic import write_json_atomic

        write_json_atomic(path, {"kind": "oculi.preprocess.Pipeline",
                                 "transforms": self.to_config()})

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Pipeline:
        """Read a pipeline written by :meth:`save`."""
        with open(path, encoding="utf-8") as fh:
            try:
                data = json.load(fh)
            except json.JSONDecodeError as exc:
                raise DataError(f"{path}: not a pipeline file (invalid JSON: {exc})") from exc
        if not isinstance(data, dict) or data.get("kind") != "oculi.preprocess.Pipeline":
            raise DataError(f"{path}: not an oculi preprocessing pipeline file")
        return cls.from_config(data["transforms"])
