"""Task pieces: class weights, whole-dataset evaluation, volume pairing, options."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from oculi.core.errors import DataError, ParameterError
from oculi.segment import (
    SegmentationConfig,
    SegmentationFolder,
    VolumeSegmentationConfig,
    evaluate_dataset,
)
from oculi.segment.task import median_frequency_weights
from oculi.segment.task3d import evaluate_volumes, find_volume_pairs


def test_median_frequency_weights_hand_case():
    assert median_frequency_weights(np.array([10, 30, 60])) == pytest.approx([3.0, 1.0, 0.5])
    assert median_frequency_weights(np.array([0, 50, 50]))[0] == 0.0


class _Oracle(torch.nn.Module):
    """Reads the class from the red channel (class c drawn with red = c / 4)."""

    stride = (1, 1)
    num_classes = 3

    def __init__(self) -> None:
        super().__init__()
        self.dummy = torch.nn.Parameter(torch.zeros(()))

    def forward(self, x):
        c = torch.round(x[:, 0] * 4).long().clamp(0, 2)
        return torch.nn.functional.one_hot(c, 3).permute(0, 3, 1, 2).float() * 10 + self.dummy


def test_evaluate_dataset_perfect_and_half_wrong():
    rng = np.random.default_rng(0)
    targets = [rng.integers(0, 3, (20, 30)).astype(np.uint8) for _ in range(3)]
    images = [
        np.repeat((t.astype(int) * 255 // 4)[..., None].astype(np.uint8), 3, 2) for t in targets
    ]
    ds = SegmentationFolder.from_arrays(images, targets, num_classes=3)
    r = evaluate_dataset(_Oracle(), ds)
    assert r["val_miou"] == pytest.approx(1.0) and r["val_pixel_accuracy"] == 1.0
    assert r["val_bf1"] == pytest.approx(1.0)
    # flip the label of every pixel of class 2 to 1 in the truth: class 2 IoU 0, class 1 IoU
    wrong = [np.where(t == 2, 1, t).astype(np.uint8) for t in targets]
    ds2 = SegmentationFolder.from_arrays(images, wrong, num_classes=3)
    r2 = evaluate_dataset(_Oracle(), ds2)
    n1 = sum(int((t == 1).sum()) for t in targets)
    n2 = sum(int((t == 2).sum()) for t in targets)
    assert r2["iou"][0] == pytest.approx(1.0)
    assert r2["iou"][1] == pytest.approx(n1 / (n1 + n2))
    assert r2["iou"][2] == pytest.approx(0.0)


def test_seg_config_rejects_unknown_keys():
    assert SegmentationConfig.from_dict({"loss": "dice"}).loss == "dice"
    with pytest.raises(ParameterError, match="unknown"):
        SegmentationConfig.from_dict({"lossy": "dice"})


def test_volume_config_rejects_unknown_keys_before_reading(tmp_path):
    with pytest.raises(ParameterError, match=r"config: unknown key\(s\) \['pach'\]"):
        VolumeSegmentationConfig.from_dict({"pach": [8, 8, 8]})


def test_find_volume_pairs(tmp_path):
    for name in ("a.nii.gz", "a_seg-manual.nii.gz", "b.nii", "b_label.nii", "c.nii.gz"):
        (tmp_path / name).write_bytes(b"")
    pairs = find_volume_pairs(tmp_path)
    assert [(p.name, q.name) for p, q in pairs] == [
        ("a.nii.gz", "a_seg-manual.nii.gz"),
        ("b.nii", "b_label.nii"),
    ]
    with pytest.raises(DataError):
        find_volume_pairs(tmp_path / "empty")


def test_evaluate_volumes_reports_held_out_slab():
    lab = np.zeros((6, 8, 8), np.int64)
    lab[1:5, 2:6, 2:6] = 1
    img = lab.astype(np.float32)

    class Thresh(torch.nn.Module):
        stride = (1, 1, 1)

        def __init__(self):
            super().__init__()
            self.p = torch.nn.Parameter(torch.zeros(()))

        def forward(self, x):
            return (x - 0.5) * 20 + self.p

    r = evaluate_volumes(
        Thresh(),
        [{"image": img, "label": lab, "spacing": (5.0, 1.0, 1.0), "held_out_from": 3, "name": "v"}],
        patch=(4, 8, 8),
    )
    assert r["val_dice"] == 1.0 and r["val_dice_full"] == 1.0 and r["val_hd95_mm"] == 0.0


def test_volume_task_holds_out_the_last_volumes(tmp_path):

    import nibabel as nib

    from oculi.segment.task3d import VolumeTask

    rng = np.random.default_rng(0)
    for name in ("a", "b", "c"):
        lab = np.zeros((8, 8, 4), np.uint8)
        lab[2:6, 2:6, 1:3] = 1
        img = (rng.random((8, 8, 4)) * 100 + 200 * lab).astype(np.float32)
        nib.save(nib.Nifti1Image(img, np.eye(4)), tmp_path / f"{name}.nii.gz")
        nib.save(nib.Nifti1Image(lab, np.eye(4)), tmp_path / f"{name}_seg.nii.gz")
    cfg = VolumeSegmentationConfig(
        model="unet3d", seed=0, val_split=0.34, patch=(4, 8, 8), repeat=2, window=None,
        arch_options={"features": (2, 4), "strides": [(1, 2, 2)]},
    )  # fmt: skip
    task = VolumeTask(tmp_path)
    data = task.build_data(cfg, task.build_model(cfg), None)
    assert [it["name"] for it in data.val.items] == ["2"]  # round(3 * 0.34) = 1 volume held out
    assert data.val.items[0]["held_out_from"] == 0
    assert len(data.train.images) == 2 and len(data.train) == 2
