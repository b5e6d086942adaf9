"""``run_batch`` on a local two-CPU Ray cluster: the same outputs as in-process, resume, pool
sizing that does not deadlock."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from oculi.batch import run_batch

pytestmark = pytest.mark.timeout(300)


def _files(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("img*"))}


def test_classify_on_ray_gives_the_in_process_predictions(ray_cluster, images, tmp_path):
    from oculi.classify import classify_files

    report = run_batch("classify", images, tmp_path / "ray", batch_size=3)
    assert report.engine == "ray" and report.workers == 1  # 2 CPUs: one actor, one CPU free
    paths = sorted(images.rglob("*.png"))
    want, failures = classify_files(paths, allow_download=False)
    assert report.failures == failures and len(failures) == 1
    node = ray_cluster.get_runtime_context().get_node_id()
    for row in report.rows:
        if row["status"] == "failed":
            continue
        assert row["node"] == node
        got = json.loads((tmp_path / "ray" / row["result"]).read_text())["result"]["predictions"]
        assert [p["index"] for p in got] == [p.index for p in want[row["input"]]]
        assert [p["probability"] for p in got] == pytest.approx(
            [p.probability for p in want[row["input"]]], abs=1e-5)


def test_two_actors_on_two_cpus_finish_and_match_in_process(ray_cluster, images, tmp_path):
    """Two actors share one CPU (the pool rule), so the job runs instead of waiting forever;
    its files are byte for byte the in-process ones."""
    opts = {"max_size": 48}
    report = run_batch("convert", images, tmp_path / "ray", workers=2, batch_size=1,
                       options=opts)
    assert report.workers == 2 and report.count("done") == 7
    run_batch("convert", images, tmp_path / "local", local=True, options=opts)
    assert _files(tmp_path / "ray") == _files(tmp_path / "local")
    assert len(_files(tmp_path / "ray")) == 14  # a picture and a record per image


def test_rerun_on_ray_does_only_what_is_missing(ray_cluster, images, tmp_path):
    out = tmp_path / "out"
    run_batch("convert", images, out, local=True)
    before = {p: p.stat().st_mtime_ns for p in out.rglob("img*.json")}
    missing = out / "sub" / "img002.json"
    missing.unlink()
    report = run_batch("convert", images, out)
    assert (report.count("done"), report.count("skipped")) == (1, len(before) - 1)
    assert missing.is_file()
    assert all(p.stat().st_mtime_ns == m for p, m in before.items() if p != missing)
    rows = [json.loads(ln) for ln in (out / "index.jsonl").read_text().splitlines()]
    assert [r["status"] for r in rows].count("failed") == 1
