"""What the CLI prints when something is wrong: one line per problem, the path once, the output's
name (never a temporary file), strict JSON, and bad output names refused before any work."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from typer.testing import CliRunner

from oculi.cli.main import app
from oculi.data import load
from oculi.io import write_image

runner = CliRunner()


def _lines(output: str) -> list[str]:
    return [ln for ln in output.splitlines() if ln.strip()]


@pytest.fixture
def images(tmp_path):
    a = write_image(tmp_path / "a.png", load("astronaut"))
    b = write_image(tmp_path / "b.png", load("chelsea"))
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not an image")
    return a, b, bad


def test_a_single_bad_input_is_one_line_naming_it_once(images):
    # was: "1 file(s) failed:" then "  bad.png: bad.png: unknown image format ..."
    _, _, bad = images
    res = runner.invoke(app, ["detect", str(bad), "--model", "hog-people"])
    assert res.exit_code == 2
    assert _lines(res.output) == [f"oculi: error: 1 file(s) failed: {bad}: unknown image format "
                                  "(first bytes 6e 6f 74 20 61 6e 20 69); expected JPEG, PNG, "
                                  "TIFF, BMP, WebP, GIF or PPM/PGM"]


def test_several_failures_name_each_path_once(images, tmp_path):
    a, _, bad = images
    missing = tmp_path / "missing.png"
    res = runner.invoke(app, ["detect", str(a), str(missing), str(bad), "--model", "hog-people"])
    assert res.exit_code == 2
    lines = _lines(res.output)
    assert lines[-3:] == ["2 file(s) failed:", f"  {missing}: no such file",
                          f"  {bad}: unknown image format (first bytes 6e 6f 74 20 61 6e 20 69); "
                          "expected JPEG, PNG, TIFF, BMP, WebP, GIF or PPM/PGM"]


def test_an_option_error_is_reported_once_not_per_file(images, tmp_path):
    # was: "2 file(s) failed:" and the same "tiles: ..." message under each file
    a, b, _ = images
    res = runner.invoke(app, ["preprocess", "clahe", str(a), str(b), "--tiles", "0",
                              "-o", str(tmp_path / "out")])
    assert res.exit_code == 2
    assert _lines(res.output) == [f"oculi: error: tiles: expected positive tile counts, got "
                                  f"(0, 0) (2 files: {a}, {b})"]


def test_stitch_refuses_an_unwritable_suffix_before_any_work(images, tmp_path, monkeypatch):
    import oculi.stitching

    def never(*args, **kwargs):
        raise AssertionError("stitching ran before the output name was checked")

    monkeypatch.setattr(oculi.stitching, "stitch", never)
    a, b, _ = images
    res = runner.invoke(app, ["stitch", str(a), str(b), "-o", str(tmp_path / "out.xyz")])
    assert res.exit_code == 2, res.output
    assert _lines(res.output) == [f"oculi: error: {tmp_path / 'out.xyz'}: unknown output format "
                                  "'.xyz'; use .jpg, .png, .tif, .bmp, .webp, .ppm or .pgm"]


def test_errors_name_the_output_never_the_temporary_file(images, tmp_path):
    a, _, _ = images
    (tmp_path / "dir.png").mkdir()
    (tmp_path / "dir.json").mkdir()
    res = runner.invoke(app, ["convert", str(a), str(tmp_path / "dir.png")])
    assert res.exit_code == 2
    assert _lines(res.output) == [f"oculi: error: {tmp_path / 'dir.png'}: cannot write: "
                                  "Is a directory"]
    res = runner.invoke(app, ["detect", str(a), "--model", "hog-people", "--json",
                              str(tmp_path / "dir.json")])
    assert res.exit_code == 2
    assert _lines(res.output)[-1] == (f"oculi: error: {tmp_path / 'dir.json'}: cannot write: "
                                      "Is a directory")
    assert not [p for p in tmp_path.iterdir() if "oculi-tmp" in p.name]


def _strict(text: str):
    def refuse(constant: str):
        raise ValueError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


def test_flow_bench_json_is_strict_json(tmp_path):
    # a failed run has NaN errors: the file held bare NaN, which JSON does not allow
    from oculi.flow import write_flo

    seq = tmp_path / "seqs" / "S1"
    frame = (np.random.default_rng(0).random((32, 40)) * 255).astype(np.uint8)
    write_image(seq / "frame10.png", frame)
    write_image(seq / "frame11.png", frame)
    write_flo(seq / "flow10.flo", np.zeros((30, 40, 2), np.float32))  # the wrong size
    js = tmp_path / "b.json"
    res = runner.invoke(app, ["flow", "bench", str(tmp_path / "seqs"), "--methods", "hs",
                              "--json", str(js)])
    assert res.exit_code == 2, res.output
    run = _strict(js.read_text())["results"][0]
    assert run["epe"] is None and run["ae"] is None and "expected 30x40" in run["error"]


def test_write_json_turns_every_non_finite_number_into_null(tmp_path):
    from oculi.cli._common import write_json

    write_json(tmp_path / "x.json", {"a": float("nan"), "b": [np.float32("inf"), 1.5],
                                     "c": np.array([[np.nan, 2.0]]), 3: (np.int64(4),)})
    assert _strict((tmp_path / "x.json").read_text()) == {"a": None, "b": [None, 1.5],
                                                           "c": [[None, 2.0]], "3": [4]}


def test_torch_pickle_warnings_are_not_shown_when_oculi_refuses_the_file(tmp_path):
    import pickle

    from oculi.core.errors import DataError
    from oculi.models.weights import read_state_dict

    path = tmp_path / "w.pth"
    path.write_bytes(pickle.dumps({"w": [1, 2]}, protocol=5))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(DataError, match="cannot be read as a state dict"):
            read_state_dict(path)
    assert [str(w.message)[:60] for w in caught] == []


def test_argument_errors_name_the_file(tmp_path):
    """A library error about an argument (``image1: expected at least 2x2 pixels``) names the
    user's file in the CLI."""
    from typer.testing import CliRunner

    from oculi.cli.main import app
    from oculi.io import write_image

    write_image(tmp_path / "one.png", np.zeros((1, 1, 3), np.uint8))
    write_image(tmp_path / "ok.png", np.zeros((32, 32, 3), np.uint8))
    res = CliRunner().invoke(app, ["flow", "compute", str(tmp_path / "one.png"),
                                   str(tmp_path / "ok.png"), "-o", str(tmp_path / "f.flo")])
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert res.exit_code == 2 and len(lines) == 1
    assert "one.png (image1): expected at least 2x2" in lines[0]
