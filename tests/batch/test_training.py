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


def test_ray_refuses_noisy_student_before_starting_ray(tmp_path, monkeypatch):
    """Noisy Student runs its rounds in one process: --ray with --unlabeled is one line, exit 2,
    and Ray is never started (before, the workers trained a plain classifier without the pool)."""
    import oculi.batch.cluster as cluster
    from oculi.cli.main import app

    def no_ray(*args, **kwargs):
        raise AssertionError("Ray was started")

    monkeypatch.setattr(cluster, "connected", no_ray)
    data = make_folder(tmp_path / "data")
    pool = tmp_path / "pool"
    pool.mkdir()
    res = CliRunner().invoke(app, ["train", "classify", str(data), "-o", str(tmp_path / "run"),
                                   "--unlabeled", str(pool), "--ray", "2"])
    assert res.exit_code == 2, res.output
    assert "Noisy Student" in res.output and "one process" in res.output
    assert "Traceback" not in res.output


def test_torchrun_refuses_noisy_student(tmp_path, monkeypatch):
    from oculi.classify import ClassifyConfig, train_classifier
    from oculi.core.errors import ParameterError

    monkeypatch.setenv("WORLD_SIZE", "2")
    with pytest.raises(ParameterError, match="one process"):
        train_classifier(tmp_path, ClassifyConfig(unlabeled=str(tmp_path)), tmp_path / "run")
