"""Reading and writing images: HWC uint8 RGB (or HW gray) at the edges; BGR stays in here.

JPEG goes through libjpeg-turbo (``simplejpeg``) with DCT-domain downscaling, so asking for a small
image never pays for a full-size decode. Other formats go through Pillow (16-bit colour PNG/TIFF
through OpenCV, which keeps 16 bits). Every failure raises
:class:`~oculi.core.errors.ImageReadError` naming the file and the reason; truncated data is
detected, never silently half-decoded.
"""

from __future__ import annotations

import io
import math
import os
import warnings
from pathlib import Path
from typing import Literal

import numpy as np

from oculi.core.atomic import atomic_path
from oculi.core.checks import check_image, check_in_range, check_path, check_positive, check_size
from oculi.core.errors import ImageReadError, ImageWriteError, ParameterError, ShapeError
from oculi.io._exif import jpeg_orientation
from oculi.io._format import declared_image, format_from_suffix, sniff_format

Mode = Literal["rgb", "gray", "unchanged"]

#: Default decompression-bomb limit in pixels (width x height); change with :func:`set_max_pixels`.
DEFAULT_MAX_PIXELS = 250_000_000
_max_pixels = DEFAULT_MAX_PIXELS
_SCALES = (1, 2, 4, 8)
_MODES_16 = ("I;16", "I;16B", "I;16L", "I;16N")


def set_max_pixels(limit: int | None) -> None:
    """Set the largest image (in pixels) that readers accept; ``None`` restores the default."""
    global _max_pixels
    _max_pixels = DEFAULT_MAX_PIXELS if limit is None else int(limit)


def _read_bytes(path: str | os.PathLike[str]) -> bytes:
    p = check_path(path)
    if not p.exists():
        raise ImageReadError(f"{p}: no such file")
    if p.is_dir():
        raise ImageReadError(f"{p}: is a directory, expected an image file")
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise ImageReadError(f"{p}: cannot read: {exc.strerror or exc}") from exc
    if not data:
        raise ImageReadError(f"{p}: empty file (0 bytes)")
    return data


def _check_pixels(source: str, h: int, w: int, max_pixels: int | None) -> None:
    limit = _max_pixels if max_pixels is None else max_pixels
    if h <= 0 or w <= 0:
        raise ImageReadError(f"{source}: zero-size image ({h}x{w})")
    if h * w > limit:
        raise ImageReadError(
            f"{source}: {w}x{h} = {h * w / 1e6:.0f} MP exceeds the limit of {limit / 1e6:.0f} MP "
            "(possible decompression bomb) — pass max_pixels= to allow it"
        )


def _check_declared(fmt: str, data: bytes, source: str, max_pixels: int | None) -> None:
    """The decompression-bomb guard, before any decoder allocates: the size the header declares
    must be within the pixel limit and must fit in what the file's bytes can decode to."""
    info = declared_image(fmt, data)
    if info is None:
        return  # an unparsable header: the decoder reports it (and Pillow's size is checked)
    h, w, raw, ratio = info
    _check_pixels(source, h, w, max_pixels)
    if ratio is not None and raw > len(data) * ratio:
        raise ImageReadError(
            f"{source}: truncated or corrupt {fmt.upper()}: its header declares {w}x{h} pixels "
            f"({raw / 1e6:.1f} MB decoded), more than its {len(data)} bytes can hold"
        )


def _exact_factor(scale: float) -> int:
    """The DCT reduction 1, 2, 4 or 8 for ``scale`` = 1, 1/2, 1/4, 1/8."""
    inv = 1.0 / scale if scale > 0 else 0.0
    factor = round(inv)
    if factor not in _SCALES or abs(inv - factor) > 1e-6:
        raise ParameterError(f"scale: expected 1, 1/2, 1/4 or 1/8, got {scale!r}")
    return factor


def _shrink_scale(h: int, w: int, max_size: int | None, short_side: int | None) -> float:
    """The factor (<= 1) that meets ``short_side`` and caps the longer side at ``max_size``."""
    s = 1.0
    if short_side is not None:
        s = short_side / min(h, w)
    if max_size is not None:
        s = min(s, max_size / max(h, w))
    return min(s, 1.0)


def _resize_to(image: np.ndarray, max_size: int | None, short_side: int | None) -> np.ndarray:
    import cv2

    h, w = image.shape[:2]
    s = _shrink_scale(h, w, max_size, short_side)
    if s >= 1.0:
        return image
    size = (max(1, round(w * s)), max(1, round(h * s)))
    # Area averaging for real reductions; above 1/2 (e.g. after DCT scaling took the bulk)
    # bilinear samples every input pixel already and costs a third of INTER_AREA.
    interp = cv2.INTER_LINEAR if s >= 0.5 else cv2.INTER_AREA
    return cv2.resize(image, size, interpolation=interp)


def _exif_orientation_pillow(img) -> int:
    try:
        return int(img.getexif().get(0x0112, 1) or 1)
    except Exception:  # malformed EXIF must not make a readable image unreadable
        return 1


def apply_orientation(image: np.ndarray, orientation: int) -> np.ndarray:
    """Rotate/flip ``image`` so that EXIF ``orientation`` (1..8) becomes 1 (upright)."""
    ops = {
        2: lambda a: a[:, ::-1],
        3: lambda a: a[::-1, ::-1],
        4: lambda a: a[::-1, :],
        5: lambda a: np.swapaxes(a, 0, 1),
        6: lambda a: np.rot90(a, -1),
        7: lambda a: np.swapaxes(a, 0, 1)[::-1, ::-1],
        8: lambda a: np.rot90(a, 1),
    }
    op = ops.get(orientation)
    return np.ascontiguousarray(op(image)) if op else image


def _decode_jpeg(
    data: bytes,
    source: str,
    mode: Mode,
    max_pixels: int | None,
    *,
    max_size: int | None,
    short_side: int | None,
    scale: float | None,
) -> np.ndarray:
    """libjpeg-turbo decode, reduced in the DCT domain by the largest factor M/8 that still
    leaves the requested size (or by exactly ``scale``)."""
    import simplejpeg

    try:
        h, w, colorspace, _ = simplejpeg.decode_jpeg_header(data)
    except ValueError as exc:
        raise ImageReadError(f"{source}: corrupt JPEG header: {exc}") from exc
    _check_pixels(source, h, w, max_pixels)
    if scale is not None:
        factor = _exact_factor(scale)
        min_h, min_w = math.ceil(h / factor), math.ceil(w / factor)
    else:
        factor = 1
        s = _shrink_scale(h, w, max_size, short_side)
        min_h, min_w = math.ceil(h * s - 1e-9), math.ceil(w * s - 1e-9)
    gray = mode == "gray" or (mode == "unchanged" and colorspace.lower() == "gray")
    try:
        if colorspace.upper() in ("CMYK", "YCCK"):
            raise ValueError("CMYK")  # handled by Pillow below
        image = simplejpeg.decode_jpeg(
            data,
            colorspace="GRAY" if gray else "RGB",
            min_height=min_h,
            min_width=min_w,
            min_factor=factor,
            strict=True,
        )
    except ValueError as exc:
        if str(exc) != "CMYK":
            raise ImageReadError(f"{source}: corrupt or truncated JPEG: {exc}") from exc
        image = _decode_pillow(data, source, "gray" if gray else "rgb", max_pixels)[0]
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[..., 0]
    return image


def _float_to_array(img, mode: Mode, source: str) -> np.ndarray:
    """A 32-bit float image (Pillow mode ``F``, e.g. a float TIFF): values must lie in [0, 1].

    ``unchanged`` keeps it as HxW float32 in [0, 1]; ``rgb``/``gray`` give uint8 as
    ``round(value * 255)``. NaN/inf or values outside [0, 1] are an error (never rescaled).
    """
    arr = np.asarray(img, dtype=np.float32)
    if arr.size and not np.isfinite(arr).all():
        raise ImageReadError(f"{source}: float image with NaN or infinite values")
    lo, hi = (float(arr.min()), float(arr.max())) if arr.size else (0.0, 0.0)
    if lo < -1e-3 or hi > 1.0 + 1e-3:
        raise ImageReadError(
            f"{source}: float image with values in [{lo:g}, {hi:g}]; oculi reads float images "
            "only in [0, 1] — rescale it (e.g. divide by its maximum) or store it as 8/16-bit"
        )
    arr = np.clip(arr, 0.0, 1.0)
    if mode == "unchanged":
        return arr
    gray8 = np.rint(arr * 255.0).astype(np.uint8)
    return gray8 if mode == "gray" else np.repeat(gray8[..., None], 3, axis=2)


def _pillow_to_array(img, mode: Mode, source: str = "<bytes>") -> np.ndarray:
    if img.mode == "F":
        return _float_to_array(img, mode, source)
    if mode == "unchanged":
        if img.mode in _MODES_16:
            return np.array(img).astype(np.uint16, copy=False)
        if img.mode == "P":
            img = img.convert("RGBA" if "transparency" in img.info else "RGB")
        elif img.mode == "PA":
            img = img.convert("RGBA")
        elif img.mode == "1":
            img = img.convert("L")
        elif img.mode not in ("RGB", "RGBA", "L", "LA"):
            img = img.convert("RGB")
        return np.array(img)  # a copy: Pillow's array interface is read-only
    if img.mode in (*_MODES_16, "I"):
        arr16 = np.asarray(img).astype(np.float64)
        peak = 65535.0 if img.mode.startswith("I;16") else max(float(arr16.max()), 1.0)
        gray8 = np.clip(np.rint(arr16 * 255.0 / peak), 0, 255).astype(np.uint8)
        return gray8 if mode == "gray" else np.repeat(gray8[..., None], 3, axis=2)
    return np.array(img.convert("L" if mode == "gray" else "RGB"))


def _decode_pillow(
    data: bytes, source: str, mode: Mode, max_pixels: int | None, all_pages: bool = False
) -> list[np.ndarray]:
    from PIL import Image, ImageFile, UnidentifiedImageError

    ImageFile.LOAD_TRUNCATED_IMAGES = False
    Image.MAX_IMAGE_PIXELS = None  # our own limit below, with a clearer message
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Pillow warns on corrupt EXIF; we raise or carry on
        try:
            img = Image.open(io.BytesIO(data))
        except UnidentifiedImageError as exc:
            raise ImageReadError(
                f"{source}: not a readable image (Pillow cannot identify the data)"
            ) from exc
        except Exception as exc:
            raise ImageReadError(f"{source}: corrupt image header: {exc}") from exc
        w, h = img.size
        _check_pixels(source, h, w, max_pixels)
        frames: list[np.ndarray] = []
        n = getattr(img, "n_frames", 1) if all_pages else 1
        try:
            for i in range(n):
                img.seek(i)
                _check_pixels(source, img.size[1], img.size[0], max_pixels)
                img.load()
                arr = _pillow_to_array(img, mode, source)
                frames.append(apply_orientation(arr, _exif_orientation_pillow(img)))
        except (ImageReadError, MemoryError):  # out of memory is not "corrupt"
            raise
        except Exception as exc:  # Pillow raises OSError, SyntaxError, ValueError, struct.error
            raise ImageReadError(f"{source}: corrupt or truncated image data: {exc}") from exc
    return frames


def check_png_chunks(data: bytes, source: str) -> None:
    """Walk a PNG's chunk table and reject a chunk whose length field points past the end of
    the data (a 1.6 kB file claiming a 4 GB IDAT made OpenCV allocate it) — before any decoder
    sees the bytes. Cost: one read per chunk header.

    Raises:
        ImageReadError: a malformed or truncated chunk table.
    """
    pos, n = 8, len(data)
    while pos + 8 <= n:
        length = int.from_bytes(data[pos:pos + 4], "big")
        kind = data[pos + 4:pos + 8]
        if length > 0x7FFFFFFF or pos + 12 + length > n:
            name = kind.decode("latin-1", "replace")
            raise ImageReadError(
                f"{source}: truncated or malformed PNG: chunk {name!r} at byte {pos} claims "
                f"{length} bytes, {max(n - pos - 12, 0)} remain")
        if kind == b"IEND":
            return
        pos += 12 + length
    raise ImageReadError(f"{source}: truncated PNG (no IEND chunk)")


def _png_is_16bit_colour(data: bytes) -> bool:
    # IHDR: bytes 24 = bit depth, 25 = colour type (2 RGB, 6 RGBA)
    return len(data) > 26 and data[24] == 16 and data[25] in (2, 6)


def _decode_cv2_16bit(data: bytes, source: str, max_pixels: int | None) -> np.ndarray:
    import cv2

    w = int.from_bytes(data[16:20], "big")
    h = int.from_bytes(data[20:24], "big")
    _check_pixels(source, h, w, max_pixels)
    # Pillow validates the whole stream (CRCs, truncation) before OpenCV decodes the 16 bits.
    _decode_pillow(data, source, "rgb", max_pixels)
    arr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if arr is None:
        raise ImageReadError(f"{source}: corrupt 16-bit PNG")
    code = cv2.COLOR_BGRA2RGBA if arr.shape[2] == 4 else cv2.COLOR_BGR2RGB
    return cv2.cvtColor(arr, code)


def decode_image(
    data: bytes,
    mode: Mode = "rgb",
    *,
    source: str = "<bytes>",
    max_size: int | None = None,
    short_side: int | None = None,
    scale: float | None = None,
    max_pixels: int | None = None,
    all_pages: bool = False,
) -> np.ndarray | list[np.ndarray]:
    """Decode encoded image bytes; the arguments are those of :func:`read_image`."""
    if mode not in ("rgb", "gray", "unchanged"):
        raise ParameterError(f"mode: expected 'rgb', 'gray' or 'unchanged', got {mode!r}")
    if not isinstance(data, bytes | bytearray | memoryview):
        from oculi.core.errors import DTypeError

        hint = " — for a file use read_image" if isinstance(data, str | os.PathLike) else ""
        raise DTypeError(f"data: expected encoded image bytes, got {type(data).__name__}{hint}")
    max_size, short_side = check_size(max_size, "max_size"), check_size(short_side, "short_side")
    max_pixels = check_size(max_pixels, "max_pixels")
    if scale is not None:
        check_positive(scale, "scale")
    if not data:
        raise ImageReadError(f"{source}: empty data (0 bytes)")
    fmt = sniff_format(data[:32])
    if fmt is None:
        head = data[:8].hex(" ")
        raise ImageReadError(
            f"{source}: unknown image format (first bytes {head}); "
            "expected JPEG, PNG, TIFF, BMP, WebP, GIF or PPM/PGM"
        )
    _check_declared(fmt, data, source, max_pixels)
    if fmt == "png":
        check_png_chunks(data, source)
    if fmt == "jpeg":
        image = _decode_jpeg(
            data, source, mode, max_pixels, max_size=max_size, short_side=short_side, scale=scale
        )
        image = apply_orientation(image, jpeg_orientation(data))
        frames = [image]
    elif fmt == "png" and mode == "unchanged" and _png_is_16bit_colour(data):
        frames = [_decode_cv2_16bit(data, source, max_pixels)]
    else:
        frames = _decode_pillow(data, source, mode, max_pixels, all_pages=all_pages)
        if scale is not None:
            import cv2

            f = _exact_factor(scale)
            if f > 1:  # same output size as libjpeg's DCT scaling: ceil(size / f)
                frames = [
                    cv2.resize(
                        fr,
                        (-(-fr.shape[1] // f), -(-fr.shape[0] // f)),
                        interpolation=cv2.INTER_AREA,
                    )
                    for fr in frames
                ]
    frames = [_resize_to(_la_to_rgba(fr), max_size, short_side) for fr in frames]
    for fr in frames:
        if fr.size == 0:
            raise ImageReadError(f"{source}: zero-size image {fr.shape}")
    return frames if all_pages else frames[0]


def _la_to_rgba(image: np.ndarray) -> np.ndarray:
    """Gray + alpha (HxWx2, as PNG's LA mode stores it) -> HxWx4 RGBA: the one alpha layout the
    rest of oculi handles."""
    if image.ndim == 3 and image.shape[2] == 2:
        return np.concatenate([np.repeat(image[..., :1], 3, axis=2), image[..., 1:]], axis=2)
    return image


def read_image(
    path: str | os.PathLike[str],
    mode: Mode = "rgb",
    *,
    max_size: int | None = None,
    short_side: int | None = None,
    scale: float | None = None,
    max_pixels: int | None = None,
    all_pages: bool = False,
) -> np.ndarray | list[np.ndarray]:
    """Read an image file into a numpy array, upright (EXIF orientation applied).

    Args:
        path: JPEG, PNG, TIFF (multi-page), BMP, WebP, GIF or PPM/PGM file. The format is taken
            from the file's bytes, not its name.
        mode: ``"rgb"`` → HxWx3 uint8 RGB; ``"gray"`` → HxW uint8 (BT.601 luma);
            ``"unchanged"`` → the stored layout: HxW gray, HxWx3 RGB or HxWx4 RGBA (gray + alpha
            comes as RGBA, the grey repeated), with 16-bit
            PNG/TIFF kept as uint16 and a 32-bit float TIFF (values in [0, 1]) as float32.
            A float TIFF becomes uint8 as ``round(value * 255)`` in the other modes; one with
            values outside [0, 1] (or NaN) is an :class:`ImageReadError`.
        max_size: if given, shrink (never enlarge) so the longer side is at most this many pixels.
        short_side: if given, shrink so that the shorter side is this many pixels.
            JPEGs are decoded at the largest DCT reduction (1/2, 1/4, 1/8) that still leaves at
            least the requested size, then resized with area interpolation.
        scale: exact DCT reduction for JPEGs, one of 1, 1/2, 1/4, 1/8 (other formats are resized).
        max_pixels: decompression-bomb limit in pixels for this call (default 250 MP).
        all_pages: return a list with every page/frame of a multi-page TIFF or GIF.

    Returns:
        The image as described by ``mode`` (a list of them with ``all_pages``).

    Raises:
        ImageReadError: missing file, directory, empty file, unknown format, truncated or corrupt
            data, zero-size image, or an image above the pixel limit. The message names the file.

    Example:
        >>> from oculi.io import read_image
        >>> from oculi.data import sample_path
        >>> read_image(sample_path("chelsea")).shape
        (300, 451, 3)
        >>> read_image(sample_path("chelsea"), mode="gray", scale=0.5).shape
        (150, 226)
    """
    data = _read_bytes(path)
    return decode_image(
        data,
        mode,
        source=str(path),
        max_size=max_size,
        short_side=short_side,
        scale=scale,
        max_pixels=max_pixels,
        all_pages=all_pages,
    )


def encode_image(
    image: np.ndarray, fmt: str, *, quality: int = 95, compression: int = 3, name: str = "image"
) -> bytes:
    """Encode an RGB/RGBA/gray uint8 or uint16 array (float in [0, 1] becomes uint8) to bytes.

    Args:
        image: HW, HWx1, HWx3 (RGB) or HWx4 (RGBA) array.
        fmt: ``jpeg``, ``png``, ``tiff``, ``bmp``, ``webp`` or ``pnm``.
        quality: JPEG/WebP quality 1..100.
        compression: PNG compression level 0..9.

    Raises:
        ParameterError: ``quality`` outside 1..100 or ``compression`` outside 0..9.
        ValueRangeError: a float image with NaN/inf or outside [0, 1].
    """
    import cv2

    check_image(image, name, channels=(1, 3, 4), finite=True)
    check_in_range(quality, "quality", 1, 100)
    check_in_range(compression, "compression", 0, 9)
    if image.dtype.kind == "f":
        from oculi.core.convert import ensure_uint8

        image = ensure_uint8(image, name)
    if image.dtype == np.uint16 and fmt not in ("png", "tiff", "pnm"):
        raise ParameterError(
            f"{name}: 16-bit images can be written as PNG, TIFF or PGM/PPM, not {fmt}"
        )
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[..., 0]
    if image.ndim == 3:
        code = cv2.COLOR_RGB2BGR if image.shape[2] == 3 else cv2.COLOR_RGBA2BGRA
        if fmt in ("jpeg", "pnm") and image.shape[2] == 4:
            image, code = image[..., :3], cv2.COLOR_RGB2BGR
        image = cv2.cvtColor(np.ascontiguousarray(image), code)
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise ShapeError(f"{name}: cannot write a zero-size image {image.shape}")
    ext = {"jpeg": ".jpg", "png": ".png", "tiff": ".tif", "bmp": ".bmp", "webp": ".webp"}
    params: list[int] = []
    if fmt == "jpeg":
        params = [cv2.IMWRITE_JPEG_QUALITY, int(quality)]
    elif fmt == "png":
        params = [cv2.IMWRITE_PNG_COMPRESSION, int(compression)]
    elif fmt == "webp":
        params = [cv2.IMWRITE_WEBP_QUALITY, int(quality)]
    suffix = ext.get(fmt, ".ppm" if image.ndim == 3 else ".pgm")
    ok, buf = cv2.imencode(suffix, np.ascontiguousarray(image), params)
    if not ok:
        raise ImageWriteError(f"{name}: OpenCV could not encode the image as {fmt}")
    return buf.tobytes()


def output_format(path: str | os.PathLike[str]) -> str:
    """The format :func:`write_image` writes for ``path``'s suffix; call it before long work
    whose result goes to ``path``, so that a bad name fails at once.

    Raises:
        ImageWriteError: a suffix oculi cannot write (the message lists those it can).

    >>> output_format("pano.JPG")
    'jpeg'
    """
    p = check_path(path)
    fmt = format_from_suffix(p.suffix)
    if fmt is None or fmt == "gif":
        raise ImageWriteError(
            f"{p}: unknown output format {p.suffix!r}; "
            "use .jpg, .png, .tif, .bmp, .webp, .ppm or .pgm"
        )
    return fmt


def write_image(
    path: str | os.PathLike[str],
    image: np.ndarray,
    *,
    quality: int = 95,
    compression: int = 3,
) -> Path:
    """Write ``image`` atomically (temporary file + rename); the format follows the suffix.

    Args:
        path: target file (``.jpg .png .tif .bmp .webp .ppm .pgm``); missing folders are created.
        image: HW gray or HWx3 RGB / HWx4 RGBA, uint8 or uint16 (PNG/TIFF/PNM), or float in [0, 1].
        quality: JPEG/WebP quality (1..100).
        compression: PNG compression level (0..9).

    Returns:
        The path written.

    Raises:
        ImageWriteError: unknown suffix or a failed write; an existing file is left untouched.
        ParameterError: ``quality`` outside 1..100 or ``compression`` outside 0..9.
        ValueRangeError: a float image with NaN/inf or outside [0, 1].
    """
    p = check_path(path)
    fmt = output_format(p)
    data = encode_image(image, fmt, quality=quality, compression=compression, name=str(p))
    try:
        with atomic_path(p) as tmp:
            tmp.write_bytes(data)
    except ImageWriteError:
        raise
    except OSError as exc:
        raise ImageWriteError(f"{p}: cannot write: {exc}") from exc
    return p
