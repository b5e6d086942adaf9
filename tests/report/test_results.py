"""Benchmark lines read for the tour: every line, or the newest matching one."""

from __future__ import annotations

import json
from pathlib import Path

from oculi.report.results import RESULTS, bench_lines, last_line


def test_lines_oldest_first_and_the_newest_match(tmp_path: Path) -> None:
    lines = [{"part": "a", "v": 1}, {"part": "b", "v": 2}, {"part": "a", "v": 3}]
    (tmp_path / "t.jsonl").write_text("\n".join(json.dumps(d) for d in lines) + "\n\n")
    assert bench_lines("t", tmp_path) == lines
    assert last_line("t", tmp_path) == {"part": "a", "v": 3}
    assert last_line("t", tmp_path, part="b") == {"part": "b", "v": 2}
    assert last_line("t", tmp_path, part="c") is None


def test_a_missing_file_has_no_lines(tmp_path: Path) -> None:
    assert bench_lines("none", tmp_path) == [] and last_line("none", tmp_path) is None


def test_the_default_folder_is_the_repositorys_bench_results() -> None:
    assert RESULTS.name == "results" and RESULTS.parent.name == "bench"
    assert (RESULTS.parent / "restore.py").is_file()
