"""PCA and ZCA whitening of images or patches, with saved/loaded fitted state.

Both decorrelate features and scale them to unit variance. With ``C = V diag(l) V^T`` the
covariance of the centred training data (``ddof=1``, as scikit-learn's PCA), and ``eps`` the
regulariser:

- PCA whitening: ``z = (x - mean) V_k diag(1 / sqrt(l_k + eps))`` — ``k`` decorrelated components,
  ordered by variance (``n_components`` keeps the first ``k``).
- ZCA whitening: ``z = (x - mean) V_k diag(1 / sqrt(l_k + eps)) V_k^T`` — the whitening closest to
  the identity (Bell & Sejnowski 1997), so whitened patches still look like images (edges).

The whitened training data have covariance ``V_k diag(l_k / (l_k + eps)) V_k^T`` — the identity up
to ``eps / l`` per component. ``inverse_transform`` undoes the transform exactly when all components
are kept (up to float rounding); with fewer components it returns the projection.

Features: a 2-D array ``(N, D)`` is N samples of D features; a higher-dimensional array
``(N, ...)`` (images ``N x H x W [x C]`` or patches from :func:`extract_patches`) is flattened per
sample, and ZCA returns the input's shape. The covariance is accumulated in one streaming pass
(``partial_fit``), so a dataset larger than memory can be fitted batch by batch.

    >>> import numpy as np
    >>> from oculi.preprocess import ZCAWhitening
    >>> x = np.random.default_rng(0).normal(size=(5000, 3)) @ [[2, 0, 0], [1, 1, 0], [0, 0, 0.1]]
    >>> z = ZCAWhitening(epsilon=1e-9).fit(x).transform(x)
    >>> bool(np.abs(np.cov(z, rowvar=False) - np.eye(3)).max() < 1e-6)
    True
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from oculi.core.checks import check_image
from oculi.core.errors import DataError, ParameterError, ShapeError
from oculi.preprocess._stats import RunningMoments

_FORMAT_VERSION = 1


def extract_patches(
    image: np.ndarray,
    size: int | tuple[int, int] = 8,
    *,
    stride: int | None = None,
    max_patches: int | None = None,
    seed: int | None = 0,
) -> np.ndarray:
    """Square (or rectangular) patches of an image, as rows of features.

    Args:
        image: HxW or HxWxC; uint8 / uint16 are scaled to [0, 1], floats used as they are.
        size: patch ``(height, width)`` or one int.
        stride: step between patch origins (default: the patch size, non-overlapping).
        max_patches: keep at most this many, drawn without replacement with ``seed``.
        seed: seed of the draw.

    Returns:
        float64 array ``(N, ph * pw * C)`` (C = 1 for gray), rows in row-major patch order.
    """
    check_image(image, "image", channels=range(1, 65), check_range=False)
    ph, pw = (size, size) if isinstance(size, int | np.integer) else (int(size[0]), int(size[1]))
    if ph < 1 or pw < 1:
        raise ParameterError(f"size: expected a positive patch size, got {size!r}")
    x = image[..., None] if image.ndim == 2 else image
    if x.dtype == np.uint8:
        x = x.astype(np.float64) / 255.0
    elif x.dtype == np.uint16:
        x = x.astype(np.float64) / 65535.0
    else:
        x = x.astype(np.float64)
    h, w, c = x.shape
    if ph > h or pw > w:
        raise ShapeError(f"size: patch {ph}x{pw} is larger than the image {h}x{w}")
    step = int(stride) if stride is not None else None
    if step is not None and step < 1:
        raise ParameterError(f"stride: expected >= 1, got {stride!r}")
    sy, sx = (step, step) if step is not None else (ph, pw)
    win = np.lib.stride_tricks.sliding_window_view(x, (ph, pw, c))[::sy, ::sx, 0]
    patches = win.reshape(-1, ph * pw * c)
    if max_patches is not None and patches.shape[0] > max_patches:
        idx = np.random.default_rng(seed).choice(patches.shape[0], max_patches, replace=False)
        patches = patches[np.sort(idx)]
    return np.ascontiguousarray(patches)


class _Whitening:
    """Shared machinery of :class:`PCAWhitening` and :class:`ZCAWhitening`."""

    kind = "base"

    def __init__(self, epsilon: float = 1e-5, n_components: int | None = None) -> None:
        if not epsilon >= 0:
            raise ParameterError(f"epsilon: expected a number >= 0, got {epsilon!r}")
        if n_components is not None and n_components < 1:
            raise ParameterError(f"n_components: expected >= 1 or None, got {n_components!r}")
        self.epsilon = float(epsilon)
        self.n_components = n_components
        self.mean_: np.ndarray | None = None
        self.components_: np.ndarray | None = None  # (k, D), rows are eigenvectors
        self.eigenvalues_: np.ndarray | None = None  # (k,), descending
        self.n_samples_ = 0
        self.sample_shape_: tuple[int, ...] | None = None
        self._moments: RunningMoments | None = None

    def __repr__(self) -> str:
        fitted = "fitted" if self.mean_ is not None else "unfitted"
        return (
            f"{type(self).__name__}(epsilon={self.epsilon}, n_components={self.n_components}, "
            f"{fitted})"
        )

    # ---------------------------------------------------------------- fitting
    def _as_rows(self, x: Any, name: str) -> np.ndarray:
        arr = np.asarray(x)
        if arr.dtype.kind not in "fiu":
            raise ParameterError(f"{name}: expected a numeric array, got dtype {arr.dtype}")
        if arr.ndim < 2:
            raise ShapeError(
                f"{name}: expected (N, D) samples or (N, H, W[, C]) images, got shape {arr.shape}"
            )
        return arr.reshape(arr.shape[0], -1)

    def partial_fit(self, x: Any) -> _Whitening:
        """Accumulate mean and covariance from a batch ``(N, D)`` or ``(N, ...)``; call
        :meth:`finalize` (or :meth:`transform`, which finalises) after the last batch."""
        rows = self._as_rows(x, "x")
        if self._moments is None:
            self._moments = RunningMoments(rows.shape[1], covariance=True)
            self.sample_shape_ = tuple(np.asarray(x).shape[1:])
        elif rows.shape[1] != self._moments.dim:
            raise ShapeError(
                f"x: expected {self._moments.dim} features like the first batch, got "
                f"{rows.shape[1]}"
            )
        self._moments.update(rows)
        self.mean_ = None  # needs finalize
        return self

    def finalize(self) -> _Whitening:
        """Turn the accumulated moments into the whitening matrices."""
        if self._moments is None or self._moments.count < 2:
            raise DataError("x: need at least 2 samples to estimate a covariance")
        cov = self._moments.variance(ddof=1)
        vals, vecs = np.linalg.eigh((cov + cov.T) / 2.0)
        order = np.argsort(vals)[::-1]
        vals = np.clip(vals[order], 0.0, None)
        vecs = vecs[:, order]
        k = vals.size if self.n_components is None else min(self.n_components, vals.size)
        # a deterministic sign: the largest-magnitude entry of each eigenvector is positive
        signs = np.sign(vecs[np.abs(vecs).argmax(axis=0), np.arange(vecs.shape[1])])
        vecs = vecs * np.where(signs == 0, 1.0, signs)
        if self.epsilon == 0 and vals[k - 1] <= 0:
            raise DataError(
                "x: the covariance is singular and epsilon=0 — use epsilon > 0 or fewer components"
            )
        self.mean_ = self._moments.mean.copy()
        self.eigenvalues_ = vals[:k]
        self.components_ = vecs[:, :k].T.copy()
        self.n_samples_ = self._moments.count
        return self

    def fit(self, x: Any) -> _Whitening:
        """Fit on samples ``(N, D)`` or images/patches ``(N, ...)`` (flattened per sample)."""
        self._moments = None
        self.partial_fit(x)
        return self.finalize()

    # ---------------------------------------------------------------- applying
    def _ready(self) -> None:
        if self.mean_ is None:
            if self._moments is not None:
                self.finalize()
            else:
                raise ParameterError(f"{type(self).__name__}: not fitted — call fit(x) first")

    def _check_features(self, rows: np.ndarray, expected: int, name: str) -> None:
        if rows.shape[1] != expected:
            raise ShapeError(
                f"{name}: expected {expected} features per sample (the fitted dimension), got "
                f"{rows.shape[1]} — use the same patch size and channels as in fit"
            )

    @property
    def scale_(self) -> np.ndarray:
        """``1 / sqrt(eigenvalue + epsilon)`` per component."""
        self._ready()
        return 1.0 / np.sqrt(self.eigenvalues_ + self.epsilon)

    def whitening_matrix(self) -> np.ndarray:
        """The ``D x k`` (PCA) or ``D x D`` (ZCA) matrix ``W`` with ``z = (x - mean) W``."""
        raise NotImplementedError

    def transform(self, x: Any) -> np.ndarray:
        """Whiten samples; output float32 unless the input is float64."""
        self._ready()
        arr = np.asarray(x)
        rows = self._as_rows(arr, "x")
        self._check_features(rows, self.mean_.size, "x")
        z = (rows.astype(np.float64) - self.mean_) @ self.whitening_matrix()
        return self._output(z, arr)

    def inverse_transform(self, z: Any) -> np.ndarray:
        """Map whitened samples back to the input space."""
        raise NotImplementedError

    def _output(self, z: np.ndarray, like: np.ndarray) -> np.ndarray:
        dtype = np.float64 if like.dtype == np.float64 else np.float32
        return z.astype(dtype, copy=False)

    # ---------------------------------------------------------------- persistence
    def _state(self) -> dict[str, np.ndarray]:
        self._ready()
        return {
            "mean": self.mean_,
            "components": self.components_,
            "eigenvalues": self.eigenvalues_,
            "epsilon": np.array(self.epsilon, np.float64),
            "n_components": np.array(-1 if self.n_components is None else self.n_components),
            "n_samples": np.array(self.n_samples_, np.int64),
            "sample_shape": np.array(self.sample_shape_ or (self.mean_.size,), np.int64),
            "version": np.array(_FORMAT_VERSION, np.int64),
        }

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the fitted state to ``.npz`` or ``.safetensors`` (chosen by the suffix)."""
        from oculi.core.atomic import atomic_path

        p = Path(path)
        state = self._state()
        suffix = p.suffix.lower()
        if suffix not in (".npz", ".safetensors"):
            raise ParameterError(f"path: expected a .npz or .safetensors file, got {p.name!r}")
        with atomic_path(p) as tmp:
            if suffix == ".npz":
                with open(tmp, "wb") as fh:
                    np.savez(fh, kind=np.array(self.kind), **state)
            else:
                from safetensors.numpy import save_file

                arrays = {k: np.ascontiguousarray(np.atleast_1d(v)) for k, v in state.items()}
                save_file(arrays, str(tmp), metadata={"kind": self.kind})

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> _Whitening:
        """Read a state written by :meth:`save` (the class must match the saved kind)."""
        p = Path(path)
        if not p.is_file():
            raise DataError(f"{p}: no such file")
        try:
            if p.suffix.lower() == ".safetensors":
                from safetensors import safe_open

                with safe_open(str(p), framework="numpy") as fh:
                    kind = (fh.metadata() or {}).get("kind")
                    state = {k: fh.get_tensor(k) for k in fh.keys()}  # noqa: SIM118
            else:
                with np.load(p, allow_pickle=False) as npz:
                    state = {k: npz[k] for k in npz.files}
                kind = str(state.pop("kind", ""))
        except Exception as exc:
            raise DataError(f"{p}: not a whitening state file ({exc})") from exc
        if kind != cls.kind:
            raise DataError(f"{p}: holds a {kind!r} whitening, not {cls.kind!r}")
        n_comp = int(np.ravel(state["n_components"])[0])
        obj = cls(
            epsilon=float(np.ravel(state["epsilon"])[0]),
            n_components=None if n_comp < 0 else n_comp,
        )
        obj.mean_ = np.asarray(state["mean"], np.float64)
        obj.components_ = np.asarray(state["components"], np.float64)
        obj.eigenvalues_ = np.asarray(state["eigenvalues"], np.float64)
        obj.n_samples_ = int(np.ravel(state["n_samples"])[0])
        obj.sample_shape_ = tuple(int(v) for v in np.ravel(state["sample_shape"]))
        return obj


class PCAWhitening(_Whitening):
    """PCA whitening: project on the principal components and scale each to unit variance.

    Args:
        epsilon: added to every eigenvalue before the inverse square root (regularises the
            weak, noisy components).
        n_components: keep the ``k`` strongest components (default: all ``D``).

    Attributes (after fit):
        mean_: ``(D,)``; components_: ``(k, D)`` (rows, by decreasing variance); eigenvalues_:
        ``(k,)``, covariance eigenvalues with ``ddof=1`` (scikit-learn's ``explained_variance_``).

    ``transform`` returns ``(N, k)``.
    """

    kind = "pca"

    def whitening_matrix(self) -> np.ndarray:
        self._ready()
        return self.components_.T * self.scale_[None, :]

    def inverse_transform(self, z: Any) -> np.ndarray:
        """``(N, k)`` whitened -> ``(N, D)`` (or the fitted sample shape)."""
        self._ready()
        arr = np.asarray(z)
        rows = self._as_rows(arr, "z")
        self._check_features(rows, self.components_.shape[0], "z")
        x = (rows.astype(np.float64) / self.scale_) @ self.components_ + self.mean_
        out = self._output(x, arr)
        if self.sample_shape_ and int(np.prod(self.sample_shape_)) == out.shape[1]:
            out = out.reshape((out.shape[0], *self.sample_shape_))
        return out


class ZCAWhitening(_Whitening):
    """ZCA (zero-phase) whitening: PCA whitening rotated back to the input axes.

    Args:
        epsilon: added to every eigenvalue (0.1 for [0, 1]-scaled CIFAR-10 images, 1e-5 or less
            for exact whitening).
        n_components: keep ``k`` components (a low-rank ZCA); default all.

    ``transform`` and ``inverse_transform`` keep the sample shape: ``(N, D)`` or ``(N, ...)``.
    """

    kind = "zca"

    def whitening_matrix(self) -> np.ndarray:
        self._ready()
        return (self.components_.T * self.scale_[None, :]) @ self.components_

    def coloring_matrix(self) -> np.ndarray:
        """``D x D`` inverse of :meth:`whitening_matrix` on the kept subspace."""
        self._ready()
        return (self.components_.T / self.scale_[None, :]) @ self.components_

    def transform(self, x: Any) -> np.ndarray:
        arr = np.asarray(x)
        z = super().transform(arr)
        return z.reshape(arr.shape) if arr.ndim > 2 else z

    def inverse_transform(self, z: Any) -> np.ndarray:
        """Whitened ``(N, D)`` / ``(N, ...)`` -> input space, same shape."""
        self._ready()
        arr = np.asarray(z)
        rows = self._as_rows(arr, "z")
        self._check_features(rows, self.mean_.size, "z")
        x = rows.astype(np.float64) @ self.coloring_matrix() + self.mean_
        out = self._output(x, arr)
        return out.reshape(arr.shape) if arr.ndim > 2 else out
