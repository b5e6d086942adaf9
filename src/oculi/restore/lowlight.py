"""Low-light enhancement: one registry of enhancers and :func:`enhance`.

Enhancers (``enhancers.names()``), each on float32 [0, 1] gray or RGB:

- ``gamma`` — ``out = in ** g``; by default ``g = log(0.5) / log(mean luma)`` (clipped to
  [0.2, 1]) so the mean brightness moves to mid-grey (:func:`oculi.preprocess.gamma`).
- ``clahe`` — CLAHE on the L* channel (:func:`oculi.preprocess.clahe`, clip limit 3, 8x8 tiles).
- ``lime`` — LIME (Guo et al., TIP 2017): the initial illumination ``T0 = max(R, G, B)`` is
  refined by the structure-aware smoothing of LIME's "sped-up solver": the weighted least squares
  ``(I + alpha sum_d D_d^T diag(W_d / (|D_d T0| + eps)) D_d) T = T0`` with
  ``W_d = 1 / (|G_sigma * D_d T0| + eps)`` (forward differences ``D_d`` along x and y,
  Gaussian ``sigma = 2``, ``alpha = 0.15``, ``eps = 1e-3``), solved exactly as one sparse system
  (SciPy's sparse LU; conjugate gradients do not converge on these weights, which span six
  orders of magnitude); then ``out = in / max(T, 0.05) ** 0.8``. Maps over 65,536 pixels are
  solved at a reduced size (``T0`` area-downsampled, ``T`` upsampled bilinearly): on four LOL
  pairs (600x400) that is 5x faster than the full-size solve and 0.1 dB better (18.10 against
  17.99 dB).
- ``msrcr`` — multi-scale Retinex with colour restoration (Jobson, Rahman & Woodell 1997):
  ``MSR = sum_n 1/3 (log I - log(G_sn * I))`` at ``s = 15, 80, 250`` pixels, colour restoration
  ``C = 46 (log(125 I) - log sum_c I_c)``, ``out = C * MSR``, then each channel stretched between
  its 1st and 99th percentiles (the "simplest colour balance" that replaces Jobson's fixed gain and
  offset). Blurs wider than 20 pixels run on a proportionally downsampled image.
- ``zero-dce``, ``zero-dce++`` — the published networks (:mod:`oculi.restore.zero_dce`), their
  weights given by path (``model_path``), or the same networks trained in oculi (``run``: a run
  folder of ``oculi train lowlight``, :mod:`oculi.restore.lowlight_task`).
"""

from __future__ import annotations

from collections.abc import Callable
from os import PathLike

import numpy as np

from oculi.core.errors import ParameterError
from oculi.core.registry import Registry
from oculi.restore._common import join, split

#: functions ``(image, model_path=None) -> image`` on float32 [0, 1] HxW / HxWx3
enhancers: Registry[Callable[..., np.ndarray]] = Registry("low-light enhancer")

#: the largest illumination map LIME solves at full size (pixels)
_LIME_PIXELS = 1 << 16

_LUMA = np.array([0.299, 0.587, 0.114], np.float32)


def _luma(image: np.ndarray) -> np.ndarray:
    return image if image.ndim == 2 else image @ _LUMA


@enhancers.register("gamma", help="gamma curve moving the mean luma to 0.5")
def gamma_enhance(image: np.ndarray, model_path: object = None,
                  gamma: float | None = None) -> np.ndarray:
    """Gamma correction; ``gamma=None`` picks ``log(0.5) / log(mean luma)`` in [0.2, 1]."""
    from oculi.preprocess import gamma as apply_gamma

    if gamma is None:
        mean = float(np.clip(_luma(image).mean(), 1e-4, 0.999))
        gamma = float(np.clip(np.log(0.5) / np.log(mean), 0.2, 1.0))
    return apply_gamma(image, gamma)


@enhancers.register("clahe", help="CLAHE on L* (clip limit 3, 8x8 tiles)")
def clahe_enhance(image: np.ndarray, model_path: object = None) -> np.ndarray:
    """CLAHE on the lightness channel (colour) or on the gray image."""
    from oculi.preprocess import clahe

    return clahe(image, clip_limit=3.0, tiles=(8, 8))


def _smooth_illumination(t0: np.ndarray, alpha: float = 0.15, sigma: float = 2.0,
                         eps: float = 1e-3) -> np.ndarray:
    """LIME's structure-aware refinement of the initial illumination map (module docstring)."""
    import cv2
    from scipy import sparse
    from scipy.sparse.linalg import spsolve

    h, w = t0.shape
    t0 = t0.astype(np.float64)
    dx = np.zeros_like(t0)
    dy = np.zeros_like(t0)
    dx[:, :-1] = t0[:, 1:] - t0[:, :-1]
    dy[:-1, :] = t0[1:, :] - t0[:-1, :]
    wx = 1.0 / (np.abs(cv2.GaussianBlur(dx, (0, 0), sigma)) + eps) / (np.abs(dx) + eps)
    wy = 1.0 / (np.abs(cv2.GaussianBlur(dy, (0, 0), sigma)) + eps) / (np.abs(dy) + eps)
    wx[:, -1] = 0.0   # no difference across the right and bottom borders
    wy[-1, :] = 0.0
    n = h * w
    idx = np.arange(n).reshape(h, w)
    # each horizontal/vertical edge (p, q) with weight c adds c (t_p - t_q)^2 to the energy
    rows, cols, vals = [], [], []
    for weights, p, q in ((wx[:, :-1], idx[:, :-1], idx[:, 1:]),
                          (wy[:-1, :], idx[:-1, :], idx[1:, :])):
        c = alpha * weights.ravel()
        p, q = p.ravel(), q.ravel()
        rows += [p, q, p, q]
        cols += [p, q, q, p]
        vals += [c, c, -c, -c]
    rows.append(np.arange(n))
    cols.append(np.arange(n))
    vals.append(np.ones(n))
    a = sparse.csc_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                          shape=(n, n))
    return spsolve(a, t0.ravel()).reshape(h, w)


@enhancers.register("lime", help="LIME illumination map (max-RGB, structure-aware WLS)")
def lime_enhance(image: np.ndarray, model_path: object = None, gamma: float = 0.8
                 ) -> np.ndarray:
    """LIME: divide by the refined illumination map raised to ``gamma``."""
    import cv2

    t0 = image if image.ndim == 2 else image.max(axis=2)
    h, w = t0.shape
    factor = max(1.0, float(np.sqrt(h * w / _LIME_PIXELS)))
    if factor > 1:
        small = cv2.resize(t0, (round(w / factor), round(h / factor)), interpolation=cv2.INTER_AREA)
        t = cv2.resize(_smooth_illumination(small).astype(np.float32), (w, h),
                       interpolation=cv2.INTER_LINEAR)
    else:
        t = _smooth_illumination(t0)
    t = np.clip(t, 0.05, 1.0) ** gamma
    out = image / (t if image.ndim == 2 else t[..., None])
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def _blur(image: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur; wide ones on a downsampled copy (the result is smooth at that scale)."""
    import cv2

    h, w = image.shape[:2]
    factor = int(sigma // 10) if sigma > 20 else 1
    if factor > 1 and min(h, w) // factor >= 4:
        small = cv2.resize(image, (max(1, w // factor), max(1, h // factor)),
                           interpolation=cv2.INTER_AREA)
        blurred = cv2.GaussianBlur(small, (0, 0), sigma / factor, borderType=cv2.BORDER_REFLECT)
        return cv2.resize(blurred, (w, h), interpolation=cv2.INTER_LINEAR)
    return cv2.GaussianBlur(image, (0, 0), sigma, borderType=cv2.BORDER_REFLECT)


@enhancers.register("msrcr", help="multi-scale Retinex with colour restoration (Jobson 1997)")
def msrcr_enhance(image: np.ndarray, model_path: object = None,
                  sigmas: tuple[float, ...] = (15.0, 80.0, 250.0)) -> np.ndarray:
    """MSRCR followed by a 1 %/99 % per-channel stretch."""
    data = image.astype(np.float32) * 255.0 + 1.0
    log_i = np.log(data)
    msr = sum(log_i - np.log(_blur(data, s)) for s in sigmas) / len(sigmas)
    if image.ndim == 3:
        restore = 46.0 * (np.log(125.0 * data) - np.log(data.sum(axis=2, keepdims=True)))
        msr = restore * msr
    flat = msr.reshape(-1, 1 if msr.ndim == 2 else msr.shape[2])
    lo, hi = np.percentile(flat, 1, axis=0), np.percentile(flat, 99, axis=0)
    out = (msr - lo) / np.maximum(hi - lo, 1e-6)
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def _zero_dce(image: np.ndarray, model_path: str | PathLike[str] | None = None) -> np.ndarray:
    if model_path is None:
        raise ParameterError("model_path: Zero-DCE needs the published weights file "
                             "(e.g. ZeroDCE_Epoch99.pth); nothing is downloaded")
    from oculi.restore.zero_dce import zero_dce_enhance

    return zero_dce_enhance(image, model_path)


_LOWLIGHT_RUN = "oculi.restore.lowlight_task:run_enhancer"
enhancers.register("zero-dce", _zero_dce, needs_model=True, run_loader=_LOWLIGHT_RUN,
                   help="Zero-DCE forward pass, published weights by path or a trained run")
enhancers.register("zero-dce++", _zero_dce, aliases=("zero-dce-pp",), needs_model=True,
                   run_loader=_LOWLIGHT_RUN,
                   help="Zero-DCE++ forward pass, published weights by path or a trained run")


def _run_function(method: str | None, run: str | PathLike[str]) -> Callable[..., np.ndarray]:
    """The image function of a trained ``run`` (``method`` None: the run's own network)."""
    import importlib

    entry = enhancers.entry(method or "zero-dce")
    ref = entry.meta.get("run_loader")
    if ref is None:
        takes = [n for n in enhancers.names() if enhancers.entry(n).meta.get("run_loader")]
        raise ParameterError(f"run: {entry.name} takes no trained run — methods with runs: "
                             f"{', '.join(takes)}")
    module, _, attr = ref.partition(":")
    return getattr(importlib.import_module(module), attr)(run, method)


def enhance(image: np.ndarray, method: str | None = "lime",
            model_path: str | PathLike[str] | None = None, *,
            run: str | PathLike[str] | None = None) -> np.ndarray:
    """Brighten a low-light image.

    Args:
        image: HxW, HxWx3 or HxWx4 (alpha passed through); uint8, uint16 or float in [0, 1];
            at least 4x4 pixels.
        method: an :data:`enhancers` name.
        model_path: the weights file of ``zero-dce`` / ``zero-dce++`` (the variant is read
            from the file's keys).
        run: instead of ``model_path``, a run folder (or checkpoint) of ``oculi train
            lowlight``; ``method`` None then means the run's network.

    Returns:
        The enhanced image, same shape and dtype.
    """
    if run is not None:
        if model_path is not None:
            raise ParameterError("model_path and run: give the weights file or the run, "
                                 "not both")
        work, parts = split(image)
        return join(_run_function(method, run)(work), parts)
    fn = enhancers.get(method or "lime")
    work, parts = split(image)
    return join(fn(work, model_path=model_path), parts)
