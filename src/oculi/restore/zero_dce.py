"""Zero-DCE and Zero-DCE++ forward passes (Guo et al., CVPR 2020; Li et al., TPAMI 2021), written
in oculi, loading the published weights from a path the caller gives (never shipped: they are
CC BY-NC 4.0).

DCE-Net: seven 3x3 convolutions of 32 channels (stride 1, padding 1, ReLU) with symmetric skip
concatenations — layer 5 sees [x3, x4], layer 6 [x2, x5], layer 7 [x1, x6] — and a tanh on the
last. Its output gives the curve parameters ``A`` in [-1, 1]; the image is brightened by eight
applications of the light-enhancement curve ``LE(x) = x + a x (1 - x)``. The published code writes
the step as ``x + r (x^2 - x)`` with ``r = tanh(conv7)``, i.e. ``a = -r``; this module does the
same, so the published weights give their published output.

- Zero-DCE: layer 7 gives 24 channels = 8 iterations x RGB, one parameter map per iteration.
- Zero-DCE++: every convolution is depthwise-separable (a 3x3 depthwise conv with bias, then a
  1x1 pointwise conv with bias), layer 7 gives 3 channels shared by all 8 iterations, and the
  curves are estimated on the input downscaled by ``scale_factor`` (bilinear; the published test
  uses 12) and upsampled back (bilinear, align corners) to the input size. The published script
  crops the input to a multiple of 12 first; oculi upsamples to the exact input size instead
  (identical when the size divides).

State-dict keys are mapped from the published names (``e_conv3.weight``,
``e_conv3.depth_conv.bias``, ...) to oculi's (``convs.2.weight``, ``convs.2.depthwise.bias``).

This module imports torch; ``oculi.restore`` imports it only when a Zero-DCE method is used.
"""

from __future__ import annotations

import functools
import re
from os import PathLike

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from oculi.core.checks import check_path
from oculi.core.errors import DataError

_ITERATIONS = 8
_WIDTH = 32


class _Separable(nn.Module):
    """A depthwise 3x3 convolution followed by a pointwise 1x1 convolution (both with bias)."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.depthwise = nn.Conv2d(cin, cin, 3, padding=1, groups=cin)
        self.pointwise = nn.Conv2d(cin, cout, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pointwise(self.depthwise(x))


class DCENet(nn.Module):
    """DCE-Net. ``plus=False``: Zero-DCE (plain convs, 24 curve maps); ``plus=True``: Zero-DCE++
    (separable convs, 3 shared curve maps, curves estimated at ``1 / scale_factor`` size).

    Input: Nx3xHxW float32 in [0, 1]. Output: ``(enhanced, curves)`` — the enhanced batch
    (same shape, clamped to [0, 1]) and the curve parameters ``r`` (Nx24xHxW or Nx3xHxW).
    """

    def __init__(self, plus: bool = False, scale_factor: int = 12) -> None:
        super().__init__()
        self.plus = plus
        self.scale_factor = scale_factor if plus else 1
        conv = _Separable if plus else functools.partial(nn.Conv2d, kernel_size=3, padding=1)
        outs = 3 if plus else 3 * _ITERATIONS
        ins = (3, _WIDTH, _WIDTH, _WIDTH, 2 * _WIDTH, 2 * _WIDTH, 2 * _WIDTH)
        self.convs = nn.ModuleList(conv(cin, _WIDTH if i < 6 else outs)
                                   for i, cin in enumerate(ins))

    def curves(self, x: torch.Tensor) -> torch.Tensor:
        """The curve-parameter maps ``r = tanh(conv7(...))`` at the input's size."""
        small = x
        if self.scale_factor > 1:
            small = F.interpolate(x, scale_factor=1 / self.scale_factor, mode="bilinear",
                                  align_corners=False)
        c = self.convs
        x1 = F.relu(c[0](small))
        x2 = F.relu(c[1](x1))
        x3 = F.relu(c[2](x2))
        x4 = F.relu(c[3](x3))
        x5 = F.relu(c[4](torch.cat([x3, x4], 1)))
        x6 = F.relu(c[5](torch.cat([x2, x5], 1)))
        r = torch.tanh(c[6](torch.cat([x1, x6], 1)))
        if r.shape[-2:] != x.shape[-2:]:
            r = F.interpolate(r, size=x.shape[-2:], mode="bilinear", align_corners=True)
        return r

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        r = self.curves(x)
        maps = [r] * _ITERATIONS if self.plus else torch.split(r, 3, dim=1)
        for rk in maps:
            x = x + rk * (x * x - x)
        return x.clamp(0.0, 1.0), r


_KEY = re.compile(r"^e_conv(\d)\.(?:(depth_conv|point_conv)\.)?(weight|bias)$")


def map_published_keys(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Published Zero-DCE(++) state-dict keys -> :class:`DCENet` keys.

    Raises:
        DataError: a key that is not a DCE-Net parameter.
    """
    part = {"depth_conv": "depthwise", "point_conv": "pointwise"}
    out = {}
    for key, value in state.items():
        match = _KEY.match(key.removeprefix("module."))
        if not match:
            raise DataError(f"state dict: unexpected key {key!r} — not a Zero-DCE/Zero-DCE++ "
                            "checkpoint")
        layer, sub, kind = match.groups()
        middle = f".{part[sub]}" if sub else ""
        out[f"convs.{int(layer) - 1}{middle}.{kind}"] = value
    return out


def load_zero_dce(path: str | PathLike[str], *, scale_factor: int = 12) -> DCENet:
    """A :class:`DCENet` with the published weights at ``path`` (Zero-DCE or Zero-DCE++, told
    apart by the keys), in eval mode on the CPU.

    Raises:
        DataError: not a Zero-DCE checkpoint (unknown keys or shapes).
    """
    from oculi.models.weights import read_state_dict

    file = check_path(path, "model_path")
    mapped = map_published_keys(read_state_dict(file))  # timed there (oculi.core.loadtime)
    plus = any(".depthwise." in k for k in mapped)
    net = DCENet(plus=plus, scale_factor=scale_factor)
    try:
        net.load_state_dict(mapped)
    except RuntimeError as exc:
        raise DataError(f"{file}: weights do not fit DCE-Net ({str(exc).splitlines()[0]})"
                        ) from exc
    return net.eval()


@functools.lru_cache(maxsize=4)
def _cached(path: str, mtime: float) -> DCENet:
    return load_zero_dce(path)


def zero_dce_enhance(image: np.ndarray, model_path: str | PathLike[str]) -> np.ndarray:
    """Run the Zero-DCE(++) weights at ``model_path`` on an HxWx3 (or HxW) float32 [0, 1]
    image; returns the enhanced float32 image of the same shape."""
    file = check_path(model_path, "model_path")
    net = _cached(str(file.resolve()), file.stat().st_mtime)
    rgb = np.repeat(image[..., None], 3, axis=2) if image.ndim == 2 else image
    with torch.no_grad():
        x = torch.from_numpy(np.ascontiguousarray(rgb, np.float32)).permute(2, 0, 1)[None]
        out = net(x)[0][0].permute(1, 2, 0).numpy()
    return out.mean(axis=2) if image.ndim == 2 else out
