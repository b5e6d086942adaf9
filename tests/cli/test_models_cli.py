"""``oculi models list``, ``oculi classify``, ``oculi train classify``, ``oculi eval classify``."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from oculi.cli.main import app
from oculi.data import load
from oculi.io import write_image

runner = CliRunner()


def test_models_list_prints_the_alias_table(tmp_path: Path) -> None:
    res = runner.invoke(app, ["models", "list", "--json", str(tmp_path / "t.json")])
    assert res.exit_code == 0, res.output
    assert "SE-ResNeXt50 (32x4d)" in res.output and "legacy_seresnext50_32x4d" in res.output
    rows = {r["name"]: r for r in json.loads((tmp_path / "t.json").read_text())}
    assert rows["efficientnet_lite0"]["weights_offline"] == "package"
    assert rows["polynet"]["weights_offline"] == "unavailable"
    assert rows["resnet18"]["top1"] == 70.14


def test_classify_prints_top_k_and_lists_failures(tmp_path: Path) -> None:
    cat = write_image(tmp_path / "cat.jpg", load("chelsea", mode="rgb"))
    cup = write_image(tmp_path / "cup.png", load("coffee", mode="rgb"))
    bad = tmp_path / "bad.jpg"
    bad.write_text("nope")
    out = tmp_path / "r.json"
    res = runner.invoke(app, ["classify", str(cat), str(bad), str(cup), "--top", "3",
                              "--json", str(out)])
    assert res.exit_code == 2  # one file failed (listed at the end)
    result = json.loads(out.read_text())
    assert 281 <= result["results"][str(cat)][0]["index"] <= 285
    assert result["results"][str(cup)][0]["index"] in (967, 968)
    assert len(result["results"][str(cup)]) == 3
    assert list(result["failures"]) == [str(bad)]


def test_classify_unknown_model_is_one_line_exit_2(tmp_path: Path) -> None:
    cat = write_image(tmp_path / "cat.png", load("chelsea", mode="rgb"))
    res = runner.invoke(app, ["classify", str(cat), "--model", "PolyNet"])
    assert res.exit_code == 2 and "unavailable" in res.output


def test_train_then_eval_classify(tmp_path: Path) -> None:
    from tests.classify.conftest import make_folder

    data = make_folder(tmp_path / "data", n_train=8, n_val=4)
    cfg = tmp_path / "run.yaml"
    cfg.write_text("model: resnet18\npretrained: false\nbatch_size: 8\nimage_size: 32\n"
                   "eval_size: 32\nthreads: 1\nlr: 0.003\nhead_lr_scale: 1.0\n")
    run = tmp_path / "run"
    res = runner.invoke(app, ["train", "classify", str(data), "--out", str(run), "--config",
                              str(cfg), "--epochs", "2", "--json", str(tmp_path / "s.json")])
    assert res.exit_code == 0, res.output
    summary = json.loads((tmp_path / "s.json").read_text())
    assert summary["epochs_run"] == 2
    res = runner.invoke(app, ["eval", "classify", str(run), str(data / "val"), "--json",
                              str(tmp_path / "e.json")])
    assert res.exit_code == 0, res.output
    ev = json.loads((tmp_path / "e.json").read_text())
    assert ev["val_top1"] == summary["best_metric"]
    assert sum(map(sum, ev["confusion"])) == 8 and "precision" in res.output


def test_train_reports_bad_data_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "d" / "train" / "only").mkdir(parents=True)
    write_image(tmp_path / "d" / "train" / "only" / "a.png", load("coffee", mode="rgb"))
    res = runner.invoke(app, ["train", "classify", str(tmp_path / "d"), "--out",
                              str(tmp_path / "r"), "--model", "resnet18", "--scratch"])
    assert res.exit_code == 2 and "at least 2" in res.output


def test_classify_without_offline_weights_fails_at_once_naming_the_file(tmp_path: Path) -> None:
    import time

    write_image(tmp_path / "a.png", load("coffee", mode="rgb"))
    t0 = time.perf_counter()
    res = runner.invoke(app, ["classify", str(tmp_path / "a.png"), "-m", "resnet50"])
    assert res.exit_code == 2
    assert "downloads disabled" in res.output and "--weights FILE" in res.output
    assert time.perf_counter() - t0 < 20  # no minute of hub retries


def test_hf_hub_offline_disables_downloads_in_the_library(monkeypatch) -> None:
    import pytest

    from oculi.core.errors import MissingDependencyError
    from oculi.models import create_model

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(MissingDependencyError, match="downloads disabled"):
        create_model("resnet50", pretrained=True)
