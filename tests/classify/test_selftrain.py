"""Noisy Student self-training: pseudo-label selection, the noised student, rounds, resume and
the unlabelled pool's unreadable files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from typer.testing import CliRunner

from oculi.classify import ClassifyConfig, TrainTransform, scan_unlabeled
from oculi.classify.selftrain import (
    PseudoLabels,
    PseudoLabelTask,
    select_pseudo_labels,
    student_config,
)
from oculi.classify.task import ClassificationTask
from oculi.core.errors import DataError, ParameterError
from tests.classify.conftest import make_folder

TINY = dict(model="resnet18", pretrained=False, batch_size=8, image_size=32, eval_size=32,
            lr=3e-3, head_lr_scale=1.0, threads=1, cache_images=True, epochs=1)

PROBS = torch.tensor([[0.9, 0.1, 0.0],   # 0: class 0, sure
                      [0.6, 0.3, 0.1],   # 1: class 0
                      [0.2, 0.7, 0.1],   # 2: class 1
                      [0.35, 0.25, 0.4],  # 3: class 2, unsure
                      [0.8, 0.1, 0.1],   # 4: class 0
                      [0.1, 0.2, 0.7]])  # 5: class 2


def test_threshold_leaves_unsure_images_out() -> None:
    idx, _ = select_pseudo_labels(PROBS, threshold=0.5, balance=False)
    assert idx.tolist() == [0, 1, 2, 4, 5]
    idx, _ = select_pseudo_labels(PROBS, threshold=0.75, balance=False)
    assert idx.tolist() == [0, 4]
    idx, _ = select_pseudo_labels(PROBS, threshold=0.95, balance=False)
    assert idx.numel() == 0


def test_soft_targets_are_the_probabilities_hard_ones_one_hot() -> None:
    idx, soft = select_pseudo_labels(PROBS, mode="soft", threshold=0.0, balance=False)
    torch.testing.assert_close(soft, PROBS[idx])
    _, hard = select_pseudo_labels(PROBS, mode="hard", threshold=0.0, balance=False)
    assert hard.tolist() == [[1, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0], [0, 0, 1]]


def test_class_balancing_duplicates_the_rare_and_keeps_the_most_confident() -> None:
    idx, targets = select_pseudo_labels(PROBS, mode="hard", threshold=0.0, balance=True)
    # class 0 has 3 images (0, 4, 1 by confidence); class 1 one (2), class 2 two (5, 3)
    assert idx.tolist() == [0, 4, 1, 2, 2, 2, 5, 3, 5]
    assert targets.sum(0).tolist() == [3, 3, 3]
    idx, _ = select_pseudo_labels(PROBS, threshold=0.0, balance=True, per_class=1)
    assert idx.tolist() == [0, 2, 5]


def test_unlabelled_scan_reads_nested_folders_and_reports_bad_files(tmp_path: Path) -> None:
    from oculi.io import write_image

    (tmp_path / "a" / "b").mkdir(parents=True)
    write_image(tmp_path / "x.png", np.zeros((8, 8, 3), np.uint8))
    write_image(tmp_path / "a" / "b" / "y.jpg", np.zeros((8, 8, 3), np.uint8))
    (tmp_path / "a" / "broken.jpg").write_bytes(b"\xff\xd8 truncated")
    (tmp_path / "readme.txt").write_text("no image")
    (tmp_path / ".hidden.png").write_bytes(b"")
    index = scan_unlabeled(tmp_path)
    assert [p.name for p, _ in index.samples] == ["y.jpg", "x.png"]
    assert [i for _, i in index.samples] == [0, 1]
    assert sorted(p.name for p, _ in index.skipped) == ["broken.jpg", "readme.txt"]
    (tmp_path / "x.png").unlink()
    (tmp_path / "a" / "b" / "y.jpg").unlink()
    with pytest.raises(DataError, match="no readable image"):
        scan_unlabeled(tmp_path)


def test_the_student_is_noised(folder: Path) -> None:
    cfg = ClassifyConfig(**TINY, unlabeled=str(folder), student_model="resnet34",
                         student_drop_rate=0.4, student_drop_path_rate=0.1,
                         student_randaugment_ops=2)
    s = student_config(cfg)
    assert (s.model, s.drop_rate, s.drop_path_rate, s.randaugment_ops) == (
        "resnet34", 0.4, 0.1, 2)
    assert s.unlabeled is None and cfg.drop_rate == 0.0  # the teacher keeps its own recipe
    model = ClassificationTask(folder).build_model(s)
    drops = [m for m in model.modules() if type(m).__name__ == "DropPath"]
    assert drops and max(m.drop_prob for m in drops) == pytest.approx(0.1)
    model.train()
    x = torch.rand(2, 3, 32, 32)
    assert not torch.allclose(model(x), model(x))  # dropout and stochastic depth act
    image = np.random.default_rng(0).integers(0, 255, (40, 40, 3), np.uint8)
    plain = TrainTransform(32, seed=3)(image)
    noised = TrainTransform(32, seed=3, randaugment_ops=2, randaugment_magnitude=20)(image)
    assert plain.shape == noised.shape and not torch.equal(plain, noised)
    with pytest.raises(ParameterError, match="drop_path_rate"):
        ClassificationTask(folder).build_model(ClassifyConfig(**dict(TINY, model="squeezenext"),
                                                              drop_path_rate=0.1))


def test_pseudo_labelled_samples_carry_their_soft_targets(folder: Path) -> None:
    pool = scan_unlabeled(folder / "val")
    probs = torch.tensor([[0.7, 0.3], [0.2, 0.8]]).repeat(6, 1)
    sel, targets = select_pseudo_labels(probs, threshold=0.0, balance=False)
    pseudo = PseudoLabels([p for p, _ in pool.samples], probs, sel, targets, ["blue", "red"])
    task = PseudoLabelTask(folder, pseudo)
    data = task._scan(ClassifyConfig(**TINY))
    index = task.train_index(data)
    n = len(data.train.samples)
    assert len(index.samples) == n + 12
    rows = torch.tensor([0, n, n + 1])
    got = task.targets_of(rows)
    torch.testing.assert_close(got[1:], torch.tensor([[0.7, 0.3], [0.2, 0.8]]))
    assert got[0].tolist() == [1.0, 0.0] and data.train.samples[0][1] == 0
    assert task.train_labels(index)[n:n + 2] == [0, 1]


def test_noisy_student_rounds_cli_resume_and_bad_pool_files(tmp_path: Path) -> None:
    from oculi.cli.main import app

    data = make_folder(tmp_path / "data", n_train=4, n_val=3, size=(24, 24))
    pool = make_folder(tmp_path / "pool", n_train=3, n_val=0, size=(24, 24)) / "train"
    (pool / "red" / "broken.jpg").write_bytes(b"GIF89a not really")
    run = tmp_path / "run"
    (tmp_path / "run.yaml").write_text(yaml.safe_dump(TINY))
    runner = CliRunner()
    args = ["train", "classify", str(data), "-o", str(run), "--config", str(tmp_path / "run.yaml"),
            "--unlabeled", str(pool), "--pseudo-labels", "hard", "--iterations", "1",
            "--json", str(tmp_path / "s.json")]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    rounds = [json.loads(ln) for ln in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["round"] for r in rounds] == ["teacher", "student1"]
    assert rounds[1]["pseudo"]["unlabeled"] == 6 and rounds[1]["pseudo"]["selected"] >= 6
    summary = json.loads((tmp_path / "s.json").read_text())
    assert any(k.endswith("broken.jpg") for k in summary["skipped"])
    student = json.loads((run / "student1" / "data.json").read_text())
    assert student["train"]["images"] == 8  # the labelled ones
    assert student["train_images"] == 8 + rounds[1]["pseudo"]["selected"]
    noise = yaml.safe_load((run / "student1" / "config.yaml").read_text())
    rows = (run / "student1" / "pseudo_labels.csv").read_text().splitlines()
    assert rows[0] == "path,class,confidence,copies" and len(rows) == 7
    assert sum(int(r.rsplit(",", 1)[1]) for r in rows[1:]) == rounds[1]["pseudo"]["selected"]
    assert (noise["drop_rate"], noise["drop_path_rate"], noise["randaugment_ops"]) == (
        0.5, 0.2, 2)
    assert yaml.safe_load((run / "teacher" / "config.yaml").read_text())["randaugment_ops"] == 0
    # oculi eval reads the last student's weights from the top folder
    res = runner.invoke(app, ["eval", "classify", str(run), str(data / "val"), "--json",
                              str(tmp_path / "e.json")])
    assert res.exit_code == 0, res.output
    assert json.loads((tmp_path / "e.json").read_text())["n"] == 6
    # a second run into the folder is refused; resuming with one more round keeps the first two
    res = runner.invoke(app, args)
    assert res.exit_code == 2 and "--resume" in res.output
    teacher_metrics = (run / "teacher" / "metrics.jsonl").read_text()
    res = runner.invoke(app, [*args[:-4], "--iterations", "2", "--resume"])
    assert res.exit_code == 0, res.output
    rounds = [json.loads(ln) for ln in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["round"] for r in rounds] == ["teacher", "student1", "student2"]
    assert (run / "teacher" / "metrics.jsonl").read_text() == teacher_metrics
    assert (run / "student2" / "best.safetensors").is_file()


def test_a_given_teacher_is_used_and_checked(tmp_path: Path) -> None:
    from oculi.classify import train_classifier

    data = make_folder(tmp_path / "data", n_train=4, n_val=3, size=(24, 24))
    pool = data / "val"
    first = train_classifier(data, ClassifyConfig(**TINY), tmp_path / "t", progress=False)
    cfg = ClassifyConfig(**TINY, unlabeled=str(pool), teacher=str(tmp_path / "t"))
    train_classifier(data, cfg, tmp_path / "ns", progress=False)
    rounds = [json.loads(ln) for ln in (tmp_path / "ns" / "metrics.jsonl").read_text().splitlines()]
    assert rounds[0]["given"] and rounds[0]["val_top1"] == pytest.approx(first.best_metric)
    assert not (tmp_path / "ns" / "teacher").exists()
    other = make_folder(tmp_path / "other", n_train=2, n_val=2, size=(24, 24),
                        classes=("cat", "dog"))
    with pytest.raises(DataError, match="classes"):
        train_classifier(other, cfg, tmp_path / "ns2", progress=False)


def test_a_soft_target_step_counts_images_not_table_cells(folder: Path) -> None:
    from types import SimpleNamespace

    pool = scan_unlabeled(folder / "val")
    probs = torch.tensor([[0.9, 0.1]]).repeat(12, 1)
    sel, targets = select_pseudo_labels(probs, threshold=0.0, balance=False)
    task = PseudoLabelTask(folder, PseudoLabels([p for p, _ in pool.samples], probs, sel,
                                                targets, ["blue", "red"]))
    cfg = ClassifyConfig(**TINY, mix_prob=0.0, label_smoothing=0.0)
    model = task.build_model(cfg)
    task.build_data(cfg, model, SimpleNamespace(rank=0, world=1, main=True))
    n = len(task.data.train.samples)
    step = SimpleNamespace(to_device=lambda b: b, model=model)
    images = torch.rand(3, 3, 32, 32)
    loss, stats, count = task.train_step(step, (images, torch.tensor([0, n, n + 1])))
    assert count == 3 and 0 <= stats["train_top1"] <= 3
    logits = model(images)
    expected = -(torch.log_softmax(logits, 1) * torch.tensor(
        [[1.0, 0.0], [0.9, 0.1], [0.9, 0.1]])).sum(1).mean()
    torch.testing.assert_close(loss, expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("field", [{"student_model": "resnet34"}, {"iterations": 3}])
def test_noisy_student_fields_without_a_pool_are_refused(field) -> None:
    # student_model / iterations only act with unlabeled=DIR: accepted alone they were ignored
    with pytest.raises(ParameterError, match="unlabeled"):
        ClassifyConfig(**TINY, **field)


def test_round_configs_drop_the_noisy_student_fields(folder: Path) -> None:
    cfg = ClassifyConfig(**TINY, unlabeled=str(folder), student_model="resnet34", iterations=2)
    s = student_config(cfg)
    assert (s.model, s.student_model, s.iterations, s.unlabeled) == ("resnet34", None, 1, None)
