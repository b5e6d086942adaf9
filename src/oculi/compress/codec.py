"""Compressing images to ``.oculi`` bytes with a trained codec and back.

    model = load_codec("runs/compress/q4")          # or resolve_codec(folder, quality)
    data = compress_image(image, model)             # bytes of an .oculi file
    image2 = decompress_image(data, model)          # HxWx3 uint8
    write_compressed("x.oculi", image, model); read_compressed("x.oculi", model)

Images are HxW / HxWx3 (HxWx4: alpha dropped) uint8 or float in [0, 1] (gray is coded as three
equal planes and comes back as RGB); the codec pads them on the right and bottom to a multiple of
its stride (replicating the border) and the decoder crops the padding off.
"""

from __future__ import annotations

import os
import zlib
from pathlib import Path

import numpy as np
import torch

from oculi.compress.bitstream import Header, pack, unpack
from oculi.compress.models import FactorizedPrior
from oculi.core.convert import ensure_uint8, to_rgb
from oculi.core.errors import DataError, ParameterError

#: the largest image side the header and the codec accept
MAX_SIDE = 1 << 15


def model_id(model: FactorizedPrior) -> int:
    """CRC-32 of a codec's weights (float32, in state-dict order): the id stored in its files.
    A GAN codec's discriminator (``critic.*``) takes no part in coding and is left out."""
    crc = 0
    for name, t in model.state_dict().items():
        if name.startswith("critic."):
            continue
        crc = zlib.crc32(name.encode(), crc)
        crc = zlib.crc32(t.detach().cpu().float().contiguous().numpy().tobytes(), crc)
    return crc


def _batch(image: np.ndarray, model: FactorizedPrior) -> tuple[torch.Tensor, int, int]:
    """A 1 x 3 x H' x W' float tensor padded to the codec's stride, and H, W."""
    rgb = ensure_uint8(to_rgb(image))
    h, w = rgb.shape[:2]
    if max(h, w) > MAX_SIDE:
        raise ParameterError(f"image: {w}x{h} pixels; the codec takes sides up to {MAX_SIDE}")
    m = model.multiple
    x = torch.from_numpy(np.ascontiguousarray(rgb.transpose(2, 0, 1))).float()[None] / 255.0
    ph, pw = -h % m, -w % m
    if ph or pw:
        x = torch.nn.functional.pad(x, (0, pw, 0, ph), mode="replicate")
    return x, h, w


def _to_uint8(x: torch.Tensor, h: int, w: int) -> np.ndarray:
    """1 x 3 x H' x W' in [0, 1] -> the HxWx3 uint8 top-left crop."""
    out = (x[0, :, :h, :w] * 255.0).round().clamp(0, 255).to(torch.uint8)
    return np.ascontiguousarray(out.permute(1, 2, 0).numpy())


def compress_image(image: np.ndarray, model: FactorizedPrior) -> bytes:
    """The bytes of the ``.oculi`` file of ``image`` (HxW[x3], uint8 or float [0, 1])."""
    x, h, w = _batch(image, model)
    streams = model.eval().encode(x)
    header = Header(model.kind, int(getattr(model, "quality", 0)), model_id(model), h, w)
    return pack(header, streams)


def reconstruct_image(image: np.ndarray, model: FactorizedPrior) -> np.ndarray:
    """What decoding ``compress_image(image, model)`` gives, computed without entropy coding
    (HxWx3 uint8)."""
    x, h, w = _batch(image, model)
    return _to_uint8(model.eval().reconstruct(x), h, w)


def decompress_image(data: bytes, model: FactorizedPrior, name: str = "data") -> np.ndarray:
    """The HxWx3 uint8 image of ``.oculi`` bytes.

    Raises:
        DataError: a malformed, truncated or corrupted file, or one written by another model.
    """
    header, streams = unpack(data, name)
    if header.kind != model.kind or header.model_id != model_id(model):
        raise DataError(f"{name}: written by another codec ({header.kind}, quality "
                        f"{header.quality}, model id {header.model_id:08x}); this one is "
                        f"{model.kind}, model id {model_id(model):08x} — pass the run it was "
                        "compressed with")
    if max(header.height, header.width) > MAX_SIDE:
        raise DataError(f"{name}: corrupted .oculi header ({header.width}x{header.height} "
                        f"pixels; the codec writes sides up to {MAX_SIDE})")
    m = model.multiple
    hp, wp = header.height + (-header.height % m), header.width + (-header.width % m)
    expected = 2 if model.kind == "hyperprior" else 1
    if len(streams) != expected:
        raise DataError(f"{name}: {len(streams)} streams; a {model.kind} file has {expected}")
    x = model.eval().decode(streams, hp, wp)
    return _to_uint8(x, header.height, header.width)


def read_header(path: str | os.PathLike[str]) -> Header:
    """The checked header of an ``.oculi`` file (see :mod:`oculi.compress.bitstream`)."""
    return unpack(_read(path), str(path))[0]


def write_compressed(path: str | os.PathLike[str], image: np.ndarray,
                     model: FactorizedPrior) -> int:
    """Compress ``image`` into the file ``path`` (written atomically); returns its bytes."""
    from oculi.core.atomic import atomic_path

    data = compress_image(image, model)
    with atomic_path(path) as tmp:
        Path(tmp).write_bytes(data)
    return len(data)


def read_compressed(path: str | os.PathLike[str], model: FactorizedPrior) -> np.ndarray:
    """Decode the ``.oculi`` file ``path`` (HxWx3 uint8)."""
    return decompress_image(_read(path), model, str(path))


def _read(path: str | os.PathLike[str]) -> bytes:
    from oculi.core.checks import check_path

    p = check_path(path, "file")
    if not p.is_file():
        raise DataError(f"{path}: no such file")
    return p.read_bytes()
