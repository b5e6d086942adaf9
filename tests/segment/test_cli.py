"""The CLI end to end on tiny synthetic data: train (2-D and 3-D), predict, evaluate.

Training runs a handful of steps on 64-pixel crops; the assertions are that the training loss
falls, the run folder is complete and the CLI outputs have the documented shapes and values.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from oculi.cli.main import app
from oculi.segment import write_shapes

runner = CliRunner()


@pytest.fixture(scope="module")
def shapes_run(tmp_path_factory):
    import torch

    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("seg")
    data = write_shapes(root / "shapes", 12, 64, seed=0)
    cfg = root / "run.yaml"
    cfg.write_text(
        yaml.safe_dump(
            {
                "model": "unet",
                "epochs": 3,
                "batch_size": 6,
                "lr": 0.01,
                "image_size": 64,
                "scale_min": 0.9,
                "monitor": "val_loss",
                "warmup_epochs": 0.0,
                "schedule": "constant",
                "threads": 1,
                "val_split": 0.25,
                "loss": "ce+dice",
                "repeat": 2,
                "arch_options": {"decoder_channels": [32, 16, 16, 8, 8]},
            }
        )
    )
    out = root / "run"
    res = runner.invoke(
        app,
        [
            "train",
            "segment",
            str(data),
            "--out",
            str(out),
            "--config",
            str(cfg),
            "--json",
            str(root / "train.json"),
        ],
    )
    assert res.exit_code == 0, res.output
    return root, data, out


def test_train_writes_run_and_loss_falls(shapes_run):
    root, _, out = shapes_run
    hist = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    assert len(hist) == 3
    assert hist[-1]["train_loss"] < hist[0]["train_loss"]
    for name in ("best.safetensors", "config.yaml", "data.json", "evaluation.json"):
        assert (out / name).is_file()
    assert json.loads((root / "train.json").read_text())["epochs_run"] == 3


def test_predict_and_overlay(shapes_run):
    from oculi.io import read_image

    root, data, out = shapes_run
    img = data / "image" / "000.png"
    res = runner.invoke(
        app,
        [
            "segment",
            str(img),
            "--model",
            str(out),
            "-o",
            str(root / "m.png"),
            "--overlay",
            str(root / "o.png"),
            "--json",
            str(root / "p.json"),
        ],
    )
    assert res.exit_code == 0, res.output
    mask = read_image(root / "m.png", mode="unchanged")
    assert mask.shape == (64, 64) and mask.max() <= 2
    fr = json.loads((root / "p.json").read_text())["results"][0]["fractions"]
    assert sum(fr.values()) == pytest.approx(1.0)
    assert read_image(root / "o.png").shape == (64, 64, 3)
    bad = runner.invoke(app, ["segment", str(root / "nope.png"), "--model", str(out)])
    assert bad.exit_code == 2


def test_eval_matches_library(shapes_run):
    from oculi.segment import SegmentationFolder, evaluate_dataset, load_segmenter

    root, data, out = shapes_run
    res = runner.invoke(
        app, ["eval", "segment", str(out), str(data), "--json", str(root / "e.json")]
    )
    assert res.exit_code == 0, res.output
    r = json.loads((root / "e.json").read_text())
    lib = evaluate_dataset(load_segmenter(out), SegmentationFolder(data, num_classes=3))
    assert r["val_miou"] == pytest.approx(lib["val_miou"])
    assert 0.0 <= r["val_miou"] <= 1.0 and r["images"] == 12


def test_3d_commands_refuse_a_2d_model(shapes_run):
    _, data, out = shapes_run
    for args in (
        ["segment", "--3d", str(data / "image" / "000.png"), "--model", str(out)],
        ["eval", "segment3d", str(out), str(data)],
    ):
        res = runner.invoke(app, args)
        assert res.exit_code == 2 and "a 2-D model" in res.output, res.output


def test_volume_train_predict_eval_keep_the_grid(tmp_path):
    import nibabel as nib
    import torch

    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    zz, yy, xx = np.mgrid[0:8, 0:32, 0:32]
    lab = ((zz - 4) ** 2 * 4 + (yy - 16) ** 2 + (xx - 14) ** 2 < 80).astype(np.uint8)
    img = (lab * 200 + rng.normal(0, 20, lab.shape)).astype(np.float32)
    affine = np.diag([0.7, 0.7, 3.0, 1.0])
    for name, arr in (("ct.nii.gz", img), ("ct_seg.nii.gz", lab)):
        nib.save(nib.Nifti1Image(arr.transpose(2, 1, 0), affine), str(tmp_path / name))
    cfg = tmp_path / "run.yaml"
    cfg.write_text(
        yaml.safe_dump(
            {
                "model": "unet3d",
                "epochs": 2,
                "batch_size": 2,
                "lr": 0.01,
                "monitor": "val_loss",
                "warmup_epochs": 0.0,
                "threads": 1,
                "patch": [4, 16, 16],
                "repeat": 6,
                "window": [0, 200],
                "val_slices": 0.5,
                "arch_options": {"features": [4, 8], "strides": [[1, 2, 2]]},
            }
        )
    )
    out = tmp_path / "run3d"
    res = runner.invoke(
        app, ["train", "segment3d", str(tmp_path), "--out", str(out), "--config", str(cfg)]
    )
    assert res.exit_code == 0, res.output
    hist = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    assert hist[-1]["train_loss"] < hist[0]["train_loss"]
    pred_path = tmp_path / "pred.nii.gz"
    res = runner.invoke(
        app,
        ["segment", "--3d", str(tmp_path / "ct.nii.gz"), "--model", str(out), "-o", str(pred_path)],
    )
    assert res.exit_code == 0, res.output
    back = nib.load(str(pred_path))
    assert np.allclose(back.affine, affine) and back.shape == (32, 32, 8)
    res = runner.invoke(
        app,
        ["eval", "segment3d", str(out), str(tmp_path), "--json", str(tmp_path / "e.json")],
    )
    assert res.exit_code == 0, res.output
    r = json.loads((tmp_path / "e.json").read_text())
    assert 0.0 <= r["dice"][0] <= 1.0 and r["volumes"]


def test_predict_instances_and_eval_instance_masks(shapes_run):
    from scipy import ndimage

    from oculi.io import read_image, write_image
    from oculi.segment import SegmentationFolder, evaluate_instances, load_segmenter

    root, data, out = shapes_run
    inst = root / "inst"  # four shapes images with instance masks: components, ids x1000
    n_true = 0
    for i in range(4):
        name = f"{i:03d}.png"
        lab, n = ndimage.label(read_image(data / "label" / name, mode="unchanged") > 0)
        n_true += n
        write_image(inst / "image" / name, read_image(data / "image" / name))
        write_image(inst / "label" / name, (lab * 1000).astype(np.uint16))
    res = runner.invoke(
        app,
        [
            "segment",
            str(inst / "image" / "000.png"),
            "--model",
            str(out),
            "--instances",
            "-o",
            str(root / "ids.png"),
            "--overlay",
            str(root / "ids_over.png"),
            "--json",
            str(root / "ids.json"),
        ],
    )
    assert res.exit_code == 0, res.output
    labels = read_image(root / "ids.png", mode="unchanged")
    assert labels.dtype == np.uint16 and labels.shape == (64, 64)
    got = json.loads((root / "ids.json").read_text())["results"][0]
    assert got["instances"] == int(labels.max()) == len(np.unique(labels)) - 1
    assert read_image(root / "ids_over.png").shape == (64, 64, 3)
    res = runner.invoke(
        app,
        [
            "eval",
            "segment",
            str(out),
            str(inst),
            "--mask-kind",
            "instance",
            "--json",
            str(root / "i.json"),
        ],
    )
    assert res.exit_code == 0, res.output
    r = json.loads((root / "i.json").read_text())["instances"]
    lib = evaluate_instances(load_segmenter(out), SegmentationFolder(inst, mask_kind="instance"))
    assert r["true_objects"] == n_true == lib["true_objects"]
    assert r["f1"] == pytest.approx(lib["f1"]) and r["pq"] == pytest.approx(lib["pq"])
    assert 0.0 <= r["dsb"] <= 1.0
