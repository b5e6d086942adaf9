"""``oculi train TASK ... --ray N``: the oculi trainer under Ray Train's TorchTrainer."""

from __future__ import annotations

import json

import pytest
import yaml
from typer.testing import CliRunner

from tests.batch.test_tune import TINY
from tests.classify.conftest import make_folder

pytestmark = pytest.mark.timeout(300)


@pytest.mark.slow  # about 25 s: Ray Train's controller and two workers importing torch
def test_train_on_two_ray_workers(ray_cluster, tmp_path):
    pytest.importorskip("ray.train.torch")
    from oculi.cli.main import app

    data = make_folder(tmp_path / "data", n_train=8, n_val=4, size=(24, 24))
    (tmp_path / "run.yaml").write_text(yaml.safe_dump(dict(TINY, lr=3e-3)))
    run = tmp_path / "run"
    res = CliRunner().invoke(app, ["train", "classify", str(data), "-o", str(run), "--config",
                                   str(tmp_path / "run.yaml"), "--ray", "2", "--json",
                                   str(tmp_path / "s.json")])
    assert res.exit_code == 0, res.output
    summary = json.loads((tmp_path / "s.json").read_text())
    assert summary["ray_workers"] == 2  # the two workers trained in one process group
    rows = [json.loads(ln) for ln in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in rows] == [0, 1]
    assert summary["best_metric"] == max(r["val_top1"] for r in rows)
    assert summary["best_metric"] >= 0.75  # red vs blue is learnt
    assert (run / "best.safetensors").is_file()
    assert f"best val_top1 {summary['best_metric']:.4f}" in res.output
