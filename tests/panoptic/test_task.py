"""The panoptic task: evaluation equal to the PQ computed by hand, and a few training steps
end to end through ``oculi train panoptic`` / ``oculi eval panoptic``."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from oculi.segment.panoptic import panoptic_from_semantic, panoptic_quality_score
from tests.panoptic.scenes import THINGS, scene, targets, write_folder

runner = CliRunner()


class _Fixed(torch.nn.Module):
    """A stand-in model whose panoptic maps are given."""

    things, stuff, class_names = THINGS, [0, 1], ["sky", "road", "car", "person"]

    def __init__(self, maps):
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(1))
        self.maps = list(maps)

    def panoptic(self, images, **merge):
        return [self.maps.pop(0)]


def test_evaluation_equals_the_hand_computed_pq():
    from oculi.panoptic.task import evaluate_dataset

    labels = [scene(0)[1], scene(1)[1]]
    ds = targets(labels)
    truths = [ds.truth(0), ds.truth(1)]
    first = truths[0].copy()                             # perfect
    second = truths[1].copy()
    person = second == 3001
    second[person] = -1                                  # the person missed: one FN
    second[(second == 1000)] = 0                         # the road called sky
    r = evaluate_dataset(_Fixed([first, second]), ds)
    cars = len(np.unique(truths[0][truths[0] // 1000 == 2])) + len(
        np.unique(truths[1][truths[1] // 1000 == 2]))
    person_pq = Fraction(1) / (1 + Fraction(1, 2))      # TP 1 (IoU 1), FN 1
    # sky: image 1 perfect (IoU 1); image 2 its sky segment covers sky + road: IoU = sky / both
    sky2, road2 = int((truths[1] == 0).sum()), int((truths[1] == 1000).sum())
    sky_pq = (1 + Fraction(sky2, sky2 + road2)) / (2 + Fraction(0))  # 2 TP, IoU < 1 on image 2
    assert Fraction(sky2, sky2 + road2) > Fraction(1, 2)
    road_pq = Fraction(1) / (1 + Fraction(1, 2))        # TP on image 1, FN on image 2
    p = r["panoptic"]["per_class"]
    assert p["car"]["tp"] == cars and p["car"]["pq"] == pytest.approx(1.0)
    assert p["person"]["pq"] == pytest.approx(float(person_pq))
    assert p["sky"]["pq"] == pytest.approx(float(sky_pq))
    assert p["road"]["pq"] == pytest.approx(float(road_pq))
    assert r["val_pq_things"] == pytest.approx(float((1 + person_pq) / 2))
    assert r["val_pq"] == pytest.approx(float((sky_pq + road_pq + 1 + person_pq) / 4))


# -- the task end to end -----------------------------------------------------------------------


def test_train_a_few_steps_and_evaluate_through_the_cli(tmp_path):
    import yaml

    from oculi.cli.main import app
    from oculi.panoptic.task import evaluate_panoptic, load_panoptic

    data = tmp_path / "data"
    write_folder(data / "train", 4)
    write_folder(data / "val", 2, seed=50)
    (data / "classes.csv").write_text("index,name\n0,sky\n1,road\n2,car\n3,person\n4,void\n")
    (data / "train" / "image" / "f99.png").write_bytes(b"not a png")   # a bad file: skipped
    (data / "train" / "label" / "f99.png").write_bytes(b"not a png")
    cfg = tmp_path / "run.yaml"
    cfg.write_text(yaml.safe_dump({
        "epochs": 3, "batch_size": 2, "lr": 3e-3, "image_size": 64, "fpn_channels": 16,
        "semantic_channels": 16, "things": THINGS, "ignore_index": 4, "threads": 1,
        "pretrained": False, "warmup_epochs": 0.0, "min_instance_area": 4}))
    out = tmp_path / "run"
    res = runner.invoke(app, ["train", "panoptic", str(data), "--out", str(out),
                              "--config", str(cfg)])
    assert res.exit_code == 0, res.output
    summary = json.loads((out / "data.json").read_text())
    assert [s["path"].endswith("f99.png") for s in summary["skipped"]] == [True]
    assert summary["num_classes"] == 4 and summary["train_images"] == 4
    assert summary["class_names"] == ["sky", "road", "car", "person"]
    history = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert history[-1]["train_loss"] < history[0]["train_loss"]
    assert "val_pq" in history[-1] and 0 <= history[-1]["val_pq"] <= 1

    res = runner.invoke(app, ["eval", "panoptic", str(out), str(data)])
    assert res.exit_code == 0, res.output
    assert "things" in res.output and "PQ" in res.output and "person" in res.output
    report = evaluate_panoptic(out, data / "val")
    # the same number from the loaded model's maps and the metric directly
    model = load_panoptic(out)
    truths, preds = [], []
    for i in range(2):
        image, label = scene(50 + i)
        truths.append(panoptic_from_semantic(label, THINGS, ignore_index=4))
        x = torch.from_numpy(image.transpose(2, 0, 1).copy()).float() / 255
        preds.append(model.panoptic([x])[0])
    direct = panoptic_quality_score(truths, preds, things=THINGS, stuff=[0, 1])
    assert report["val_pq"] == pytest.approx(direct["pq"] if direct["pq"] == direct["pq"] else 0)
    assert f"{report['val_pq']:.3f}" in res.output
