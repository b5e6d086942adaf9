"""The compression tour section: the live classic-codec row, and the Kodak figures read from a
bench line (a synthetic one here)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from oculi.compress import tour
from oculi.io import write_image
from oculi.report import Report


def _cell(html: str, label: str, column: int) -> float:
    match = re.search(rf"<td>{re.escape(label)}</td>" + "<td>([^<]+)</td>" * column, html)
    assert match is not None, label
    return float(match.group(column))


def test_tour_section_quick(tmp_path: Path, monkeypatch) -> None:
    curve = [{"bpp": b, "psnr": p, "ms_ssim": m} for b, p, m in
             ((0.25, 25.0, 0.90), (0.5, 28.0, 0.94), (1.0, 31.0, 0.97))]
    line = {"time": "2026-12-07T15:00:00", "images": 12,
            "curves": {"jpeg": curve, "hyperprior": [dict(p, bpp=p["bpp"] * 0.8)
                                                      for p in curve]},
            "bd_rate_vs_jpeg": {"hyperprior": {"all": {"psnr": -20.0, "ms_ssim": -20.0},
                                               "0.25-1.0": {"psnr": -20.0}}},
            "crops": {"image": "kodim05.png", "bpp": 0.2, "panels": ["original", "jpeg"]}}
    (tmp_path / "compress.jsonl").write_text(json.dumps(line) + "\n")
    write_image(tmp_path / "compress_crops.png", np.zeros((32, 68, 3), np.uint8))
    monkeypatch.setattr(tour, "RESULTS", tmp_path)
    report = Report("t")
    tour.section(report, tmp_path, quick=True)
    html = report.write(tmp_path / "out").read_text()
    for codec in ("jpeg", "webp"):
        assert 0.5 <= _cell(html, codec, 2) <= 0.7  # bpp near the 0.6 target
        assert _cell(html, codec, 3) > 24  # PSNR of a real decode
    assert _cell(html, "hyperprior", 1) == -20.0
    assert len(list((tmp_path / "out" / "assets").glob("*.png"))) == 3
    # the GAN codec's line and crops, when the bench wrote them
    scores = {"bpp": 0.15, "psnr": 24.0, "ms_ssim": 0.9, "perceptual": 80.0, "fid_lite0": 12.5,
              "kid_lite0": 0.01}
    gan = {"time": "2026-12-07T20:00:00", "codecs": {"jpeg": scores, "gan": dict(
               scores, fid_lite0=7.25)},
           "crops": {"image": "kodim05.png", "bpp": {"jpeg": 0.15, "gan": 0.15}}}
    (tmp_path / "compress_gan.jsonl").write_text(json.dumps(gan) + "\n")
    write_image(tmp_path / "compress_gan_crops.png", np.zeros((32, 68, 3), np.uint8))
    report = Report("t")
    tour.section(report, tmp_path, quick=True)
    html = report.write(tmp_path / "out2").read_text()
    assert _cell(html, "gan", 5) == 7.25 and "GAN codec" in html
    assert len(list((tmp_path / "out2" / "assets").glob("*.png"))) == 4
