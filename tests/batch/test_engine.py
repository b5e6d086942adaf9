"""``run_batch`` in-process: result files, index, failures, resume after a kill."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from oculi.batch import jobs, run_batch
from oculi.core.errors import MissingDependencyError, ParameterError, UnknownNameError
from tests.batch.conftest import make_images


def _records(out: Path) -> dict[str, dict]:
    return {p.relative_to(out).as_posix(): json.loads(p.read_text())
            for p in sorted(out.rglob("*.json"))}


def _temp_files(out: Path) -> list[Path]:
    return [p for p in out.rglob("*") if ".oculi-tmp-" in p.name]


def test_convert_writes_one_result_per_input_and_an_index(images, tmp_path):
    from oculi.io import read_image

    out = tmp_path / "out"
    report = run_batch("convert", images, out, local=True, batch_size=3,
                       options={"max_size": 40, "format": "jpg"})
    assert report.engine == "in-process"
    inputs = sorted(p for p in images.rglob("*.png"))
    assert [r["input"] for r in report.rows] == [str(p) for p in inputs]
    assert report.failures.keys() == {str(images / "broken.png")}
    assert "unknown image format" in report.failures[str(images / "broken.png")]
    for p in inputs:
        if p.name == "broken.png":
            continue
        stem = p.relative_to(images).with_suffix("")
        small = read_image(out / f"{stem}.jpg")
        assert max(small.shape[:2]) == 40
        rec = json.loads((out / f"{stem}.json").read_text())
        assert rec["input"] == str(p) and rec["files"] == [f"{stem.name}.jpg"]
        assert (rec["result"]["height"], rec["result"]["width"]) == small.shape[:2]
    lines = [json.loads(ln) for ln in (out / "index.jsonl").read_text().splitlines()]
    assert lines == report.rows
    pq = pytest.importorskip("pyarrow.parquet")
    assert pq.read_table(out / "index.parquet").to_pylist() == report.rows
    assert not _temp_files(out)


def test_resume_skips_finished_inputs_and_redoes_broken_ones(images, tmp_path):
    out = tmp_path / "out"
    run_batch("convert", images, out, local=True)
    first = {p: p.stat().st_mtime_ns for p in out.rglob("img*.json")}
    redo = out / "img001.json"
    redo.unlink()
    corrupt = out / "sub" / "img002.json"
    corrupt.write_text('{"input": ')  # a record that is not JSON is not done
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = out / f".img003.oculi-tmp-{dead.pid}-abc.json"
    stale.write_text("{")
    time.sleep(0.01)
    report = run_batch("convert", images, out, local=True)
    status = {Path(r["input"]).name: r["status"] for r in report.rows}
    assert status["img001.png"] == status["img002.png"] == "done"
    assert status["broken.png"] == "failed"
    assert sum(s == "skipped" for s in status.values()) == len(first) - 2
    for p, mtime in first.items():
        if p not in (redo, corrupt):
            assert p.stat().st_mtime_ns == mtime, f"{p} was redone"
    assert json.loads(corrupt.read_text())["input"].endswith("img002.png")
    assert not stale.exists() and not _temp_files(out)


class _Stop(Exception):
    pass


def test_interrupted_run_resumes_without_redoing(images, tmp_path):
    out = tmp_path / "out"

    def stop(rows):
        raise _Stop  # interrupted after the first chunk's results

    with pytest.raises(_Stop):
        run_batch("convert", images, out, local=True, batch_size=3, on_rows=stop)
    done = {p: p.stat().st_mtime_ns for p in out.rglob("img*.json")}
    assert len(done) == 2 and not (out / "index.jsonl").exists()  # broken.png, img000, img001
    report = run_batch("convert", images, out, local=True, batch_size=3)
    assert (report.count("skipped"), report.count("done"), report.count("failed")) == (2, 5, 1)
    assert all(p.stat().st_mtime_ns == m for p, m in done.items())


#: a run that is SIGKILLed while the 4th record is half written (its picture already is)
_DIES_MID_RECORD = """
import os, signal, sys
from oculi.batch import engine
from oculi.core.atomic import atomic_path

real, calls = engine.write_json_atomic, []

def dying(path, obj, **kw):
    calls.append(path)
    if len(calls) == 4:
        with atomic_path(path) as tmp:
            tmp.write_text('{"input": ')
            os.kill(os.getpid(), signal.SIGKILL)
    return real(path, obj, **kw)

engine.write_json_atomic = dying
engine.run_batch("convert", sys.argv[1], sys.argv[2], local=True, batch_size=2)
"""


def test_run_killed_mid_write_resumes_without_redoing_or_partial_files(images, tmp_path):
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-c", _DIES_MID_RECORD, str(images), str(out)],
                          capture_output=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL
    done = {p: p.stat().st_mtime_ns for p in out.rglob("img*.json")}
    assert len(done) == 3 and len(_temp_files(out)) == 1  # the half-written 4th record
    assert not (out / "index.jsonl").exists()
    report = run_batch("convert", images, out, local=True, batch_size=2)
    assert (report.count("skipped"), report.count("done"), report.count("failed")) == (3, 4, 1)
    assert all(p.stat().st_mtime_ns == m for p, m in done.items())
    assert len(list(out.rglob("img*.json"))) == 7 and not _temp_files(out)
    for p in out.rglob("img*.json"):
        assert json.loads(p.read_text())["result"]["width"] > 0


def test_without_ray_the_same_command_runs_in_process(images, tmp_path, monkeypatch):
    """No Ray installed (``import ray`` fails): ``oculi batch`` without ``--local`` runs
    in-process and writes what the explicit in-process run writes."""
    from oculi.batch import ray_available
    from oculi.cli.main import app

    monkeypatch.setitem(sys.modules, "ray", None)
    assert not ray_available()
    res = CliRunner().invoke(app, ["batch", "convert", str(images), "-o", str(tmp_path / "a"),
                                   "-O", "max_size=40"])
    assert res.exit_code == 2 and "in-process" in res.output
    run_batch("convert", images, tmp_path / "b", local=True, options={"max_size": 40})
    files = [sorted(p.relative_to(tmp_path / d).as_posix() for p in (tmp_path / d).rglob("*"))
             for d in "ab"]
    assert files[0] == files[1]
    for name in files[0]:
        if name.startswith("img") or name.startswith("sub/img"):
            assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    with pytest.raises(MissingDependencyError, match="needs Ray"):
        run_batch("convert", images, tmp_path / "c", address="auto")


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.parametrize("engine", ["in-process", "ray"])
def test_killed_run_resumes_without_redoing_or_partial_files(tmp_path, engine):
    """``oculi batch classify`` SIGKILLed with its whole process group (on Ray: the driver; Ray
    then stops the actors) after 3 records; the rerun completes."""
    if engine == "ray":
        pytest.importorskip("ray.data")
    src = make_images(tmp_path / "in", 36, bad=False)
    out = tmp_path / "out"
    local = ["--local"] if engine == "in-process" else []
    cmd = [sys.executable, "-m", "oculi.cli.main", "batch", "classify", str(src), "-o", str(out),
           *local, "--batch-size", "1"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    deadline = time.monotonic() + 120
    while len(list(out.rglob("img*.json"))) < 3 and proc.poll() is None \
            and time.monotonic() < deadline:
        time.sleep(0.005)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    if engine == "ray":
        time.sleep(5)  # the actors stop once Ray sees their driver gone
    done = {p: p.stat().st_mtime_ns for p in out.rglob("img*.json")}
    assert 3 <= len(done) < 36, "the run was not stopped half-way"
    assert not (out / "index.jsonl").exists()
    for p in done:  # each finished record is whole (atomic writes)
        assert json.loads(p.read_text())["result"]["predictions"]
    report = run_batch("classify", src, out, local=engine == "in-process")
    assert report.count("skipped") == len(done)
    assert report.count("done") == 36 - len(done) and not report.failures
    assert all(p.stat().st_mtime_ns == m for p, m in done.items())
    assert len(list(out.rglob("img*.json"))) == 36 and not _temp_files(out)


def test_classify_job_matches_classify_files(images, tmp_path):
    from oculi.classify import classify_files

    report = run_batch("classify", images, tmp_path / "out", local=True, batch_size=4,
                       options={"top": 3})
    paths = [p for p in sorted(images.rglob("*.png"))]
    want, failures = classify_files(paths, top=3, allow_download=False)
    assert report.failures == failures
    got = _records(tmp_path / "out")
    for key, preds in want.items():
        stem = Path(key).relative_to(images).with_suffix("").as_posix()
        rec = got[f"{stem}.json"]["result"]["predictions"]
        assert [p["index"] for p in rec] == [p.index for p in preds]
        assert [p["probability"] for p in rec] == pytest.approx(
            [p.probability for p in preds], abs=1e-5)
    assert any(r["summary"].startswith(("tabby", "tiger cat", "Egyptian cat"))
               for r in report.rows), "chelsea is not a cat"


def test_unknown_job_and_option_fail_before_work(images, tmp_path):
    with pytest.raises(UnknownNameError, match="did you mean 'classify'"):
        run_batch("clasify", images, tmp_path / "o", local=True)
    with pytest.raises(ParameterError, match=r"convert options.*max_size"):
        run_batch("convert", images, tmp_path / "o", local=True, options={"max_side": 3})
    assert not (tmp_path / "o").exists()


def test_every_job_has_a_documented_factory():
    for entry in jobs.entries():
        assert entry.help and entry.obj.__doc__, entry.name


def test_cli_reports_failures_and_exits_2(images, tmp_path):
    from oculi.cli.main import app

    res = CliRunner().invoke(app, ["batch", "convert", str(images), "-o", str(tmp_path / "o"),
                                   "--local", "-O", "max_size=32"])
    assert res.exit_code == 2
    assert "convert: 7 done, 0 already done, 1 failed" in res.output
    assert "1 file(s) failed" in res.output and "broken.png" in res.output
    bad = CliRunner().invoke(app, ["batch", "convert", str(images), "-o", str(tmp_path / "p"),
                                   "--local", "-O", "max_size"])
    assert bad.exit_code == 2 and "expected KEY=VALUE" in bad.output


def test_importing_oculi_batch_imports_neither_ray_nor_torch():
    code = "import sys, oculi.batch; print('ray' in sys.modules, 'torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


@pytest.mark.parametrize(("address", "match"), [
    ("127.0.0.1:1", "no Ray cluster there"), ("ray://127.0.0.1:1", "no Ray cluster there"),
    ("nosuchscheme://host:1", "expected auto, ray://HOST:PORT"), ("ray://host", "expected")])
def test_an_address_without_a_cluster_fails_at_once(images, tmp_path, address, match):
    pytest.importorskip("ray")
    with pytest.raises(ParameterError, match=match):
        run_batch("convert", images, tmp_path / "o", address=address)
