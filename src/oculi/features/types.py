"""Result types of the features topic: keypoints, features (keypoints + descriptors) and matches.

Everything is a plain numpy array so that downstream code (homography estimation, stitching) can
index, mask and concatenate without converting OpenCV objects.

Conventions:
    * points are ``(x, y)`` pixels, origin top-left, pixel centres at integers;
    * ``size`` is the diameter of the keypoint's support region in pixels (OpenCV's convention);
    * ``angle`` is the orientation in degrees in ``[0, 360)``, measured from the ``x`` axis
      towards the ``y`` axis (clockwise on screen, since ``y`` points down), as OpenCV reports
      it; ``NaN`` when the method assigns none (FAST; upright SURF reports ``0``);
    * ``octave`` is the pyramid octave the keypoint was found in (0 = full resolution);
    * descriptors are ``float32`` rows (``kind="float"``, compared with the L2 norm) or packed
      ``uint8`` bit strings (``kind="binary"``, compared with the Hamming norm).

    >>> import numpy as np
    >>> kp = Keypoints.from_xy(np.array([[10.0, 20.0], [3.5, 4.0]]))
    >>> len(kp), kp.xy.dtype, kp.size.tolist()
    (2, dtype('float32'), [1.0, 1.0])
    >>> kp[np.array([1])].xy.tolist()
    [[3.5, 4.0]]
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from oculi.core.errors import ShapeError

DescriptorKind = Literal["float", "binary"]
Norm = Literal["l2", "hamming"]


def _as(a: Any, dtype: Any, n: int, name: str) -> np.ndarray:
    arr = np.ascontiguousarray(np.asarray(a, dtype=dtype).reshape(-1))
    if arr.shape[0] != n:
        raise ShapeError(f"{name}: expected {n} values (one per keypoint), got {arr.shape[0]}")
    return arr


@dataclass(frozen=True)
class Keypoints:
    """N keypoints as parallel arrays.

    Attributes:
        xy: ``(N, 2)`` float32, ``(x, y)`` in pixels.
        size: ``(N,)`` float32, support diameter in pixels.
        angle: ``(N,)`` float32, orientation in degrees ``[0, 360)``; NaN when undefined.
        response: ``(N,)`` float32, detector strength (larger is stronger; method-specific units).
        octave: ``(N,)`` int32, pyramid octave (0 = full resolution).
    """

    xy: np.ndarray
    size: np.ndarray
    angle: np.ndarray
    response: np.ndarray
    octave: np.ndarray

    def __post_init__(self) -> None:
        xy = np.ascontiguousarray(np.asarray(self.xy, np.float32).reshape(-1, 2))
        n = xy.shape[0]
        object.__setattr__(self, "xy", xy)
        object.__setattr__(self, "size", _as(self.size, np.float32, n, "size"))
        object.__setattr__(self, "angle", _as(self.angle, np.float32, n, "angle"))
        object.__setattr__(self, "response", _as(self.response, np.float32, n, "response"))
        object.__setattr__(self, "octave", _as(self.octave, np.int32, n, "octave"))

    @classmethod
    def empty(cls) -> Keypoints:
        """Zero keypoints."""
        z = np.zeros(0, np.float32)
        return cls(np.zeros((0, 2), np.float32), z, z, z, np.zeros(0, np.int32))

    @classmethod
    def _trusted(cls, xy: np.ndarray, size: np.ndarray, angle: np.ndarray, response: np.ndarray,
                 octave: np.ndarray) -> Keypoints:
        """Internal: wrap arrays that already have the documented dtypes and shapes (contiguous
        ``(N, 2)`` float32, ``(N,)`` float32 x3, ``(N,)`` int32) without the checks of the
        constructor (~10 us, which matters next to OpenCV's FAST at ~0.5 ms)."""
        kp = object.__new__(cls)
        for name, value in (("xy", xy), ("size", size), ("angle", angle),
                            ("response", response), ("octave", octave)):
            object.__setattr__(kp, name, value)
        return kp

    @classmethod
    def from_xy(cls, xy: np.ndarray, size: float = 1.0) -> Keypoints:
        """Keypoints at ``xy`` (``(N, 2)`` pixels) with a fixed size, no angle, zero response."""
        xy = np.asarray(xy, np.float32).reshape(-1, 2)
        n = len(xy)
        return cls(xy, np.full(n, size), np.full(n, np.nan), np.zeros(n), np.zeros(n, np.int32))

    @classmethod
    def from_cv(cls, keypoints: Any) -> Keypoints:
        """Convert a sequence of ``cv2.KeyPoint`` (angle -1 becomes NaN; octave is unpacked).

        Positions come from ``cv2.KeyPoint_convert`` (a C++ loop); the four scalar fields are
        read with C-level iteration (``np.fromiter`` over ``map(attrgetter)``), no Python loop.
        """
        n = len(keypoints)
        if n == 0:
            return cls.empty()
        import cv2

        def col(attr: str, dtype: Any) -> np.ndarray:
            return np.fromiter(map(operator.attrgetter(attr), keypoints), dtype, n)

        xy = cv2.KeyPoint_convert(keypoints).reshape(n, 2)
        angle = col("angle", np.float32)
        angle[angle < 0] = np.nan
        octave = col("octave", np.int64) & 255  # SIFT packs layer/scale into higher bits
        octave = np.where(octave >= 128, octave - 256, octave)  # SIFT's octave -1 (upsampled)
        return cls(xy, col("size", np.float32), angle, col("response", np.float32), octave)

    def to_cv(self) -> list[Any]:
        """A list of ``cv2.KeyPoint`` (NaN angles become -1), e.g. for ``cv2.drawKeypoints``."""
        import cv2

        ang = np.where(np.isnan(self.angle), -1.0, self.angle)
        return [
            cv2.KeyPoint(float(x), float(y), float(s), float(a), float(r), int(o))
            for (x, y), s, a, r, o in zip(
                self.xy, self.size, ang, self.response, self.octave, strict=True
            )
        ]

    def __len__(self) -> int:
        return int(self.xy.shape[0])

    def __getitem__(self, index: Any) -> Keypoints:
        """Select keypoints with an integer index array, a boolean mask or a slice."""
        return Keypoints(
            self.xy[index], self.size[index], self.angle[index], self.response[index],
            self.octave[index],
        )

    def as_dict(self) -> dict[str, Any]:
        """Plain lists, for JSON."""
        return {
            "x": self.xy[:, 0].tolist(), "y": self.xy[:, 1].tolist(), "size": self.size.tolist(),
            "angle": [None if a != a else a for a in self.angle.tolist()],
            "response": self.response.tolist(), "octave": self.octave.tolist(),
        }


@dataclass(frozen=True)
class Features:
    """Keypoints of one image and, when the method describes them, their descriptors.

    Attributes:
        keypoints: the :class:`Keypoints` (N of them).
        descriptors: ``(N, D)`` float32 (``kind="float"``) or ``(N, B)`` uint8 packed bits
            (``kind="binary"``, ``8*B`` bits), or ``None`` for detector-only methods (FAST).
        kind: ``"float"``, ``"binary"`` or ``None`` (no descriptors).
        norm: ``"l2"`` for float, ``"hamming"`` for binary descriptors, ``None`` without them.
        method: the registry name of the method that produced them.
        image_size: ``(height, width)`` of the image in pixels.
        laplacian: ``(N,)`` int8 sign of the Laplacian (+1/-1; SURF only, else ``None``). Matching
            only pairs keypoints of the same sign when both sides have it.
    """

    keypoints: Keypoints
    descriptors: np.ndarray | None = None
    kind: DescriptorKind | None = None
    norm: Norm | None = None
    method: str = ""
    image_size: tuple[int, int] = (0, 0)
    laplacian: np.ndarray | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.keypoints)
        if self.descriptors is not None:
            d = self.descriptors
            if d.ndim != 2 or d.shape[0] != n:
                raise ShapeError(
                    f"descriptors: expected ({n}, D) for {n} keypoints, got shape {d.shape}"
                )
            if self.kind is None or self.norm is None:
                raise ShapeError("descriptors given without kind/norm")
        if self.laplacian is not None and len(self.laplacian) != n:
            raise ShapeError(f"laplacian: expected {n} signs, got {len(self.laplacian)}")

    def __len__(self) -> int:
        return len(self.keypoints)

    @property
    def xy(self) -> np.ndarray:
        """``(N, 2)`` float32 keypoint positions in pixels."""
        return self.keypoints.xy

    @property
    def has_descriptors(self) -> bool:
        """Whether descriptors are present (possibly zero rows)."""
        return self.descriptors is not None

    def __getitem__(self, index: Any) -> Features:
        """Select a subset of keypoints (and their descriptors and signs)."""
        return Features(
            self.keypoints[index],
            None if self.descriptors is None else self.descriptors[index],
            self.kind, self.norm, self.method, self.image_size,
            None if self.laplacian is None else self.laplacian[index], dict(self.meta),
        )

    def strongest(self, k: int | None) -> Features:
        """The ``k`` keypoints of largest ``response`` (all when ``k`` is None or >= N), in their
        original order."""
        if k is None or k >= len(self):
            return self
        keep = np.argsort(-self.keypoints.response, kind="stable")[: max(int(k), 0)]
        return self[np.sort(keep)]

    def summary(self) -> dict[str, Any]:
        """Counts and descriptor facts, for printing and JSON."""
        return {
            "method": self.method, "keypoints": len(self), "image_size": list(self.image_size),
            "descriptor_kind": self.kind, "norm": self.norm,
            "descriptor_size": None if self.descriptors is None else int(self.descriptors.shape[1]),
        }


@dataclass(frozen=True)
class Matches:
    """Correspondences between two :class:`Features`: index arrays and descriptor distances.

    Attributes:
        query_idx: ``(M,)`` int64 indices into the first (query) features.
        train_idx: ``(M,)`` int64 indices into the second (train) features.
        distance: ``(M,)`` float32 descriptor distances (L2, or Hamming bit counts).
        ratio: ``(M,)`` float32 nearest / second-nearest distance ratio, NaN when unknown.
    """

    query_idx: np.ndarray
    train_idx: np.ndarray
    distance: np.ndarray
    ratio: np.ndarray | None = None

    def __post_init__(self) -> None:
        q = np.ascontiguousarray(np.asarray(self.query_idx, np.int64).reshape(-1))
        n = q.shape[0]
        object.__setattr__(self, "query_idx", q)
        object.__setattr__(self, "train_idx", _as(self.train_idx, np.int64, n, "train_idx"))
        object.__setattr__(self, "distance", _as(self.distance, np.float32, n, "distance"))
        r = np.full(n, np.nan) if self.ratio is None else self.ratio
        object.__setattr__(self, "ratio", _as(r, np.float32, n, "ratio"))

    @classmethod
    def empty(cls) -> Matches:
        """No matches."""
        return cls(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32))

    def __len__(self) -> int:
        return int(self.query_idx.shape[0])

    def __getitem__(self, index: Any) -> Matches:
        """Select matches with an index array, a boolean mask or a slice."""
        return Matches(
            self.query_idx[index], self.train_idx[index], self.distance[index], self.ratio[index]
        )

    def points(self, f1: Features, f2: Features) -> tuple[np.ndarray, np.ndarray]:
        """The matched positions: two ``(M, 2)`` float32 arrays of ``(x, y)`` pixels."""
        return f1.xy[self.query_idx], f2.xy[self.train_idx]

    def as_dict(self) -> dict[str, Any]:
        """Plain lists, for JSON."""
        return {
            "query_idx": self.query_idx.tolist(), "train_idx": self.train_idx.tolist(),
            "distance": self.distance.tolist(),
        }
