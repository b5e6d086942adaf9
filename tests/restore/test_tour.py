"""The restoration tour section runs in quick mode; its scores show each restoration helping."""

from __future__ import annotations

import re
from pathlib import Path

from oculi.report import Report
from oculi.restore.tour import section


def _cell(html: str, label: str) -> float:
    match = re.search(rf"<td>{re.escape(label)}</td><td>([^<]+)</td>", html)
    assert match is not None, label
    return float(match.group(1))


def test_tour_section_quick(tmp_path: Path) -> None:
    report = Report("t")
    section(report, tmp_path, quick=True)
    html = report.write(tmp_path / "out").read_text()
    assert _cell(html, "lanczos") > 20 and _cell(html, "bicubic") > 20
    assert _cell(html, "nlm") > _cell(html, "noisy") + 3
    assert _cell(html, "lime") > _cell(html, "dark input") + 2
    assert len(list((tmp_path / "out" / "assets").glob("*.png"))) == 3


def test_score_rows_pivots_conditions_and_methods() -> None:
    from oculi.restore.tour import score_rows

    headers, rows = score_rows({"x2/a/bicubic": {"psnr": 30.0, "ssim": 0.9},
                                "x2/a/srmd": {"psnr": 31.25, "ssim": 0.91},
                                "x3/b/srmd": {"psnr": 28.5, "ssim": 0.8}})
    assert headers == ["method", "x2/a (dB / SSIM)", "x3/b (dB / SSIM)"]
    assert rows == [["bicubic", "30.00 / 0.900", "-"],
                    ["srmd", "31.25 / 0.910", "28.50 / 0.800"]]
    headers, rows = score_rows({"lime": {"psnr": 16.9, "ssim": 0.476}})
    assert headers == ["method", "PSNR (dB / SSIM)"] and rows == [["lime", "16.90 / 0.476"]]


def test_trained_tables_read_the_newest_matching_line(tmp_path: Path) -> None:
    import json

    from oculi.restore.tour import trained_tables

    old = {"part": "n2n", "git": "aaa", "kodak_s25": {"clean": {"psnr": 1.0, "ssim": 0.1}}}
    new = {"part": "n2n", "git": "bbb", "kodak_s25": {"clean": {"psnr": 28.16, "ssim": 0.775}}}
    other = {"part": "srmd", "git": "ccc", "set5": {"x2/g/srmd": {"psnr": 29.07, "ssim": 0.84}}}
    (tmp_path / "restore.jsonl").write_text(
        "\n".join(json.dumps(d) for d in (old, new, other)) + "\n")
    report = Report("t")
    trained_tables(report, tmp_path)
    html = report.write(tmp_path / "out").read_text()
    assert "28.16 / 0.775" in html and "1.00 / 0.100" not in html
    assert "29.07 / 0.840" in html and "run bbb" in html
    assert html.count("no benchmark line yet") == 2  # lowlight and sid lines absent


def test_trained_tables_from_the_repository_results(tmp_path: Path) -> None:
    """The committed bench lines render (their keys are what the benches write)."""
    from oculi.restore.tour import RESULTS, trained_tables

    report = Report("t")
    trained_tables(report)
    html = report.write(tmp_path / "out").read_text()
    if (RESULTS / "sid.jsonl").is_file():
        assert "sid_unet" in html
    if (RESULTS / "restore.jsonl").is_file():
        assert "zero-dce oculi" in html and "dncnn_noisy_target" in html
