"""The tour section runs in quick mode and trains a model whose loss falls."""

from __future__ import annotations

import json


def test_tour_section_quick(tmp_path):
    from oculi.report import Report
    from oculi.segment.tour import section

    report = Report("t", "")
    section(report, tmp_path, quick=True)
    hist = [json.loads(x) for x in
            (tmp_path / "segment_shapes" / "metrics.jsonl").read_text().splitlines()]
    assert len(hist) == 2 and hist[1]["train_loss"] < hist[0]["train_loss"]
    page = report.write(tmp_path / "page")
    assert "U-Net trained in the tour" in page.read_text()
    assert "instances_from_probability:" in page.read_text()
    assert "DSB nuclei unet + watershed" in page.read_text()  # the shipped bench results
    # PointRend rows of both data sets, each with its own IoU figure
    assert "ISBI half-res U-Net + PointRend (seed 0)" in page.read_text()
    assert "CamVid half-res U-Net + PointRend (seed 0)" in page.read_text()
