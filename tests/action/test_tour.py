"""The action tour section: moving-digit strip, the single-frame check and the tables read from
the bench lines (newest line per model and seed)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from oculi.action import tour
from oculi.action.synthetic import MOTIONS, moving_digits
from oculi.report import Report


def _lines() -> list[dict]:
    summary = lambda model, acc: {"model": model, "seed": 0, "accuracy": acc,  # noqa: E731
                                  "clips": 63, "train_s_per_fold": 12.5,
                                  "folds": ["daria", "eli"]}
    return [
        {"time": "2026-12-01T00:00:00", "bench": "motion_history_baseline",
         "runs": [{"data": "action_weizmann", "protocol": "loao", "variant": "silhouette",
                   "classifier": "knn", "accuracy": 0.6111, "clips": 63}]},
        {"time": "2026-12-02T00:00:00", "bench": "action_learned_weizmann_loao",
         "summary": [summary("tsm", 0.5555), summary("frame", 0.7777)]},
        {"time": "2026-12-03T00:00:00", "bench": "action_learned_weizmann_logo",
         "summary": [summary("tsm", 0.9444), {**summary("tsm", 0.8888), "folds": ["ido"]}]},
        {"time": "2026-12-04T00:00:00", "bench": "action_synthetic_motion", "chance": 0.125,
         "data": {"clips": {"train": 1600, "val": 200, "test": 800}, "frames": 16, "size": 32},
         "runs": [{"model": "r2plus1d", "seed": 1, "accuracy": 0.9876, "mean_class_accuracy": 0.9,
                   "epochs": 10, "train_s": 200.0}]},
        {"time": "2026-12-05T00:00:00", "bench": "action_synthetic_motion", "chance": 0.125,
         "data": {"clips": {"train": 1600, "val": 200, "test": 800}, "frames": 16, "size": 32},
         "runs": [{"model": "r2plus1d", "seed": 0, "accuracy": 0.9911, "mean_class_accuracy": 0.9,
                   "epochs": 10, "train_s": 201.0}]},
    ]


def test_latest_summary_per_model_and_seed():
    rows = tour.latest_summaries(_lines(), "action_learned_weizmann")
    assert [(r["model"], r["folds"], r["accuracy"], r["date"]) for r in rows] == [
        ("frame", "daria,eli", 0.7777, "2026-12-02"), ("tsm", "daria,eli", 0.9444, "2026-12-03"),
        ("tsm", "ido", 0.8888, "2026-12-03")]  # another fold is another row


def test_clip_strip_has_a_row_per_class():
    data = moving_digits(32, np.full((5, 28, 28), 255, np.uint8), frames=8, size=16)
    strip = tour.clip_strip(data, per_class=2, step=2, zoom=2)
    assert strip.shape == (len(MOTIONS) * 18 * 2, 2 * 4 * 18 * 2) and strip.dtype == np.uint8


def test_section_builds_with_the_bench_tables(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "action.jsonl").write_text("".join(json.dumps(x) + "\n" for x in _lines()))
    monkeypatch.setattr(tour, "RESULTS", tmp_path)
    report = Report("t")
    tour.section(report, tmp_path, quick=True)
    html = report.write(tmp_path / "out").read_text()
    assert "does the model use time" in html and "0.9876" in html and "0.9444" in html
    assert "0.9911" in html  # runs of every synthetic line, one row per model and seed
    assert "0.5555" not in html and "0.6111" in html  # the older tsm line is replaced
    assert tour.bench_lines(tmp_path / "none") == []
