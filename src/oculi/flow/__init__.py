"""Optical flow: dense methods behind one registry, .flo I/O, visualisation, warping, metrics.

Flow fields are HxWx2 float32 ``(u, v)`` = ``(dx, dy)`` in pixels from frame 1 to frame 2.
"""

from oculi.flow._base import check_flow, methods
from oculi.flow.flo import read_flo, write_flo
from oculi.flow.hs import horn_schunck
from oculi.flow.metrics import (
    angular_error,
    angular_error_map,
    endpoint_error,
    endpoint_error_map,
    flow_errors,
)
from oculi.flow.warp import warp_image

__all__ = [
    "angular_error",
    "angular_error_map",
    "check_flow",
    "endpoint_error",
    "endpoint_error_map",
    "flow_errors",
    "horn_schunck",
    "methods",
    "read_flo",
    "warp_image",
    "write_flo",
]
