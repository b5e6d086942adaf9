"""The see-in-the-dark U-Net (Chen, Chen, Xu & Koltun, CVPR 2018, "Learning to See in the Dark")
and its use on raws: :class:`SidUNet`, :func:`load_sid` (a run folder of ``oculi train sid``),
:func:`sid_enhance` (a Bayer raw in, sRGB out) and :func:`sid_enhance_image` (an sRGB photo made
dark synthetically, then restored).

The network: the packed raw (N x 4 x h x w, the four RGGB planes at half resolution, already
multiplied by the exposure ratio and clipped to 1) goes through a U-Net of five levels — two 3x3
convolutions with LeakyReLU (slope 0.2) each, 2x2 max-pooling down four times, 2x2 transposed
convolutions up, skip connections by concatenation — widths ``f, 2f, 4f, 8f, 16f`` (the paper:
``f = 32``), then a 1x1 convolution to 12 planes (bias initialised to 0.5, mid-grey, where the
paper's initial output is 0) and a pixel shuffle x2: N x 3 x 2h x 2w sRGB.
``h`` and ``w`` must be multiples of 16; :func:`sid_enhance` pads by reflection and crops back.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from oculi.restore.unprocess import FIXED_ISP, check_ratio, normalize_raw, pack, short_exposure

#: checkpoint metadata key of sid runs
CHECKPOINT_KEY = "oculi_sid"
#: the packed planes' side must be a multiple of this (four 2x2 poolings)
LEVEL_MULTIPLE = 16


def _block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.LeakyReLU(0.2),
                         nn.Conv2d(cout, cout, 3, padding=1), nn.LeakyReLU(0.2))


class SidUNet(nn.Module):
    """The SID U-Net (module doc): N x 4 x h x w amplified packed raw -> N x 3 x 2h x 2w sRGB
    (not clipped; h, w multiples of 16).

    Args:
        features: channels of the first level (doubling per level; the paper's 32).
    """

    def __init__(self, features: int = 32) -> None:
        super().__init__()
        self.features = features
        widths = [features * 2 ** i for i in range(5)]
        self.down = nn.ModuleList([_block(4, widths[0])] + [
            _block(widths[i - 1], widths[i]) for i in range(1, 5)])
        self.up = nn.ModuleList([nn.ConvTranspose2d(widths[i], widths[i - 1], 2, stride=2)
                                 for i in range(4, 0, -1)])
        self.merge = nn.ModuleList([_block(2 * widths[i - 1], widths[i - 1])
                                    for i in range(4, 0, -1)])
        self.head = nn.Conv2d(widths[0], 12, 1)
        nn.init.constant_(self.head.bias, 0.5)  # start at mid-grey: the first steps learn detail

    def config(self) -> dict[str, Any]:
        """The arguments that rebuild this network."""
        return {"features": self.features}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for i, block in enumerate(self.down):
            x = block(x if i == 0 else F.max_pool2d(x, 2))
            skips.append(x)
        x = skips.pop()
        for up, merge in zip(self.up, self.merge, strict=True):
            x = merge(torch.cat([up(x), skips.pop()], dim=1))
        return F.pixel_shuffle(self.head(x), 2)


def network_input(planes: np.ndarray, ratio: float) -> np.ndarray:
    """hxwx4 packed raw in [0, 1] -> 4xhxw float32 amplified by ``ratio`` and clipped to 1."""
    return np.minimum(planes.transpose(2, 0, 1) * np.float32(ratio), 1.0).astype(np.float32)


def load_sid(run: str | os.PathLike[str]) -> SidUNet:
    """The U-Net of a ``oculi train sid`` run folder (or its checkpoint), in eval mode on the CPU.

    Raises:
        DataError: no checkpoint, or a run of another task.
    """
    from oculi.train.checkpoint import load_run_model

    return load_run_model(run, CHECKPOINT_KEY, "sid", lambda c: SidUNet(**c))


@torch.no_grad()
def apply_network(net: SidUNet, planes: np.ndarray, ratio: float) -> np.ndarray:
    """Run ``net`` on hxwx4 packed planes in [0, 1]: (2h)x(2w)x3 sRGB float32 in [0, 1]. Sides
    that are not multiples of 16 are padded by reflection (edge copies below 2 pixels) and the
    output cropped back."""
    h, w = planes.shape[:2]
    ph, pw = -h % LEVEL_MULTIPLE, -w % LEVEL_MULTIPLE
    x = torch.from_numpy(network_input(planes, ratio))[None]
    if ph or pw:
        mode = "reflect" if min(h, w) > max(ph, pw) else "replicate"
        x = F.pad(x, (0, pw, 0, ph), mode=mode)
    out = net(x)[0, :, :2 * h, :2 * w].clamp(0.0, 1.0)
    return np.ascontiguousarray(out.numpy().transpose(1, 2, 0))


def sid_enhance(raw: np.ndarray, run: str | os.PathLike[str] | SidUNet, ratio: float,
                black_level: float = 0.0, white_level: float | None = None) -> np.ndarray:
    """Restore a dark RGGB Bayer raw with a trained SID U-Net.

    Args:
        raw: HxW Bayer counts (RGGB, H and W even), integer or float.
        run: a ``oculi train sid`` run folder, checkpoint, or a loaded :class:`SidUNet`.
        ratio: the exposure ratio to amplify by (> 0; e.g. 100 for an exposure 100x too short).
        black_level: the sensor's black level, in raw counts.
        white_level: the saturation level (None: 1.0 for float raws, the dtype's maximum for
            integer ones).

    Returns:
        HxWx3 sRGB float32 in [0, 1].

    Raises:
        ShapeError: not HxW, or an odd side. ParameterError: ``ratio <= 0``, or levels reversed.
    """
    ratio = check_ratio(ratio)
    planes = pack(normalize_raw(raw, black_level, white_level))
    net = run if isinstance(run, SidUNet) else load_sid(run)
    return apply_network(net, planes, ratio)


def sid_enhance_image(image: np.ndarray, run: str | os.PathLike[str] | SidUNet, ratio: float,
                      seed: int = 0, shot_noise: tuple[float, float] = (5e-4, 5e-4)
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Test the network on an ordinary photo: unprocess it with the fixed camera, make it
    ``ratio`` times darker with shot noise ``shot_noise`` (a log-uniform range; default a fixed
    5e-4) seeded by ``seed``, and restore it. Synthetic, so the result can be compared with the
    photo itself.

    Args:
        image: HxWx3 (or HxWx4, alpha dropped) uint8 / uint16 / float [0, 1] sRGB; an odd last
            row or column is cropped.

    Returns:
        ``(restored, dark)``: the restored sRGB float32 (the cropped size) and the dark raw's
        naive rendering (:func:`oculi.restore.unprocess.process_packed` of the unamplified
        planes, half size) for display.
    """
    from oculi.core.checks import check_image
    from oculi.core.convert import ensure_float01
    from oculi.restore.unprocess import process_packed

    check_image(image, "image", channels=(3, 4), min_size=2)
    rgb = ensure_float01(image[..., :3], "image")
    rgb = rgb[:rgb.shape[0] - rgb.shape[0] % 2, :rgb.shape[1] - rgb.shape[1] % 2]
    raw = short_exposure(rgb, ratio, np.random.default_rng(seed), shot_noise, FIXED_ISP)
    return sid_enhance(raw, run, ratio), process_packed(pack(raw))


def sid_enhance_file(path: str | os.PathLike[str], run: str | os.PathLike[str] | None,
                     ratio: float | None, black_level: float = 0.0,
                     white_level: float | None = None, seed: int = 0
                     ) -> tuple[np.ndarray, dict[str, Any]]:
    """``oculi enhance FILE --method sid``: a ``.npy`` Bayer raw (HxW RGGB counts) is restored
    with :func:`sid_enhance`; any other file is read as an sRGB photo and made dark
    synthetically first (:func:`sid_enhance_image`, seeded by ``seed``).

    Returns:
        ``(image, summary)``: HxWx3 uint8 sRGB and what was done (``input``: ``raw`` or
        ``synthetic``, ``ratio``, levels).

    Raises:
        ParameterError: no ``run`` or no ``ratio``, or ``ratio <= 0``. ImageReadError: the file
        does not read.
    """
    from pathlib import Path

    from oculi.core.errors import ImageReadError, ParameterError
    from oculi.restore._common import to_uint8

    if run is None:
        raise ParameterError("run: --method sid needs --run RUN (a folder of oculi train sid)")
    if ratio is None:
        raise ParameterError("ratio: --method sid needs --ratio (the exposure ratio, e.g. 100)")
    ratio = check_ratio(ratio)
    net = load_sid(run)
    summary: dict[str, Any] = {"method": "sid", "run": str(run), "ratio": ratio}
    if Path(path).suffix.lower() == ".npy":
        try:
            raw = np.load(path, allow_pickle=False)
        except (OSError, ValueError, EOFError) as exc:  # EOFError: an empty file
            raise ImageReadError(f"{path}: not a readable .npy array ({exc})") from exc
        restored = sid_enhance(raw, net, ratio, black_level, white_level)
        summary.update(input="raw", black_level=black_level, white_level=white_level)
    else:
        from oculi.io import read_image

        restored, _ = sid_enhance_image(read_image(path, mode="rgb"), net, ratio, seed)
        summary.update(input="synthetic", seed=seed)
    return to_uint8(restored), summary
