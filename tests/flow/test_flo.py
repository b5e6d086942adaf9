from __future__ import annotations

import numpy as np
import pytest

from oculi.core.errors import DataError, ImageReadError, ShapeError
from oculi.flow import read_flo, write_flo
from oculi.flow.flo import FLO_TAG, known_mask
from tests.conftest import shared_set


def _raw(path, w, h, payload: bytes) -> None:
    path.write_bytes(np.array([FLO_TAG], "<f4").tobytes() + np.array([w, h], "<i4").tobytes()
                     + payload)


def test_roundtrip_exact(tmp_path, rng):
    flow = rng.normal(0, 5, (7, 9, 2)).astype(np.float32)
    write_flo(tmp_path / "a.flo", flow)
    assert (tmp_path / "a.flo").stat().st_size == 12 + 7 * 9 * 8
    np.testing.assert_array_equal(read_flo(tmp_path / "a.flo"), flow)


def test_layout_is_interleaved_row_major(tmp_path):
    # pixel (x=2, y=1) of a 3x2 field is the 6th pair: byte offset 12 + 8 * 5
    flow = np.zeros((2, 3, 2), np.float32)
    flow[1, 2] = (7.0, -3.0)
    write_flo(tmp_path / "b.flo", flow)
    data = (tmp_path / "b.flo").read_bytes()
    assert data[:4] == b"PIEH"
    assert np.frombuffer(data, "<i4", 2, 4).tolist() == [3, 2]
    assert np.frombuffer(data, "<f4", 2, 12 + 40).tolist() == [7.0, -3.0]


def test_unknown_values_become_nan(tmp_path):
    vals = np.zeros((1, 3, 2), np.float32)
    vals[0, 1, 0] = 1.6666668e9
    _raw(tmp_path / "u.flo", 3, 1, vals.astype("<f4").tobytes())
    flow = read_flo(tmp_path / "u.flo")
    assert np.isnan(flow[0, 1]).all()
    assert np.isfinite(flow[0, [0, 2]]).all()
    assert known_mask(flow).tolist() == [[True, False, True]]
    assert read_flo(tmp_path / "u.flo", unknown="keep")[0, 1, 0] == pytest.approx(1.6666668e9)
    # NaN is written as a value > 1e9 and read back as unknown
    write_flo(tmp_path / "v.flo", flow)
    assert np.isnan(read_flo(tmp_path / "v.flo")[0, 1]).all()


def test_malformed_files(tmp_path):
    _raw(tmp_path / "t.flo", 4, 4, b"\0" * (4 * 4 * 8 - 3))
    with pytest.raises(DataError, match="truncated"):
        read_flo(tmp_path / "t.flo")
    _raw(tmp_path / "x.flo", 1, 1, b"\0" * 12)
    with pytest.raises(DataError, match="trailing"):
        read_flo(tmp_path / "x.flo")
    (tmp_path / "tag.flo").write_bytes(b"PNG!" + b"\0" * 20)
    with pytest.raises(DataError, match="tag"):
        read_flo(tmp_path / "tag.flo")
    _raw(tmp_path / "neg.flo", -5, 3, b"")
    with pytest.raises(DataError, match="size"):
        read_flo(tmp_path / "neg.flo")
    (tmp_path / "short.flo").write_bytes(b"PIEH")
    with pytest.raises(DataError, match="header"):
        read_flo(tmp_path / "short.flo")
    with pytest.raises(ImageReadError, match="no such file"):
        read_flo(tmp_path / "missing.flo")


def test_write_rejects_wrong_shape(tmp_path):
    with pytest.raises(ShapeError, match="HxWx2"):
        write_flo(tmp_path / "w.flo", np.zeros((4, 4, 3), np.float32))


def test_middlebury_ground_truth():
    folder = shared_set("flow_middlebury")
    from oculi.io import read_image

    gt = read_flo(folder / "Dimetrodon" / "flow10.flo")
    assert gt.shape == (*read_image(folder / "Dimetrodon" / "frame10.png").shape[:2], 2)
    assert gt.shape == (388, 584, 2)
    # SOURCES.md: 4.8 % of Dimetrodon's pixels and none of Grove2's are unknown
    assert (~known_mask(gt)).mean() == pytest.approx(0.048, abs=0.002)
    assert known_mask(read_flo(folder / "Grove2" / "flow10.flo")).all()
