"""Optical flow: dense methods behind one registry, .flo I/O, visualisation, warping, metrics.

Flow fields are HxWx2 float32 ``(u, v)`` = ``(dx, dy)`` in pixels from frame 1 to frame 2:
pixel ``(x, y)`` of frame 1 is at ``(x + u, y + v)`` in frame 2.

Methods (``methods.names()``): ``hs`` (oculi's Horn–Schunck), ``lk`` (dense Lucas–Kanade),
``farneback``, ``dis`` and ``tvl1`` (OpenCV). ``compute_flow(a, b, "hs")`` runs one by name.
"""

from __future__ import annotations

import numpy as np

from oculi.flow._base import check_flow, methods
from oculi.flow.flo import read_flo, write_flo
from oculi.flow.hs import horn_schunck
from oculi.flow.lk import lucas_kanade, track_points
from oculi.flow.metrics import (
    angular_error,
    angular_error_map,
    endpoint_error,
    endpoint_error_map,
    flow_errors,
)
from oculi.flow.opencv import dis, farneback, tvl1
from oculi.flow.viz import (
    color_wheel,
    draw_flow_arrows,
    error_map_image,
    flow_legend,
    flow_to_color,
)
from oculi.flow.warp import warp_image


def compute_flow(image1: np.ndarray, image2: np.ndarray, method: str = "hs",
                 **params: object) -> np.ndarray:
    """Dense flow from ``image1`` to ``image2`` with the registered ``method``.

    Args:
        image1, image2: frames of the same size and channel count (HxW or HxWx3 RGB, uint8 or
            float in [0, 1]).
        method: a name from ``methods.names()``.
        **params: the method's settings (see its function).

    Returns:
        HxWx2 float32 flow, pixels.

    Raises:
        UnknownNameError: unknown method (the message lists close names).
        ShapeError: frames of different sizes or channel counts.
    """
    return methods.create(method, image1=image1, image2=image2, **params)


__all__ = [
    "angular_error",
    "angular_error_map",
    "check_flow",
    "color_wheel",
    "compute_flow",
    "dis",
    "draw_flow_arrows",
    "endpoint_error",
    "endpoint_error_map",
    "error_map_image",
    "farneback",
    "flow_errors",
    "flow_legend",
    "flow_to_color",
    "horn_schunck",
    "lucas_kanade",
    "methods",
    "read_flo",
    "track_points",
    "tvl1",
    "warp_image",
    "write_flo",
]
