"""The detection tour section runs in quick mode and finds the astronaut's face."""

from __future__ import annotations


def test_tour_section_quick(tmp_path):
    from oculi.detect.tour import section
    from oculi.report import Report

    report = Report("t", "")
    section(report, tmp_path, quick=True)
    html = report.write(tmp_path / "page").read_text()
    assert "astronaut: 1 face(s)" in html
    assert "Classical detection" in html and "fasterrcnn" in html


def _line(arch, budget, map50, ms, size=256):
    import json

    return json.dumps({"time": "2026-12-07T12:00:00+00:00", "arch": arch, "budget_s": budget,
                       "image_size": size, "epochs": 3, "train_time_s": 290.0,
                       "test_images": 40, "test_map50": map50, "test_map": map50 / 3,
                       "inference_images_per_s": 1000 / ms, "ms_per_image": ms})


def test_benchmark_tables_read_the_equal_budget_lines(tmp_path, monkeypatch):
    from oculi.detect import tour
    from oculi.report import Report

    results = tmp_path / "detect.jsonl"
    results.write_text("\n".join([
        _line("fasterrcnn", 300.0, 0.111, 700.0),
        _line("fasterrcnn", 400.0, 0.999, 800.0),      # another budget: not compared
        _line("rcnn", 300.0, 0.222, 2500.0),
        _line("fastrcnn", 300.0, 0.333, 600.0),
        _line("yolo", 300.0, 0.444, 250.0, size=320),   # another image size: not compared
        _line("efficientdet", 300.0, 0.555, 300.0),
    ]) + "\n")
    rows = tour.bench_rows("rcnn", tour.EVOLUTION[1:], results)
    assert [(r["arch"], r["test_map50"]) for r in rows] == [
        ("rcnn", 0.222), ("fasterrcnn", 0.111), ("fastrcnn", 0.333)]
    assert [r["arch"] for r in tour.bench_rows("efficientdet", path=results)] == [
        "efficientdet", "fasterrcnn", "rcnn", "fastrcnn"]
    assert tour.bench_rows("ssdlite", path=results) == []
    monkeypatch.setattr(tour, "BENCH_RESULTS", results)
    report = Report("t", "")
    tour._benchmarks(report)
    html = report.write(tmp_path / "page").read_text()
    evo = html[html.index("<h2>From R-CNN"):html.index("<h2>EfficientDet against")]
    # oldest first, numbers from the file
    assert evo.index("0.222") < evo.index("0.333") < evo.index("0.111")
    assert "2500" in evo and "0.999" not in html
    monkeypatch.setattr(tour, "BENCH_RESULTS", tmp_path / "absent.jsonl")
    report = Report("t", "")
    tour._benchmarks(report)
    assert "No R-CNN result" in report.write(tmp_path / "page2").read_text()
