"""End-to-end training on a tiny synthetic ImageFolder: learning, run folder, resume, early stop."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from oculi.classify import ClassifyConfig, evaluate_classifier, train_classifier
from oculi.models import load_model
from oculi.train import read_metrics

TINY = dict(model="resnet18", pretrained=False, batch_size=8, image_size=32, eval_size=32,
            lr=3e-3, head_lr_scale=1.0, threads=1, cache_images=True)


def test_training_learns_and_fills_the_run_folder(folder: Path, tmp_path: Path) -> None:
    cfg = ClassifyConfig(**TINY, epochs=2, ema_decay=0.5, mix_prob=0.5)
    run = tmp_path / "run"
    result = train_classifier(folder, cfg, run, progress=False)
    for name in ("config.yaml", "data.json", "metrics.jsonl", "best.safetensors",
                 "last.safetensors", "last_ema.safetensors", "state.pt", "curves.png",
                 "confusion_matrix.png", "confusion_matrix.json", "summary.json"):
        assert (run / name).is_file(), name
    hist = read_metrics(run)
    assert [h["epoch"] for h in hist] == [0, 1]
    assert result.best_metric == max(h["val_top1"] for h in hist) == 1.0
    summary = json.loads((run / "data.json").read_text())
    assert {s["path"].rsplit("/", 1)[1] for s in summary["train"]["skipped"]} == {
        "broken.jpg", "notes.txt"}
    # the best checkpoint, reloaded and evaluated independently, gives the logged numbers
    again = evaluate_classifier(run, folder / "val")
    best = hist[result.best_epoch]
    assert again["val_top1"] == pytest.approx(best["val_top1"])
    assert again["val_loss"] == pytest.approx(best["val_loss"], rel=1e-4)
    assert again["confusion"] == [[6, 0], [0, 6]]
    assert load_model(run / "best.safetensors").class_names == ["blue", "red"]


def test_resume_continues_exactly(folder: Path, tmp_path: Path) -> None:
    base = dict(TINY, schedule="constant", warmup_epochs=0.0, mix_prob=0.5, ema_decay=0.5)
    straight = tmp_path / "straight"
    train_classifier(folder, ClassifyConfig(**base, epochs=2), straight, progress=False)
    part = tmp_path / "part"
    train_classifier(folder, ClassifyConfig(**base, epochs=1), part, progress=False)
    result = train_classifier(folder, ClassifyConfig(**base, epochs=2), part, resume=True,
                              progress=False)
    assert [h["epoch"] for h in result.history] == [0, 1]
    a, b = load_model(straight / "last.safetensors"), load_model(part / "last.safetensors")
    for (ka, va), (_, vb) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
        torch.testing.assert_close(va, vb, msg=ka)


def test_early_stopping(folder: Path, tmp_path: Path) -> None:
    cfg = ClassifyConfig(**dict(TINY, lr=1e-12), epochs=5, early_stop_patience=1, mix_prob=0.0,
                      monitor="val_loss")
    result = train_classifier(folder, cfg, tmp_path / "es", progress=False)
    assert result.stopped_early and len(result.history) <= 3


def test_resume_without_a_run_is_an_error(folder: Path, tmp_path: Path) -> None:
    from oculi.core.errors import DataError

    with pytest.raises(DataError, match="nothing to resume"):
        train_classifier(folder, ClassifyConfig(**TINY, epochs=1), tmp_path / "none", resume=True)


def test_freeze_bn_keeps_running_statistics(folder: Path, tmp_path: Path) -> None:
    from oculi.models import read_state_dict

    for freeze in (True, False):
        cfg = ClassifyConfig(**TINY, epochs=1, mix_prob=0.0, freeze_bn=freeze)
        train_classifier(folder, cfg, tmp_path / str(freeze), progress=False)
        sd = read_state_dict(tmp_path / str(freeze) / "last.safetensors")
        stats = sd["body.bn1.running_mean"]  # a fresh BatchNorm starts at zeros
        assert bool((stats == 0).all()) is freeze


def test_monitor_direction_and_names(folder: Path, tmp_path: Path) -> None:
    from oculi.core.errors import ParameterError
    from oculi.train import monitor_higher_is_better

    assert [monitor_higher_is_better(n) for n in
            ("val_top1", "val_miou", "val_fg_dice", "val_loss", "val_pixel_error")] == [
        True, True, True, False, False]
    with pytest.raises(ParameterError, match="val_"):
        ClassifyConfig(**TINY, monitor="top1")
    cfg = ClassifyConfig(**TINY, epochs=1, mix_prob=0.0, monitor="val_miou")
    with pytest.raises(ParameterError, match="val_top1"):  # lists what the task does return
        train_classifier(folder, cfg, tmp_path / "m", progress=False)


def test_a_diverging_loss_stops_with_a_clear_error(folder: Path, tmp_path: Path) -> None:
    from oculi.core.errors import DataError

    cfg = ClassifyConfig(**dict(TINY, lr=1e30), epochs=2, mix_prob=0.0, ema_decay=0.0,
                      schedule="constant", warmup_epochs=0.0)
    with pytest.raises(DataError, match=r"the loss became (nan|inf)"):
        train_classifier(folder, cfg, tmp_path / "nan", progress=False)


def test_evaluation_leaves_an_undecodable_image_out_instead_of_counting_another(
        folder: Path, tmp_path: Path) -> None:
    cfg = ClassifyConfig(**TINY, epochs=1, mix_prob=0.0)
    run = tmp_path / "run"
    train_classifier(folder, cfg, run, progress=False)
    before = evaluate_classifier(run, folder / "val")
    victim = folder / "val" / "red" / "0.png"
    victim.write_bytes(victim.read_bytes()[:120])  # the header survives, the pixels do not
    after = evaluate_classifier(run, folder / "val")
    assert before["n"] == 12 and after["n"] == 11
    assert [s["path"] for s in after["skipped"]] == [str(victim)]
    assert sum(map(sum, after["confusion"])) == 11
