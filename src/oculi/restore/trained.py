"""Running a network trained with ``oculi train restore`` on images: :func:`load_restorer` reads a
run folder (or its checkpoint), :func:`network_function` wraps the network as a float32 image
function for :func:`oculi.restore.upscale` / :func:`oculi.restore.denoise` (``run=FOLDER``).

Colour handling: a one-plane network (``channels=1``) super-resolves the Y of MATLAB's YCbCr and
upscales Cb and Cr with MATLAB bicubic (the SRCNN/FSRCNN/ESPCN protocol), and denoises each
plane of a colour image alone; a three-plane network takes RGB (gray input is repeated to three
planes and averaged back).
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from oculi.core.errors import DataError, ParameterError
from oculi.restore.resize import imresize

#: checkpoint metadata key of restoration runs
CHECKPOINT_KEY = "oculi_restore"

# MATLAB rgb2ycbcr on [0, 1] data: ycbcr = OFFSET + M @ rgb
_M = np.array([[65.481, 128.553, 24.966], [-37.797, -74.203, 112.0],
               [112.0, -93.786, -18.214]], np.float64) / 255.0
_OFFSET = np.array([16.0, 128.0, 128.0]) / 255.0
_M_INV = np.linalg.inv(_M)
#: the standard deviation of Y when R, G and B carry independent noise of standard deviation 1
Y_NOISE = float(np.linalg.norm(_M[0]))


def rgb_to_ycbcr(rgb: np.ndarray) -> np.ndarray:
    """HxWx3 float RGB in [0, 1] -> float32 YCbCr (MATLAB ``rgb2ycbcr``, in [0, 1] units)."""
    return (rgb.astype(np.float64) @ _M.T + _OFFSET).astype(np.float32)


def ycbcr_to_rgb(ycc: np.ndarray) -> np.ndarray:
    """Inverse of :func:`rgb_to_ycbcr` (float32, not clipped)."""
    return ((ycc.astype(np.float64) - _OFFSET) @ _M_INV.T).astype(np.float32)


def run_config(run: str | os.PathLike[str]) -> dict[str, Any]:
    """The network config (``model``, ``scale``, ``channels``, ...) stored in a run's checkpoint.

    Raises:
        DataError: no checkpoint, or the checkpoint of another task.
    """
    from oculi.models.weights import read_metadata
    from oculi.train.checkpoint import resolve_checkpoint

    ckpt = resolve_checkpoint(run, "restore")
    meta = read_metadata(ckpt)
    if CHECKPOINT_KEY not in meta:
        raise DataError(f"{ckpt}: not a restore checkpoint (no {CHECKPOINT_KEY} metadata)")
    return json.loads(meta[CHECKPOINT_KEY])


def load_restorer(run: str | os.PathLike[str]) -> nn.Module:
    """The trained network of a restore run folder (or checkpoint), in eval mode on the CPU.

    The last few networks loaded are kept, keyed by the checkpoint's path, size and
    modification time: restoring many images with one run (``oculi eval restore``, a folder of
    inputs) reads the file once; a rewritten checkpoint is read again. Callers must not change
    the returned network (it is shared)."""
    from oculi.train.checkpoint import resolve_checkpoint

    ckpt = os.path.realpath(resolve_checkpoint(run, "restore"))
    st = os.stat(ckpt)
    return _load_checkpoint(ckpt, st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=4)
def _load_checkpoint(ckpt: str, size: int, mtime_ns: int) -> nn.Module:
    """:func:`load_restorer`'s read (``size`` and ``mtime_ns`` only key the cache)."""
    from oculi.restore.nets import build_network
    from oculi.train.checkpoint import load_run_model

    return load_run_model(ckpt, CHECKPOINT_KEY, "restore", lambda c: build_network(**c))


def network_function(net: nn.Module, scale: int, condition: np.ndarray | None = None
                     ) -> Callable[[np.ndarray], np.ndarray]:
    """A float32 [0, 1] HxW / HxWx3 image function running ``net`` (see the module doc).

    Args:
        net: a network of :mod:`oculi.restore.nets`.
        scale: the factor asked for (must be the network's).
        condition: SRMD only: the degradation vector
            (:func:`oculi.restore.kernels.srmd_condition`).

    Raises:
        ParameterError: ``scale`` differs from the network's; an SRMD network without a
            condition.
    """
    if net.scale != scale:
        raise ParameterError(f"scale: this {net.name} run was trained for x{net.scale}, got "
                             f"{scale} — train another run with --scale {scale}")
    if (condition is None) == (net.name == "srmd"):
        raise ParameterError("blur: an srmd run needs the degradation (blur or kernel, and "
                             "noise)" if condition is None else
                             f"blur: only srmd runs take a degradation; this run holds "
                             f"{net.name}")
    plain: tuple[torch.Tensor, ...] = ()
    luma: tuple[torch.Tensor, ...] = ()
    if condition is not None:
        plain = (torch.from_numpy(condition)[None],)
        # the Y plane of colour input carries Y_NOISE times the per-channel RGB noise
        y_condition = condition.copy()
        y_condition[-1] *= Y_NOISE
        luma = (torch.from_numpy(y_condition)[None],)

    @torch.no_grad()
    def apply(planes: np.ndarray, extra: tuple[torch.Tensor, ...] = plain) -> np.ndarray:
        """``planes`` HxWxC float32 -> the network's output, HxWxC float32 (not clipped)."""
        x = torch.from_numpy(np.ascontiguousarray(planes.transpose(2, 0, 1)))[None]
        return net(x, *extra)[0].numpy().transpose(1, 2, 0)

    def run(image: np.ndarray) -> np.ndarray:
        gray = image.ndim == 2
        if net.channels == 3:
            rgb = np.repeat(image[..., None], 3, axis=2) if gray else image
            out = apply(rgb)
            return np.clip(out.mean(axis=2) if gray else out, 0.0, 1.0)
        if gray:
            return np.clip(apply(image[..., None])[..., 0], 0.0, 1.0)
        if scale == 1:
            planes = [apply(image[..., c:c + 1])[..., 0] for c in range(3)]
            return np.clip(np.stack(planes, axis=2), 0.0, 1.0)
        ycc = rgb_to_ycbcr(image)
        y = apply(ycc[..., :1], luma)[..., 0]
        chroma = imresize(np.clip(ycc[..., 1:], 0.0, 1.0), float(scale))
        return np.clip(ycbcr_to_rgb(np.dstack([y, chroma])), 0.0, 1.0)

    return run


def trained_function(run: str | os.PathLike[str], scale: int, method: str | None,
                     problem: str, *, blur: float | None = None,
                     kernel: np.ndarray | None = None,
                     noise: float | None = None) -> Callable[[np.ndarray], np.ndarray]:
    """Load ``run`` and check it holds a ``problem`` network named ``method`` (None: any).
    ``blur`` / ``kernel`` and ``noise``: an SRMD run's degradation
    (:func:`oculi.restore.kernels.srmd_condition`; other runs refuse them).

    Raises:
        ParameterError: the run holds another network or problem, or another scale; a
            degradation missing (srmd) or given (other networks).
    """
    from oculi.restore.nets import networks

    net = load_restorer(run)
    kind = networks.entry(net.name).meta.get("problem")
    if kind != problem:
        verb = "upscale" if kind == "sr" else "denoise"
        raise ParameterError(f"run: {run} holds a {net.name} network ({kind}); use it with "
                             f"oculi {verb}")
    if method is not None and method != net.name:
        raise ParameterError(f"method: {run} holds a {net.name} network, method {method!r} "
                             f"asked — use --method {net.name} (or leave --method out)")
    condition = None
    if net.name == "srmd":
        from oculi.restore.kernels import srmd_condition

        condition = srmd_condition(net.kernel_size, blur=blur, kernel=kernel, noise=noise or 0.0)
    elif blur is not None or kernel is not None or noise is not None:
        raise ParameterError(f"blur: only srmd runs take a degradation (blur, kernel, noise); "
                             f"{run} holds a {net.name} network")
    return network_function(net, scale, condition)
