"""DICOM: reference values of the shared files, HU, windows, MONOCHROME1, padding, multi-frame."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from oculi.core.errors import ImageReadError, ParameterError, UnknownNameError
from oculi.io import read_dicom, read_image
from oculi.preprocess import (
    convert_dicom,
    dicom_info,
    dicom_to_uint8,
    montage,
    parse_window,
    to_display,
    window,
    window_preset,
)
from tests.conftest import shared_set


def _write_dicom(
    path: Path,
    pixels: np.ndarray | None,
    *,
    photometric: str = "MONOCHROME2",
    padding: int | None = None,
    padding_limit: int | None = None,
    intercept: float | None = None,
    window_cw: tuple[float, float] | None = None,
) -> Path:
    """A minimal secondary-capture DICOM (uint16, little endian), optionally multi-frame."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = "CT" if intercept is not None else "CR"
    if pixels is not None:
        frames = pixels.shape[0] if pixels.ndim == 3 else 1
        ds.Rows, ds.Columns = pixels.shape[-2:]
        if frames > 1:
            ds.NumberOfFrames = frames
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = photometric
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
        ds.PixelData = pixels.astype("<u2").tobytes()
    if padding is not None:
        ds.PixelPaddingValue = padding
    if padding_limit is not None:
        ds.PixelPaddingRangeLimit = padding_limit
    if intercept is not None:
        ds.RescaleIntercept, ds.RescaleSlope = intercept, 1
    if window_cw is not None:
        ds.WindowCenter, ds.WindowWidth = window_cw
    ds.save_as(path, enforce_file_format=True)
    return path


def _pixel_stats(folder: Path) -> dict[str, dict[str, str]]:
    with open(folder / "pixel_stats.csv", newline="") as fh:
        return {row["file"]: row for row in csv.DictReader(fh)}


def test_shared_files_shapes_and_values_match_reference() -> None:
    folder = shared_set("dicom_pydicom")
    rows = _pixel_stats(folder)
    assert len(rows) == 5
    for name, row in rows.items():
        raw = read_dicom(folder / name, apply_rescale=False)
        shape = tuple(int(v) for v in row["pixel_array_shape"].split(" x "))
        assert raw.pixels.shape == shape, name
        assert float(raw.pixels.min()) == float(row["min"]), name
        assert float(raw.pixels.max()) == float(row["max"]), name
        assert float(raw.pixels.astype(np.float64).mean()) == pytest.approx(
            float(row["mean"]), rel=1e-7, abs=1e-4
        ), name
        assert raw.meta["PhotometricInterpretation"] == row["photometric"]
        assert str(raw.meta["TransferSyntaxUID"]) == row["transfer_syntax_uid"]
        info = dicom_info(folder / name)
        assert info["frames"] == int(row["frames"])
    # MR little and big endian decode to the same pixels
    a = read_dicom(folder / "MR_small.dcm").pixels
    b = read_dicom(folder / "MR_small_bigendian.dcm").pixels
    assert np.array_equal(a, b)


def test_ct_in_hounsfield_units_and_rtdose_in_gray() -> None:
    folder = shared_set("dicom_pydicom")
    ct = read_dicom(folder / "CT_small.dcm")
    assert ct.meta["RescaleIntercept"] == -1024.0
    info = dicom_info(folder / "CT_small.dcm")
    assert info["units"] == "HU"
    # stored 128..2191 -> -896..1167 HU: soft tissue and bone, no air below -1024
    assert info["min"] == -896.0
    assert info["max"] == 1167.0
    dose = read_dicom(folder / "rtdose.dcm")
    assert dose.pixels.shape == (15, 10, 10)
    assert float(dose.pixels.max()) == pytest.approx(1.254, rel=1e-6)  # 1254000 * 1e-6 Gy
    rgb = to_display(folder / "examples_rgb_color.dcm")
    assert rgb.shape == (240, 320, 3)
    assert float(rgb.max()) == 1.0


def test_window_linear_dicom_formula_and_presets() -> None:
    x = np.array([-1000.0, -1350.0, -1349.0, -600.0, 149.0, 150.0])
    y = window(x, "lung")  # c=-600, w=1500: 0 at x <= c - 0.5 - (w-1)/2 = -1350
    expected = np.clip((x - (-600 - 0.5)) / 1499 + 0.5, 0, 1)
    np.testing.assert_allclose(y, expected, atol=1e-7)
    assert y[1] == 0.0
    assert y[-1] == 1.0
    assert window_preset("soft tissue") == (50.0, 400.0)
    assert window_preset("Soft-Tissue") == (50.0, 400.0)
    for name, cw in [("brain", (40, 80)), ("subdural", (75, 215)), ("stroke", (40, 40)),
                     ("bone", (400, 1800)), ("lung", (-600, 1500))]:
        assert window_preset(name) == cw
    assert parse_window("-600,1500") == (-600.0, 1500.0)
    np.testing.assert_allclose(window(x, 0, 100, function="linear_exact"),
                               np.clip(x / 100 + 0.5, 0, 1), atol=1e-7)
    assert float(window(np.array([40.0]), 40, 80, function="sigmoid")[0]) == 0.5
    with pytest.raises(UnknownNameError, match="lung"):
        window_preset("lungs")
    with pytest.raises(ParameterError, match="width"):
        window(x, 0, 0)
    with pytest.raises(ParameterError, match="CENTRE,WIDTH"):
        parse_window("a,b")


def test_monochrome1_inverted_and_padding_black(tmp_path: Path) -> None:
    pixels = np.tile(np.arange(0, 1000, 10, dtype=np.uint16), (20, 1))  # 20 x 100 ramp
    pixels[:, :5] = 4095  # padding (a frame around a CR plate)
    path = _write_dicom(tmp_path / "cr.dcm", pixels, photometric="MONOCHROME1", padding=4095)
    dcm = read_dicom(path)
    assert int(dcm.padding_mask.sum()) == 100
    disp = to_display(dcm)  # auto: min-max of non-padding pixels 50..990, inverted
    assert disp.shape == (20, 100)
    assert disp[0, 5] == pytest.approx(1.0)  # lowest stored value is white in MONOCHROME1
    assert disp[0, 99] == pytest.approx(0.0)
    assert float(disp[:, :5].max()) == 0.0  # padding is black, not inverted to white
    mono2 = to_display(read_dicom(_write_dicom(tmp_path / "m2.dcm", pixels, padding=4095)))
    np.testing.assert_allclose(mono2[:, 5:], 1.0 - disp[:, 5:], atol=1e-6)


def test_padding_range_limit_and_file_window(tmp_path: Path) -> None:
    pixels = np.arange(100, dtype=np.uint16).reshape(10, 10)
    path = _write_dicom(tmp_path / "p.dcm", pixels, padding=0, padding_limit=9,
                        intercept=-1024.0, window_cw=(-1000.0, 50.0))
    dcm = read_dicom(path)
    assert int(dcm.padding_mask.sum()) == 10
    disp = to_display(dcm)  # the file's window is used by default
    np.testing.assert_allclose(disp[5, 5], window(np.array(55.0 - 1024), -1000, 50)[()], atol=1e-7)
    assert dicom_info(path)["padding_pixels"] == 10
    assert dicom_info(path)["min"] == 10 - 1024


def test_multiframe_frames_montage_and_png(tmp_path: Path) -> None:
    vol = np.stack([np.full((8, 12), 100 * (i + 1), np.uint16) for i in range(5)])
    path = _write_dicom(tmp_path / "mf.dcm", vol)
    dcm = read_dicom(path)
    assert dcm.pixels.shape == (5, 8, 12)
    u8 = dicom_to_uint8(dcm, (300, 400))
    assert u8.shape == (5, 8, 12)
    assert dicom_to_uint8(dcm, (300, 400), frame=2).shape == (8, 12)
    assert int(dicom_to_uint8(dcm, (300, 400), frame=2)[0, 0]) == round(
        255 * ((300 - 299.5) / 399 + 0.5)
    )
    m = montage(u8, gap=2)
    assert m.shape == (2 * 8 + 2, 3 * 12 + 4)
    out = tmp_path / "mf.png"
    summary = convert_dicom(path, out, "300,400")
    assert summary["frames"] == 5
    assert np.array_equal(read_image(out, mode="unchanged"), m)
    with pytest.raises(ParameterError, match="frame"):
        dicom_to_uint8(dcm, frame=7)


def test_convert_shared_ct_with_lung_window(tmp_path: Path) -> None:
    folder = shared_set("dicom_pydicom")
    out = tmp_path / "ct.png"
    convert_dicom(folder / "CT_small.dcm", out, "bone")
    png = read_image(out, mode="unchanged")
    hu = read_dicom(folder / "CT_small.dcm").pixels
    expected = np.rint(window(hu, "bone") * 255).astype(np.uint8)
    assert np.array_equal(png, expected)


def test_bad_dicom_inputs(tmp_path: Path) -> None:
    junk = tmp_path / "junk.dcm"
    junk.write_bytes(b"\x89PNG not dicom" * 20)
    with pytest.raises(ImageReadError, match="not a DICOM"):
        read_dicom(junk)
    nopix = _write_dicom(tmp_path / "nopix.dcm", None)
    with pytest.raises(ImageReadError, match="no pixel data"):
        read_dicom(nopix)
    with pytest.raises(ImageReadError, match="no pixel data"):
        dicom_info(nopix)


def test_montage_fill_colours_the_gaps_and_the_empty_cells() -> None:
    frames = np.full((3, 2, 2), 200, np.uint8)
    m = montage(frames, 2, gap=1, fill=89)
    assert m.shape == (5, 5)
    assert (m[2] == 89).all() and (m[:, 2] == 89).all()  # the gaps
    assert (m[3:, 3:] == 89).all()  # the fourth cell: no frame
    assert (m[:2, :2] == 200).all() and (m[3:, :2] == 200).all()
    assert (montage(frames, 2, gap=1)[2] == 0).all()  # black by default
