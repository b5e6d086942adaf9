"""DICOM reading through pydicom: pixel values in modality units (e.g. Hounsfield for CT).

The preprocessing topic builds windowing, MONOCHROME1 inversion and 8-bit conversion on top.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from oculi.core.errors import ImageReadError, MissingDependencyError


@dataclass
class DicomImage:
    """A decoded DICOM image.

    Attributes:
        pixels: float32 array in modality units after rescale slope/intercept: HxW, HxWx3 (RGB),
            or FxHxW (multi-frame). Padding values (PixelPaddingValue) are kept as they are;
            ``padding_mask`` marks them.
        meta: selected attributes (modality, photometric interpretation, rescale, window, spacing,
            patient/study identifiers are not copied).
        padding_mask: bool array of ``pixels``' shape, True where the stored value was padding, or
            ``None`` when the file declares no padding value.
    """

    pixels: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)
    padding_mask: np.ndarray | None = None


_META_KEYS = (
    "Modality",
    "PhotometricInterpretation",
    "Rows",
    "Columns",
    "NumberOfFrames",
    "SamplesPerPixel",
    "BitsAllocated",
    "BitsStored",
    "PixelRepresentation",
    "RescaleSlope",
    "RescaleIntercept",
    "RescaleType",
    "WindowCenter",
    "WindowWidth",
    "PixelSpacing",
    "SliceThickness",
    "PixelPaddingValue",
    "PixelPaddingRangeLimit",
    "WindowCenterWidthExplanation",
    "VOILUTFunction",
    "DoseGridScaling",
    "DoseUnits",
    "SOPClassUID",
    "TransferSyntaxUID",
)


def _plain(value: Any) -> Any:
    try:
        from pydicom.multival import MultiValue
        from pydicom.valuerep import IS, DSfloat
    except ImportError:  # pragma: no cover
        return value
    if isinstance(value, MultiValue | list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, DSfloat):
        return float(value)
    if isinstance(value, IS):
        return int(value)
    if isinstance(value, int | float | str):
        return value
    return str(value)


def _padding_mask(raw: np.ndarray, meta: dict[str, Any]) -> np.ndarray | None:
    """Stored values that are padding: PixelPaddingValue, or the closed range between it and
    PixelPaddingRangeLimit (PS3.3 C.7.5.1.1.2). Colour images have no padding."""
    pad = meta.get("PixelPaddingValue")
    if isinstance(pad, list):  # some writers store it multi-valued
        pad = pad[0] if pad else None
    if not isinstance(pad, int) or int(meta.get("SamplesPerPixel", 1) or 1) != 1:
        return None
    limit = meta.get("PixelPaddingRangeLimit")
    if isinstance(limit, list):
        limit = limit[0] if limit else None
    if isinstance(limit, int):
        lo, hi = min(pad, limit), max(pad, limit)
        return (raw >= lo) & (raw <= hi)
    return raw == pad


def _check_dicom_size(path: Path, ds: Any) -> None:
    """The decompression-bomb guard of :func:`oculi.io.read_image`, on Rows x Columns x frames,
    before pydicom decodes anything."""
    from oculi.io.image import _check_pixels

    try:
        rows, cols = int(ds.get("Rows", 0) or 0), int(ds.get("Columns", 0) or 0)
        frames = max(int(ds.get("NumberOfFrames", 1) or 1), 1)
    except (TypeError, ValueError) as exc:
        raise ImageReadError(f"{path}: corrupt DICOM size attributes: {exc}") from exc
    _check_pixels(f"{path} ({frames} frame(s))", rows * frames, cols, None)


def read_dicom(path: str | os.PathLike[str], *, apply_rescale: bool = True) -> DicomImage:
    """Read a DICOM file's pixels in modality units, with its metadata.

    Args:
        path: a DICOM Part 10 file (with or without the 128-byte preamble).
        apply_rescale: apply RescaleSlope/RescaleIntercept (and DoseGridScaling for RT dose) so
            CT comes out in Hounsfield units. With ``False`` the stored values are returned.

    Returns:
        :class:`DicomImage` with float32 pixels (HxW, HxWx3 or FxHxW).

    Raises:
        ImageReadError: missing file, not a DICOM file, a DICOM without pixel data, or one
            whose Rows x Columns x frames exceed the pixel limit of
            :func:`oculi.io.set_max_pixels`.
    """
    try:
        import pydicom
        from pydicom.errors import InvalidDicomError
    except ImportError as exc:  # pragma: no cover - pydicom is a dependency
        raise MissingDependencyError(
            "pydicom is needed to read DICOM: pip install pydicom"
        ) from exc
    p = Path(path)
    if not p.is_file():
        raise ImageReadError(f"{p}: no such file" if not p.exists() else f"{p}: not a file")
    try:
        ds = pydicom.dcmread(p)
    except InvalidDicomError as exc:
        raise ImageReadError(f"{p}: not a DICOM file ({exc})") from exc
    except Exception as exc:
        raise ImageReadError(f"{p}: corrupt DICOM file: {exc}") from exc
    if "PixelData" not in ds and "FloatPixelData" not in ds and "DoubleFloatPixelData" not in ds:
        raise ImageReadError(
            f"{p}: DICOM file has no pixel data (a {ds.get('Modality', 'non-image')} object)"
        )
    _check_dicom_size(p, ds)
    try:
        raw = ds.pixel_array
    except Exception as exc:
        raise ImageReadError(f"{p}: cannot decode DICOM pixel data: {exc}") from exc
    meta = {k: _plain(ds.get(k)) for k in _META_KEYS if k in ds}
    if "TransferSyntaxUID" not in meta and getattr(ds, "file_meta", None) is not None:
        tsuid = ds.file_meta.get("TransferSyntaxUID")
        if tsuid is not None:
            meta["TransferSyntaxUID"] = str(tsuid)
    padding_mask = _padding_mask(raw, meta)
    pixels = raw.astype(np.float32)
    if apply_rescale:
        slope = float(meta.get("RescaleSlope", 1.0) or 1.0)
        intercept = float(meta.get("RescaleIntercept", 0.0) or 0.0)
        if "DoseGridScaling" in meta:
            slope *= float(meta["DoseGridScaling"])
        if slope != 1.0 or intercept != 0.0:
            pixels = pixels * np.float32(slope) + np.float32(intercept)
    return DicomImage(pixels=pixels, meta=meta, padding_mask=padding_mask)
