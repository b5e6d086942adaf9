from __future__ import annotations

import json

import numpy as np
from typer.testing import CliRunner

from oculi.cli.main import app
from oculi.flow import endpoint_error, read_flo
from oculi.io import read_image, write_image
from tests.flow.conftest import interior
from tests.flow.test_evaluate import make_folder

runner = CliRunner()


def test_compute_and_eval(tmp_path, textured):
    folder = make_folder(tmp_path / "seqs", textured, n=1) / "Seq0"
    out, viz, js = tmp_path / "f.flo", tmp_path / "f.png", tmp_path / "f.json"
    res = runner.invoke(app, ["flow", "compute", str(folder / "frame10.png"),
                              str(folder / "frame11.png"), "-m", "hs", "-o", str(out),
                              "--viz", str(viz), "--param", "alpha=3", "--json", str(js)])
    assert res.exit_code == 0, res.output
    assert "hs: 160x120" in res.output
    gt = read_flo(folder / "flow10.flo")
    flow = read_flo(out)
    assert endpoint_error(interior(flow), interior(gt)) < 0.2
    assert read_image(viz).shape == (120, 160, 3)
    assert json.loads(js.read_text())["method"] == "hs"

    js2, emap = tmp_path / "e.json", tmp_path / "e.png"
    res = runner.invoke(app, ["flow", "eval", str(out), str(folder / "flow10.flo"),
                              "--json", str(js2), "--error-map", str(emap)])
    assert res.exit_code == 0, res.output
    stats = json.loads(js2.read_text())
    assert abs(stats["epe"] - endpoint_error(flow, gt)) < 1e-6
    assert f"EPE {stats['epe']:.3f} px" in res.output
    assert read_image(emap).shape == (120, 160, 3)


def test_bench_folder(tmp_path, textured):
    folder = make_folder(tmp_path / "seqs", textured, n=2)
    js = tmp_path / "b.json"
    res = runner.invoke(app, ["flow", "bench", str(folder), "--methods", "hs,dis",
                              "--json", str(js)])
    assert res.exit_code == 0, res.output
    data = json.loads(js.read_text())
    assert len(data["results"]) == 4
    assert data["summary"]["hs"]["epe"] < 0.3
    assert "mean over sequences" in res.output


def test_errors_are_one_line_exit_2(tmp_path, textured):
    a = (textured * 255).astype(np.uint8)
    write_image(tmp_path / "a.png", a)
    write_image(tmp_path / "b.png", a[:100])
    res = runner.invoke(app, ["flow", "compute", str(tmp_path / "a.png"), str(tmp_path / "b.png"),
                              "-o", str(tmp_path / "x.flo")])
    assert res.exit_code == 2
    assert "same size" in res.output
    assert not (tmp_path / "x.flo").exists()
    res = runner.invoke(app, ["flow", "compute", str(tmp_path / "a.png"), str(tmp_path / "a.png"),
                              "-m", "horn", "-o", str(tmp_path / "x.flo")])
    assert res.exit_code == 2 and "unknown flow method" in res.output
    (tmp_path / "bad.flo").write_bytes(b"PIEH" + b"\x05\0\0\0\x05\0\0\0" + b"\0" * 10)
    res = runner.invoke(app, ["flow", "eval", str(tmp_path / "bad.flo"), str(tmp_path / "bad.flo")])
    assert res.exit_code == 2 and "truncated" in res.output
    res = runner.invoke(app, ["flow", "bench", str(tmp_path / "nothing")])
    assert res.exit_code == 2 and "not a folder" in res.output
    res = runner.invoke(app, ["flow", "compute", str(tmp_path / "a.png"), str(tmp_path / "a.png"),
                              "-o", str(tmp_path / "x.flo"), "-p", "alpha"])
    assert res.exit_code == 2 and "key=value" in res.output


def test_bench_lists_failed_runs_and_exits_2(tmp_path, textured):
    folder = make_folder(tmp_path / "seqs", textured, n=2)
    (folder / "Seq1" / "frame11.png").write_bytes(b"not an image")
    js = tmp_path / "b.json"
    res = runner.invoke(app, ["flow", "bench", str(folder), "--methods", "hs",
                              "--json", str(js)])
    assert res.exit_code == 2, res.output
    assert "1 run(s) failed:" in res.output and "hs on Seq1" in res.output
    data = json.loads(js.read_text())
    assert [bool(r["error"]) for r in data["results"]] == [False, True]


def test_compute_output_must_be_flo(tmp_path, textured):
    # -o x.txt (or x.png) wrote a .flo file under that name
    folder = make_folder(tmp_path / "seqs", textured, n=1) / "Seq0"
    for name in ("x.txt", "x.png", "x"):
        res = runner.invoke(app, ["flow", "compute", str(folder / "frame10.png"),
                                  str(folder / "frame11.png"), "-o", str(tmp_path / name)])
        assert res.exit_code == 2, res.output
        lines = [ln for ln in res.output.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("oculi: error: --out:"), res.output
        assert "expected a .flo file" in lines[0] and "--viz" in lines[0]
        assert not (tmp_path / name).exists()
    assert "'.txt'" in runner.invoke(app, ["flow", "compute", str(folder / "frame10.png"),
                                           str(folder / "frame11.png"), "-o",
                                           str(tmp_path / "x.txt")]).output
    res = runner.invoke(app, ["flow", "compute", str(folder / "frame10.png"),
                              str(folder / "frame11.png"), "-m", "dis", "-o",
                              str(tmp_path / "X.FLO")])
    assert res.exit_code == 0, res.output
    assert read_flo(tmp_path / "X.FLO").shape == (120, 160, 2)
