"""Monocular depth: load a user-supplied network, predict relative inverse depth, align it to a
reference by scale and shift, and score it (AbsRel, RMSE, delta < 1.25, ...).

Networks in the MiDaS family predict *relative inverse depth*: larger = nearer, with an unknown
scale and shift. :func:`align_scale_shift` fits both by least squares against a reference depth
(in inverse-depth space by default) and returns metric depth; :func:`depth_metrics` scores it.
Models are files, never downloads (``depth_loaders.names()``): an ONNX graph
(:func:`load_onnx_model`) or a state dict of oculi's MiDaS-style :class:`DepthNet`
(:func:`load_state_dict_model`)::

    model = load_depth_model("midas_small.onnx")
    inv = predict_depth(model, image)                     # HxW float32
    depth, scale, shift = align_scale_shift(inv, gt)      # gt: HxW metres, 0 = unknown
    print(depth_metrics(depth, gt).abs_rel)

Importing this package does not import torch (``DepthNet`` is imported on first use).
"""

from typing import Any

from oculi.depth.align import AlignedDepth, align_scale, align_scale_shift, valid_pixels
from oculi.depth.loaders import export_onnx, load_onnx_model, load_state_dict_model, save_depth_net
from oculi.depth.maps import colorize_depth, read_depth_map
from oculi.depth.metrics import DepthMetrics, depth_metrics
from oculi.depth.model import DepthModel, depth_loaders, load_depth_model, predict_depth


def __getattr__(name: str) -> Any:
    if name == "DepthNet":  # the torch module, imported on first use
        from oculi.depth.network import DepthNet

        return DepthNet
    raise AttributeError(f"module 'oculi.depth' has no attribute {name!r}")


__all__ = [
    "AlignedDepth",
    "DepthMetrics",
    "DepthModel",
    "DepthNet",
    "align_scale",
    "align_scale_shift",
    "colorize_depth",
    "depth_loaders",
    "depth_metrics",
    "export_onnx",
    "load_depth_model",
    "load_onnx_model",
    "load_state_dict_model",
    "predict_depth",
    "read_depth_map",
    "save_depth_net",
    "valid_pixels",
]
