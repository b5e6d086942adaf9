"""The two depth-model loaders (ONNX via onnxruntime, a ``DepthNet`` state dict) and the writers
that produce such files (:func:`save_depth_net`, :func:`export_onnx`).

A ``.safetensors`` written by :func:`save_depth_net` carries the architecture (backbone,
decoder width, input size) in its metadata, so loading it needs no arguments; a ``.pt``/``.pth``
state dict needs ``backbone=`` and ``features=`` when they differ from ``DepthNet``'s defaults.
Every tensor of the file is checked against the architecture before loading.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from oculi.core.constants import IMAGENET_MEAN, IMAGENET_STD
from oculi.core.errors import DataError, MissingDependencyError, ParameterError, ShapeError
from oculi.depth.model import (
    MIDAS_SMALL_SIZE,
    DepthModel,
    check_mean_std,
    check_output,
    check_size,
    depth_loaders,
)

#: safetensors metadata key holding the ``DepthNet`` configuration (JSON)
CONFIG_KEY = "oculi.depth.config"


def _session(path: Path, threads: int):
    try:
        import onnxruntime as ort
    except ImportError as exc:
        raise MissingDependencyError("onnx models need onnxruntime — pip install onnxruntime"
                                     ) from exc
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = int(threads)
    opts.log_severity_level = 3
    try:
        return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own (InvalidProtobuf, Fail, ...) types
        first = (str(exc).strip().splitlines() or [""])[0][:200]
        raise DataError(f"{path}: not a readable ONNX model ({type(exc).__name__}: {first})"
                        ) from None


def _input_size(path: Path, shape: Sequence[Any], size: Any) -> tuple[int, int]:
    """The input (h, w): ``size`` if given (it must agree with static dims), else the file's
    static dims, else MiDaS small's 256x256."""
    if len(shape) != 4:
        raise ShapeError(f"{path}: expected an NCHW image input, got shape {list(shape)}")
    if isinstance(shape[1], int) and shape[1] != 3:
        raise ShapeError(f"{path}: expected a 3-channel (RGB) input, got {shape[1]} channels")
    static = tuple(shape[2:]) if all(isinstance(v, int) for v in shape[2:]) else None
    if size is None:
        return static or MIDAS_SMALL_SIZE
    hw = check_size(size)
    if static and hw != static:
        raise ParameterError(f"size: {path} takes a fixed {static[0]}x{static[1]} input, got "
                             f"size={hw}")
    return hw


@depth_loaders.register("onnx", help="an ONNX graph run with onnxruntime (CPU)")
def load_onnx_model(path: str | os.PathLike[str], *, size: int | tuple[int, int] | None = None,
                    mean: Sequence[float] = IMAGENET_MEAN, std: Sequence[float] = IMAGENET_STD,
                    input_name: str | None = None, output: str = "inverse",
                    threads: int = 0) -> DepthModel:
    """An ONNX depth network taking ``(N, 3, h, w)`` normalised float32 input.

    Args:
        path: the ``.onnx`` file.
        size: input (height, width) in pixels; None: the file's static size, else 256x256
            (MiDaS v2.1 small).
        mean, std: RGB normalisation applied to [0, 1] input before the graph (ImageNet's, as
            MiDaS; pass ``(0, 0, 0)``, ``(1, 1, 1)`` for a graph that normalises itself).
        input_name: the graph input to feed; None: its first input.
        output: ``"inverse"`` (relative inverse depth, MiDaS) or ``"depth"``.
        threads: onnxruntime intra-op threads (0: its default).

    Raises:
        DataError: not a readable ONNX file. ShapeError: an input that is not NCHW RGB.
        ParameterError: an unknown ``input_name``, bad ``size``/``mean``/``std``/``output``.
    """
    path, output = Path(path), check_output(output)
    m, s = check_mean_std(mean, std)
    session = _session(path, threads)
    inputs = {i.name: i for i in session.get_inputs()}
    name = input_name or next(iter(inputs))
    if name not in inputs:
        raise ParameterError(f"input_name: {path} has no input {name!r} (inputs: "
                             f"{', '.join(inputs)})")
    hw = _input_size(path, inputs[name].shape, size)
    mean_a = np.asarray(m, np.float32).reshape(1, 3, 1, 1)
    std_a = np.asarray(s, np.float32).reshape(1, 3, 1, 1)

    def run(batch: np.ndarray) -> np.ndarray:
        feed = ((batch - mean_a) / std_a).astype(np.float32)
        return session.run(None, {name: feed})[0]

    return DepthModel(path, "onnx", hw, m, s, output, run)


def _config(path: Path, backbone: str | None, features: int | None, size: Any
            ) -> dict[str, Any]:
    """The architecture: explicit arguments over the file's metadata over DepthNet's defaults."""
    meta: dict[str, Any] = {}
    if path.suffix.lower() == ".safetensors":
        from oculi.models.weights import read_metadata

        raw = read_metadata(path).get(CONFIG_KEY)
        try:
            meta = json.loads(raw) if raw else {}
        except json.JSONDecodeError:
            raise DataError(f"{path}: metadata {CONFIG_KEY!r} is not JSON") from None
    given = {"backbone": backbone, "features": features, "size": size}
    cfg = {k: meta[k] for k in given if meta.get(k) is not None}
    cfg.update({k: v for k, v in given.items() if v is not None})
    return cfg


def _check_tensors(path: Path, own: dict[str, Any], found: dict[str, Any], cfg: dict[str, Any]
                   ) -> None:
    missing = sorted(set(own) - set(found))
    unexpected = sorted(set(found) - set(own))
    shapes = [f"{k} {tuple(found[k].shape)} vs {tuple(own[k].shape)}" for k in own
              if k in found and tuple(found[k].shape) != tuple(own[k].shape)]
    if missing or unexpected or shapes:
        arch = ", ".join(f"{k}={v!r}" for k, v in cfg.items() if k != "size")
        raise DataError(
            f"{path}: not a DepthNet({arch}) state dict — {len(missing)} key(s) missing "
            f"(e.g. {missing[:3]}), {len(unexpected)} unexpected (e.g. {unexpected[:3]}), "
            f"{len(shapes)} of another shape (e.g. {shapes[:2]}); pass the backbone= and "
            "features= it was trained with")


@depth_loaders.register("state-dict", aliases=("safetensors", "pt"),
                        help="weights of oculi's DepthNet (.safetensors, .pt, .pth)")
def load_state_dict_model(path: str | os.PathLike[str], *, backbone: str | None = None,
                          features: int | None = None,
                          size: int | tuple[int, int] | None = None,
                          output: str = "inverse", device: str = "cpu") -> DepthModel:
    """A :class:`~oculi.depth.network.DepthNet` with the weights of ``path``.

    Args:
        path: a ``.safetensors`` (from :func:`save_depth_net`) or ``.pt``/``.pth`` state dict.
        backbone, features: the architecture; None: from the file's metadata, else
            ``DepthNet``'s defaults.
        size: input (height, width); None: the metadata's, else 256x256.
        output: what the network predicts (``"inverse"``; ``"depth"`` for a retrained head).
        device: torch device to run on (``cpu``, ``cuda``).

    Raises:
        DataError: an unreadable file, or tensors missing, unexpected or of another shape
            (the message names the file and lists them).
    """
    import torch

    from oculi.depth.network import DepthNet
    from oculi.models.weights import read_state_dict

    path, output = Path(path), check_output(output)
    state = read_state_dict(path)
    cfg = _config(path, backbone, features, size)
    hw = check_size(cfg.pop("size")) if "size" in cfg else MIDAS_SMALL_SIZE
    net = DepthNet(**cfg, pretrained=False)
    _check_tensors(path, net.state_dict(), state, cfg)
    net.load_state_dict(state)
    net = net.to(device).eval()

    @torch.inference_mode()
    def run(batch: np.ndarray) -> np.ndarray:
        return net(torch.from_numpy(batch).to(device)).float().cpu().numpy()

    m, s = check_mean_std(net.normalize.mean.flatten().tolist(),
                          net.normalize.std.flatten().tolist())
    return DepthModel(path, "state-dict", hw, m, s, output, run, net)


def save_depth_net(net: Any, path: str | os.PathLike[str], *,
                   size: int | tuple[int, int] = MIDAS_SMALL_SIZE) -> Path:
    """Write a ``DepthNet``'s weights to ``.safetensors`` (atomically) with its architecture and
    input ``size`` in the metadata, so :func:`load_depth_model` needs nothing else."""
    from oculi.models.weights import save_weights

    if Path(path).suffix.lower() != ".safetensors":
        raise ParameterError(f"path: expected a .safetensors file, got {path}")
    cfg = {**net.config(), "size": list(check_size(size))}
    return save_weights(net, path, {CONFIG_KEY: json.dumps(cfg)})


def export_onnx(net: Any, path: str | os.PathLike[str], *,
                size: int | tuple[int, int] = MIDAS_SMALL_SIZE, opset: int = 17,
                dynamo: bool = False) -> Path:
    """Export a ``DepthNet`` to ONNX (atomically), MiDaS-style: input ``image``
    ``(1, 3, h, w)`` *normalised* with the net's mean and std, output ``inverse_depth``
    ``(1, 1, h, w)``.

    Args:
        net: a :class:`~oculi.depth.network.DepthNet`.
        path: the ``.onnx`` file to write.
        size: the fixed input (height, width) in pixels.
        opset: ONNX opset version.
        dynamo: use torch's dynamo exporter (slower; the TorchScript one is the default).
    """
    import torch

    from oculi.core.atomic import atomic_path
    from oculi.depth.network import NormalizedInput

    h, w = check_size(size)
    wrapped = NormalizedInput(net).eval()
    example = torch.zeros(1, 3, h, w, device=next(net.parameters()).device)
    with atomic_path(path) as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore", (DeprecationWarning, FutureWarning, UserWarning))
        torch.onnx.export(wrapped, (example,), str(tmp), input_names=["image"],
                          output_names=["inverse_depth"], opset_version=opset, dynamo=dynamo)
    return Path(path)
