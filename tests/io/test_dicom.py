import csv

import numpy as np
import pytest

from oculi.core.errors import ImageReadError
from oculi.io import read_dicom
from tests.conftest import shared_set


def test_ct_in_hounsfield_units():
    folder = shared_set("dicom_pydicom")
    ct = read_dicom(folder / "CT_small.dcm")
    raw = read_dicom(folder / "CT_small.dcm", apply_rescale=False)
    slope = ct.meta.get("RescaleSlope", 1.0)
    intercept = ct.meta.get("RescaleIntercept", 0.0)
    assert ct.pixels.shape == (128, 128) and ct.pixels.dtype == np.float32
    np.testing.assert_allclose(ct.pixels, raw.pixels * slope + intercept)
    assert ct.meta["Modality"] == "CT"
    with open(folder / "pixel_stats.csv") as fh:
        rows = {r[next(iter(r))]: r for r in csv.DictReader(fh)}
    row = next(v for k, v in rows.items() if "CT_small" in k)
    assert float(raw.pixels.min()) == pytest.approx(float(row.get("min", raw.pixels.min())))


def test_not_dicom(tmp_path):
    p = tmp_path / "x.dcm"
    p.write_bytes(b"hello" * 100)
    with pytest.raises(ImageReadError, match="not a DICOM"):
        read_dicom(p)
    with pytest.raises(ImageReadError, match="no such file"):
        read_dicom(tmp_path / "none.dcm")
