"""``oculi preprocess ...`` and ``oculi dicom ...`` through Typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
from typer.testing import CliRunner

from oculi.cli.main import app
from oculi.data import load
from oculi.io import read_dicom, read_image, write_image
from oculi.preprocess import window
from tests.conftest import shared_set

runner = CliRunner()


def test_clahe_command_matches_opencv(tmp_path: Path) -> None:
    gray = load("camera", mode="gray")
    src = write_image(tmp_path / "cam.png", gray)
    out = tmp_path / "cam_clahe.png"
    res = runner.invoke(app, ["preprocess", "clahe", str(src), "-o", str(out), "--clip-limit",
                              "3", "--tiles", "4x6", "--json", str(tmp_path / "r.json")])
    assert res.exit_code == 0, res.output
    ref = cv2.createCLAHE(3.0, (6, 4)).apply(gray)
    assert np.array_equal(read_image(out, mode="unchanged"), ref)
    summary = json.loads((tmp_path / "r.json").read_text())
    assert summary["params"]["tiles"] == [4, 6]


def test_equalize_gamma_local_mean_and_batch_failures(tmp_path: Path) -> None:
    gray = load("camera", mode="gray")
    src = write_image(tmp_path / "a.png", gray)
    res = runner.invoke(app, ["preprocess", "equalize", str(src), "-o", str(tmp_path / "e.png")])
    assert res.exit_code == 0, res.output
    assert np.array_equal(read_image(tmp_path / "e.png", mode="unchanged"), cv2.equalizeHist(gray))
    res = runner.invoke(app, ["preprocess", "gamma", str(src), "-o", str(tmp_path / "g.png"),
                              "--gamma", "0.5"])
    assert res.exit_code == 0, res.output
    g = read_image(tmp_path / "g.png", mode="unchanged")
    assert int(g[100, 100]) == round(255 * (gray[100, 100] / 255) ** 0.5)
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not an image")
    outdir = tmp_path / "out"
    res = runner.invoke(app, ["preprocess", "local-mean", str(src), str(bad), "-o", str(outdir),
                              "--sigma", "5"])
    assert res.exit_code == 2
    assert "bad.png" in res.output
    lm = read_image(outdir / "a.png", mode="unchanged")
    ref = cv2.addWeighted(gray, 4, cv2.GaussianBlur(gray, (0, 0), 5), -4, 128)
    assert np.array_equal(lm, ref)


def test_bad_option_is_one_line_error(tmp_path: Path) -> None:
    src = write_image(tmp_path / "a.png", load("camera", mode="gray"))
    res = runner.invoke(app, ["preprocess", "clahe", str(src), "-o", str(tmp_path / "o.png"),
                              "--tiles", "axb"])
    assert res.exit_code == 2
    assert "--tiles" in res.output


def test_dicom_info_and_convert(tmp_path: Path) -> None:
    folder = shared_set("dicom_pydicom")
    res = runner.invoke(app, ["dicom", "info", str(folder / "CT_small.dcm"), "--json",
                              str(tmp_path / "i.json")])
    assert res.exit_code == 0, res.output
    assert "HU" in res.output
    info = json.loads((tmp_path / "i.json").read_text())
    assert info["min"] == -896.0
    out = tmp_path / "ct.png"
    res = runner.invoke(app, ["dicom", "convert", str(folder / "CT_small.dcm"), "-o", str(out),
                              "--window", "-600,1500"])
    assert res.exit_code == 0, res.output
    hu = read_dicom(folder / "CT_small.dcm").pixels
    assert np.array_equal(read_image(out, mode="unchanged"),
                          np.rint(window(hu, -600, 1500) * 255).astype(np.uint8))
    res = runner.invoke(app, ["dicom", "convert", str(folder / "rtdose.dcm"), "-o",
                              str(tmp_path / "d.png"), "--frame", "3"])
    assert res.exit_code == 0, res.output
    assert read_image(tmp_path / "d.png", mode="unchanged").shape == (10, 10)


def test_dicom_errors(tmp_path: Path) -> None:
    junk = tmp_path / "x.dcm"
    junk.write_bytes(b"hello" * 50)
    res = runner.invoke(app, ["dicom", "info", str(junk)])
    assert res.exit_code == 2
    assert "not a DICOM" in res.output


def test_dicom_convert_frame_negative_counts_from_the_end(tmp_path: Path) -> None:
    # --frame -1 was accepted without a word in the help: it is Python indexing (-1 = last
    # frame), now documented; an index outside -F..F-1 is a one-line error
    from tests.preprocess.test_dicom import _write_dicom

    vol = np.stack([np.full((8, 12), 100 * (i + 1), np.uint16) for i in range(5)])
    path = _write_dicom(tmp_path / "mf.dcm", vol)
    for frame, name in (("-1", "last.png"), ("4", "four.png")):
        res = runner.invoke(app, ["dicom", "convert", str(path), "-o", str(tmp_path / name),
                                  "--window", "300,400", "--frame", frame])
        assert res.exit_code == 0, res.output
    assert np.array_equal(read_image(tmp_path / "last.png", mode="unchanged"),
                          read_image(tmp_path / "four.png", mode="unchanged"))
    for frame in ("-6", "5"):
        res = runner.invoke(app, ["dicom", "convert", str(path), "-o", str(tmp_path / "x.png"),
                                  "--frame", frame])
        assert res.exit_code == 2, res.output
        lines = [ln for ln in res.output.splitlines() if ln.strip()]
        assert lines == [f"oculi: error: frame: expected -5..4 (negative counts from the end), "
                         f"got {frame}"], res.output
    assert not (tmp_path / "x.png").exists()
    res = runner.invoke(app, ["dicom", "convert", "--help"])
    assert "negative index counts from the end" in " ".join(res.output.split())


def _one_error_line(res) -> str:
    assert res.exit_code == 2, res.output
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("oculi: error:"), res.output
    return lines[0]


def test_several_inputs_with_an_image_named_out_is_an_error(tmp_path: Path) -> None:
    # `equalize a.png b.png -o single.png` created a folder named single.png
    a = write_image(tmp_path / "a.png", load("camera", mode="gray"))
    b = write_image(tmp_path / "b.png", load("coins", mode="gray"))
    for cmd, extra in (("equalize", []), ("clahe", []), ("gamma", ["--gamma", "0.5"]),
                       ("local-mean", ["--sigma", "3"])):
        for name in ("single.png", "single.JPG"):
            res = runner.invoke(app, ["preprocess", cmd, str(a), str(b), "-o",
                                      str(tmp_path / name), *extra])
            line = _one_error_line(res)
            assert "looks like an image file" in line and "give a folder" in line
            assert not (tmp_path / name).exists()
    res = runner.invoke(app, ["preprocess", "equalize", str(a), str(b), "-o",
                              str(tmp_path / "outdir")])
    assert res.exit_code == 0, res.output
    assert np.array_equal(read_image(tmp_path / "outdir" / "b.png", mode="unchanged"),
                          cv2.equalizeHist(load("coins", mode="gray")))


def test_nan_and_out_of_range_float_options_are_errors(tmp_path: Path) -> None:
    # --offset nan was accepted (and every other float option too)
    src = write_image(tmp_path / "a.png", load("camera", mode="gray"))
    out = tmp_path / "o.png"
    cases = [
        (["local-mean", "--offset", "nan"], "--offset: expected a finite number, got nan"),
        (["local-mean", "--offset", "300"], "--offset: expected a number in [0, 255], got 300"),
        (["local-mean", "--alpha", "inf"], "--alpha: expected a finite number, got inf"),
        (["local-mean", "--sigma", "nan"], "--sigma: expected a finite number"),
        (["clahe", "--clip-limit", "nan"], "--clip-limit: expected a finite number"),
        (["gamma", "--gamma", "nan"], "--gamma: expected a finite number"),
        (["gamma", "--gamma", "1", "--gain", "nan"], "--gain: expected a finite number"),
    ]
    for (cmd, *opts), text in cases:
        res = runner.invoke(app, ["preprocess", cmd, str(src), "-o", str(out), *opts])
        assert text in _one_error_line(res), (cmd, opts)
    assert not out.exists()


def test_clahe_with_a_huge_tile_grid_is_a_one_line_error(tmp_path: Path) -> None:
    src = write_image(tmp_path / "a.png", load("camera", mode="gray")[:40, :50])
    res = runner.invoke(app, ["preprocess", "clahe", str(src), "-o", str(tmp_path / "o.png"),
                              "--tiles", "100000"])
    assert res.exit_code == 2
    assert "tiles: a 100000x100000 grid on a 40x50 uint8 image needs 11.7 TiB" in res.output
    assert "Traceback" not in res.output and not (tmp_path / "o.png").exists()
