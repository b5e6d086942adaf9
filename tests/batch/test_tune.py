"""``oculi tune``: search-space checks (no Ray) and a 3-trial ASHA sweep of a tiny classifier."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from oculi.batch.tune import check_space, read_space
from oculi.classify.config import ClassifyConfig
from oculi.core.errors import ParameterError
from tests.classify.conftest import make_folder

#: a resnet18 from scratch at 32 px on red-vs-blue noise: a few seconds a trial
TINY = dict(model="resnet18", pretrained=False, batch_size=8, image_size=32, eval_size=32,
            head_lr_scale=1.0, threads=1, cache_images=True, epochs=2, mix_prob=0.0,
            device="cpu")


@pytest.mark.parametrize(("space", "match"), [
    ({"lr": 1e-3, "learning_rate": {"choice": [1, 2]}}, r"unknown key\(s\) \['learning_rate'\]"),
    ({"lr": {"loguniform": [0.0, 1e-2]}}, r"lr: loguniform takes \[low, high\] \(both > 0\)"),
    ({"lr": {"uniform": [1e-2, 1e-3]}}, r"lr: uniform takes \[low, high\]"),
    ({"lr": {"normal": [0, 1]}}, r"unknown sampler 'normal'"),
    ({"batch_size": {"choice": [8, 0]}}, r"batch_size"),
])
def test_bad_spaces_fail_before_any_trial(space, match):
    with pytest.raises(ParameterError, match=match):
        check_space(space, ClassifyConfig)


def test_read_space_names_the_file(tmp_path):
    bad = tmp_path / "space.yaml"
    bad.write_text("- lr\n- 3\n")
    with pytest.raises(ParameterError, match=r"space\.yaml: expected a mapping"):
        read_space(bad)
    with pytest.raises(ParameterError, match="cannot read"):
        read_space(tmp_path / "missing.yaml")


@pytest.mark.slow  # about 20 s: three trials' processes import torch
@pytest.mark.timeout(300)
def test_three_trial_sweep_reports_the_best_config(ray_cluster, tmp_path):
    from oculi.cli.main import app

    data = make_folder(tmp_path / "data", n_train=8, n_val=4, size=(24, 24))
    (tmp_path / "base.yaml").write_text(yaml.safe_dump(TINY))
    # a learning rate too small to learn anything, and two that learn red vs blue
    (tmp_path / "space.yaml").write_text("lr: {grid: [1.0e-12, 3.0e-3, 1.0e-2]}\n")
    out = tmp_path / "sweep"
    res = CliRunner().invoke(app, [
        "tune", "classify", str(data), "--space", str(tmp_path / "space.yaml"), "-o", str(out),
        "--config", str(tmp_path / "base.yaml"), "--trials", "1", "--json",
        str(tmp_path / "t.json")])
    assert res.exit_code == 0, res.output
    report = json.loads((out / "tune.json").read_text())
    assert report == json.loads((tmp_path / "t.json").read_text())
    trials = report["trials"]
    assert sorted(t["params"]["lr"] for t in trials) == [1e-12, 3e-3, 1e-2]
    assert all(t["status"] in ("done", "stopped") for t in trials)
    # each trial's metric is the best val_top1 its own run folder logged
    for t in trials:
        rows = [json.loads(ln) for ln in (Path(t["run"]) / "metrics.jsonl").read_text()
                .splitlines()]
        assert t["metric"] == pytest.approx(max(r["val_top1"] for r in rows))
        assert t["epochs"] == len(rows)
    assert report["best_metric"] == max(t["metric"] for t in trials)
    assert report["best_params"]["lr"] != 1e-12
    assert report["best_metric"] > min(t["metric"] for t in trials)
    assert (Path(report["best_run"]) / "best.safetensors").is_file()
    assert f"best val_top1 {report['best_metric']:.4f} with lr=" in res.output
