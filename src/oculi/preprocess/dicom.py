"""DICOM display: VOI windowing with named presets, MONOCHROME1 inversion, pixel padding,
multi-frame volumes and conversion to 8-bit PNG.

The pipeline follows the DICOM grayscale display chain (PS3.3 C.11): stored values ->
modality units (rescale slope/intercept, done by :func:`oculi.io.read_dicom`; Hounsfield units
for CT) -> VOI window -> presentation (MONOCHROME1 is inverted so that 0 is displayed white);
padding pixels (outside the scanned field) are excluded from automatic windows and shown black.

CT window presets (centre, width in HU), after Radiopaedia's "Windowing (CT)":

=============  ======  =====
name           centre  width
=============  ======  =====
brain              40     80
subdural           75    215
stroke             40     40
bone              400   1800
soft_tissue        50    400
lung             -600   1500
mediastinum        50    350
liver              30    150
=============  ======  =====

    >>> import numpy as np
    >>> from oculi.preprocess import window
    >>> hu = np.array([-1000.0, 0.0, 40.0, 80.0, 1000.0])
    >>> [round(float(v), 3) for v in window(hu, "brain")]  # centre 40, width 80
    [0.0, 0.0, 0.506, 1.0, 1.0]
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from oculi.core.checks import check_choice
from oculi.core.errors import DataError, ParameterError, ShapeError
from oculi.core.registry import Registry
from oculi.io.dicom import DicomImage, read_dicom

#: Named CT windows: ``WINDOW_PRESETS.get("lung") == (-600.0, 1500.0)`` (centre, width in HU).
WINDOW_PRESETS: Registry[tuple[float, float]] = Registry("window preset")
for _name, _cw, _help, _aliases in (
    ("brain", (40.0, 80.0), "brain parenchyma", ("head",)),
    ("subdural", (75.0, 215.0), "subdural haematoma against the skull", ()),
    ("stroke", (40.0, 40.0), "early ischaemic stroke (grey/white matter contrast)", ()),
    ("bone", (400.0, 1800.0), "bone and fractures", ()),
    ("soft_tissue", (50.0, 400.0), "soft tissue, abdomen", ("soft", "abdomen")),
    ("lung", (-600.0, 1500.0), "lung parenchyma", ()),
    ("mediastinum", (50.0, 350.0), "mediastinum", ()),
    ("liver", (30.0, 150.0), "liver", ()),
):
    WINDOW_PRESETS.register(_name, _cw, help=_help, aliases=_aliases)


def window_preset(name: str) -> tuple[float, float]:
    """``(centre, width)`` of a named preset; spaces and dashes are accepted (``"soft tissue"``).

    Raises:
        UnknownNameError: an unknown name (the message lists close matches).
    """
    return WINDOW_PRESETS.get(name.strip().replace(" ", "_"))


def parse_window(spec: str | tuple[float, float]) -> tuple[float, float]:
    """A preset name, ``"C,W"`` (e.g. ``"-600,1500"``) or a ``(centre, width)`` pair."""
    if isinstance(spec, tuple | list):
        if len(spec) != 2:
            raise ParameterError(f"window: expected (centre, width), got {spec!r}")
        return float(spec[0]), float(spec[1])
    text = str(spec).strip()
    if "," in text:
        parts = text.split(",")
        try:
            centre, width = (float(p) for p in parts)
        except ValueError as exc:
            raise ParameterError(
                f"window: expected a preset name or 'CENTRE,WIDTH', got {spec!r}"
            ) from exc
        return centre, width
    return window_preset(text)


def window(
    image: np.ndarray,
    center: float | str,
    width: float | None = None,
    *,
    function: str = "linear",
) -> np.ndarray:
    """Map modality values (e.g. HU) through a VOI window to float32 display values in [0, 1].

    Args:
        image: any-shape array of modality values (float or integer).
        center: window centre, or a preset name (then ``width`` is taken from the preset).
        width: window width (> 0; >= 1 for ``"linear"``).
        function: the DICOM VOI LUT function —
            ``"linear"`` (PS3.3 C.11.2.1.2.1: ``(x - (c - 0.5)) / (w - 1) + 0.5``, the default of
            DICOM viewers), ``"linear_exact"`` (``(x - c) / w + 0.5``) or ``"sigmoid"``
            (``1 / (1 + exp(-4 (x - c) / w))``).

    Returns:
        float32 array of ``image``'s shape in [0, 1].
    """
    if isinstance(center, str):
        if width is not None:
            raise ParameterError("width: give a preset name or (center, width), not both")
        center, width = window_preset(center)
    if width is None:
        raise ParameterError("width: required with a numeric center")
    check_choice(function, ("linear", "linear_exact", "sigmoid"), "function")
    c, w = float(center), float(width)
    x = np.asarray(image, dtype=np.float64)
    if function == "linear":
        if not w >= 1:
            raise ParameterError(f"width: the DICOM linear window needs width >= 1, got {width!r}")
        y = (x - (c - 0.5)) / (w - 1.0) + 0.5 if w > 1 else (x > c - 0.5).astype(np.float64)
    elif function == "linear_exact":
        if not w > 0:
            raise ParameterError(f"width: expected > 0, got {width!r}")
        y = (x - c) / w + 0.5
    else:
        if not w > 0:
            raise ParameterError(f"width: expected > 0, got {width!r}")
        y = 1.0 / (1.0 + np.exp(-4.0 * (x - c) / w))
    return np.clip(y, 0.0, 1.0).astype(np.float32)


def _file_window(meta: dict[str, Any]) -> tuple[float, float] | None:
    c, w = meta.get("WindowCenter"), meta.get("WindowWidth")
    if c is None or w is None:
        return None
    c = c[0] if isinstance(c, list) else c
    w = w[0] if isinstance(w, list) else w
    try:
        return float(c), float(w)
    except (TypeError, ValueError):
        return None


def _select_frame(dcm: DicomImage, frame: int | None) -> tuple[np.ndarray, np.ndarray | None]:
    pixels, mask = dcm.pixels, dcm.padding_mask
    if frame is None:
        return pixels, mask
    n = int(dcm.meta.get("NumberOfFrames", 1) or 1)
    if n <= 1:
        if frame not in (0, -1):
            raise ParameterError(f"frame: the image has 1 frame, got frame={frame}")
        return pixels, mask
    if not -n <= frame < n:
        raise ParameterError(f"frame: expected {-n}..{n - 1} (negative counts from the end), "
                             f"got {frame}")
    return pixels[frame], (mask[frame] if mask is not None else None)


def to_display(
    dcm: DicomImage | str | os.PathLike[str],
    window_spec: str | tuple[float, float] | None = None,
    *,
    frame: int | None = None,
    function: str | None = None,
    padding_value: float = 0.0,
) -> np.ndarray:
    """A DICOM image as float32 display values in [0, 1] (0 black, 1 white).

    Args:
        dcm: a :class:`~oculi.io.DicomImage` or a path.
        window_spec: ``None``/``"auto"`` (the file's first WindowCenter/Width if present, else
            ``"minmax"``), ``"file"`` (the file's window, error if absent), ``"minmax"`` (the
            range of the non-padding pixels), a preset name, ``"C,W"`` or ``(C, W)``.
        frame: one frame of a multi-frame image (default: all frames, ``F x H x W``).
        function: VOI function (default: the file's VOILUTFunction, else ``"linear"``).
        padding_value: display value of padding pixels (after inversion, so padding stays black).

    Returns:
        float32 ``H x W`` (``F x H x W``) in [0, 1]; RGB images (``... x 3``) are scaled by their
        bit depth and not windowed.
    """
    if not isinstance(dcm, DicomImage):
        dcm = read_dicom(dcm)
    pixels, mask = _select_frame(dcm, frame)
    meta = dcm.meta
    if int(meta.get("SamplesPerPixel", 1) or 1) == 3:
        bits = int(meta.get("BitsStored", meta.get("BitsAllocated", 8)) or 8)
        return np.clip(pixels / float(2**bits - 1), 0.0, 1.0).astype(np.float32)
    if function is None:
        voi = str(meta.get("VOILUTFunction", "LINEAR")).upper()
        function = {"LINEAR_EXACT": "linear_exact", "SIGMOID": "sigmoid"}.get(voi, "linear")
    spec = "auto" if window_spec is None else window_spec
    valid = pixels[~mask] if mask is not None else pixels.ravel()
    if isinstance(spec, str) and spec.strip().lower() in ("auto", "file", "minmax"):
        mode = spec.strip().lower()
        cw = _file_window(meta) if mode != "minmax" else None
        if cw is None and mode == "file":
            raise DataError("window: the file declares no WindowCenter/WindowWidth")
        if cw is None:
            if valid.size == 0:
                raise DataError("window: every pixel is padding; give an explicit window")
            lo, hi = float(valid.min()), float(valid.max())
            cw, function = ((lo + hi) / 2.0, max(hi - lo, 1e-6)), "linear_exact"
    else:
        cw = parse_window(spec)
    out = window(pixels, cw[0], cw[1], function=function)
    if str(meta.get("PhotometricInterpretation", "")).upper() == "MONOCHROME1":
        out = 1.0 - out
    if mask is not None:
        out[mask] = np.float32(padding_value)
    return out


def dicom_to_uint8(
    dcm: DicomImage | str | os.PathLike[str],
    window_spec: str | tuple[float, float] | None = None,
    *,
    frame: int | None = None,
) -> np.ndarray:
    """:func:`to_display` rounded to uint8 (``round(255 * v)``); same shapes."""
    disp = to_display(dcm, window_spec, frame=frame)
    return np.clip(np.rint(disp * 255.0), 0, 255).astype(np.uint8)


def montage(frames: np.ndarray, columns: int | None = None, gap: int = 2, *,
            fill: int | float = 0) -> np.ndarray:
    """Tile ``F x H x W[x C]`` frames row by row into one image (gaps, and cells after the
    last frame, hold ``fill``: black by default)."""
    if frames.ndim not in (3, 4):
        raise ShapeError(f"frames: expected F x H x W[x C], got shape {frames.shape}")
    f, h, w = frames.shape[:3]
    cols = columns or int(np.ceil(np.sqrt(f)))
    rows = int(np.ceil(f / cols))
    out = np.full((rows * h + (rows - 1) * gap, cols * w + (cols - 1) * gap, *frames.shape[3:]),
                  fill, frames.dtype)
    for i in range(f):
        r, c = divmod(i, cols)
        out[r * (h + gap): r * (h + gap) + h, c * (w + gap): c * (w + gap) + w] = frames[i]
    return out


def convert_dicom(
    path: str | os.PathLike[str],
    out: str | os.PathLike[str],
    window_spec: str | tuple[float, float] | None = None,
    *,
    frame: int | None = None,
) -> dict[str, Any]:
    """Write a DICOM file as an 8-bit PNG (or any format :func:`oculi.io.write_image` knows).

    Multi-frame files are written as a montage of all frames unless ``frame`` picks one.

    Returns:
        A summary: output path, shape written, frames, the window used.
    """
    from oculi.io import write_image

    dcm = read_dicom(path)
    image = dicom_to_uint8(dcm, window_spec, frame=frame)
    frames = int(dcm.meta.get("NumberOfFrames", 1) or 1)
    if frames > 1 and frame is None:
        image = montage(image)
    write_image(out, image)
    return {
        "input": str(path),
        "output": str(out),
        "shape": list(image.shape),
        "frames": frames,
        "frame": frame,
        "window": window_spec if not isinstance(window_spec, tuple) else list(window_spec),
        "photometric": dcm.meta.get("PhotometricInterpretation"),
    }


def dicom_info(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Metadata and pixel statistics of a DICOM file (no patient identifiers).

    Returns:
        ``file``, ``shape``, ``frames``, ``units`` (``"HU"`` for rescaled CT), ``min``/``max``/
        ``mean`` of the non-padding pixels in modality units, ``padding_pixels``, and ``meta``.
    """
    dcm = read_dicom(path)
    mask = dcm.padding_mask
    valid = dcm.pixels[~mask] if mask is not None else dcm.pixels.ravel()
    meta = dcm.meta
    units = "HU" if meta.get("Modality") == "CT" and "RescaleIntercept" in meta else (
        str(meta.get("DoseUnits") or meta.get("RescaleType") or "stored values")
    )
    stats = (
        {"min": float(valid.min()), "max": float(valid.max()), "mean": float(valid.mean())}
        if valid.size else {"min": None, "max": None, "mean": None}
    )
    return {
        "file": str(Path(path)),
        "shape": list(dcm.pixels.shape),
        "frames": int(meta.get("NumberOfFrames", 1) or 1),
        "units": units,
        **stats,
        "padding_pixels": int(mask.sum()) if mask is not None else 0,
        "meta": meta,
    }
