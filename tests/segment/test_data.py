"""Datasets, mask kinds, bad input, augmentation, NIfTI round trip and patch sampling."""

from __future__ import annotations

import numpy as np
import pytest

from oculi.core.errors import DataError, ShapeError, ValueRangeError
from oculi.io import write_image
from oculi.segment import (
    PatchSampler,
    SegmentationFolder,
    mask_to_target,
    read_volume,
    train_augmentation,
    write_volume,
)
from tests.conftest import shared_set


def _folder(tmp_path, masks, size=(8, 10)):
    for i, m in enumerate(masks):
        write_image(tmp_path / "image" / f"{i}.png", np.full((*size, 3), 50 * i, np.uint8))
        write_image(tmp_path / "label" / f"{i}.png", m)
    return tmp_path


def test_mask_kinds():
    m = np.array([[0, 255], [255, 0]], np.uint8)
    assert mask_to_target(m, "binary").tolist() == [[0, 1], [1, 0]]
    assert mask_to_target(m, "binary", invert=True).tolist() == [[1, 0], [0, 1]]
    assert mask_to_target(np.array([[0, 1]], np.uint8), "binary").tolist() == [[0, 1]]
    inst = np.array([[0, 7], [183, 0]], np.uint16)
    assert mask_to_target(inst, "instance").tolist() == [[0, 1], [1, 0]]
    assert mask_to_target(
        np.array([[0, 2, 11]]), "index", num_classes=3, ignore_index=11
    ).tolist() == [[0, 2, 11]]


def test_folder_reads_index_masks_and_counts(tmp_path):
    m0 = np.zeros((8, 10), np.uint8)
    m1 = np.ones((8, 10), np.uint8)
    m1[:, :5] = 2
    ds = SegmentationFolder(_folder(tmp_path, [m0, m1]), num_classes=3)
    x, t = ds[1]
    assert x.shape == (3, 8, 10) and float(x.max()) == pytest.approx(50 / 255)
    assert t.tolist() == m1.tolist()
    assert ds.class_pixels().tolist() == [80, 40, 40]


def test_bad_input_raises_clear_errors(tmp_path):
    with pytest.raises(ValueRangeError, match="declare more classes"):
        SegmentationFolder(_folder(tmp_path / "a", [np.full((8, 10), 5, np.uint8)]), num_classes=3)
    d = tmp_path / "b"
    write_image(d / "image" / "0.png", np.zeros((8, 10, 3), np.uint8))
    write_image(d / "label" / "0.png", np.zeros((8, 12), np.uint8))
    with pytest.raises(ShapeError, match="mask is 12x8 but image"):
        SegmentationFolder(d)
    with pytest.raises(DataError, match="image/ \\+ label/"):
        SegmentationFolder(tmp_path / "nothing")


def test_empty_mask_is_valid(tmp_path):
    ds = SegmentationFolder(_folder(tmp_path, [np.zeros((8, 10), np.uint8)]), mask_kind="binary")
    assert int(ds[0][1].sum()) == 0 and ds.num_classes == 2


def test_augmentation_keeps_image_and_mask_aligned():
    img = np.zeros((40, 60, 3), np.uint8)
    img[10:30, 20:50] = 255
    mask = (img[..., 0] > 0).astype(np.int32)
    tf = train_augmentation(32, scale=(0.3, 1.0), flips="hv", color=0.0)
    for _ in range(10):
        out = tf(image=img, mask=mask)
        assert out["image"].shape[:2] == out["mask"].shape == (32, 32)
        # bright pixels and mask pixels coincide; nearest (mask) and linear (image) sampling may
        # differ by half a source pixel on the edges only
        from scipy import ndimage

        bright = out["image"][..., 0] > 127
        fg = out["mask"] == 1
        band = ndimage.binary_dilation(fg, iterations=2) & ~ndimage.binary_erosion(fg, iterations=2)
        assert not ((bright != fg) & ~band).any()
        assert fg.any() == bright.any()


def test_nifti_round_trip_keeps_affine_and_spacing(tmp_path):
    import nibabel as nib

    data = np.arange(2 * 3 * 4, dtype=np.float32).reshape(4, 3, 2)  # (x, y, z) on disk
    affine = np.diag([0.8, 0.8, 5.0, 1.0])
    affine[:3, 3] = [10, -20, 30]
    nib.save(nib.Nifti1Image(data, affine), str(tmp_path / "v.nii.gz"))
    vol = read_volume(tmp_path / "v.nii.gz")
    assert vol.data.shape == (2, 3, 4) and vol.spacing == pytest.approx((5.0, 0.8, 0.8))
    assert vol.anisotropy == pytest.approx(6.25)
    assert vol.data[1, 2, 3] == data[3, 2, 1]
    out = write_volume(tmp_path / "p.nii.gz", (vol.data > 10).astype(np.uint8), vol)
    back = nib.load(str(out))
    assert np.allclose(back.affine, affine)
    assert back.header.get_zooms() == pytest.approx((0.8, 0.8, 5.0))
    assert (np.asarray(back.dataobj) == (data > 10)).all()
    with pytest.raises(ShapeError):
        write_volume(tmp_path / "q.nii.gz", np.zeros((2, 3, 5), np.uint8), vol)


def test_patch_sampler_oversamples_foreground():
    img = np.random.default_rng(0).random((6, 40, 40)).astype(np.float32)
    lab = np.zeros((6, 40, 40), np.int64)
    lab[2:4, 30:36, 30:36] = 1
    ps = PatchSampler([img], [lab], (4, 16, 16), pos_fraction=1.0, length=20, seed=1)
    hits = [int(ps[i][1].sum() > 0) for i in range(20)]
    assert sum(hits) == 20
    x, y = ps[0]
    assert x.shape == (1, 4, 16, 16) and y.shape == (4, 16, 16)
    neg = PatchSampler([img], [lab], (4, 16, 16), pos_fraction=0.0, length=40, seed=1)
    assert sum(int(neg[i][1].sum() > 0) for i in range(40)) < 20


def test_patch_sampler_pads_small_volumes_with_zeros():
    img = np.ones((2, 10, 12), np.float32)
    lab = np.ones((2, 10, 12), np.int64)
    ps = PatchSampler([img], [lab], (4, 16, 16), pos_fraction=0.0, length=4, seed=0, flips=False)
    x, y = ps[0]
    assert x.shape == (1, 4, 16, 16) and y.shape == (4, 16, 16)
    assert float(x.sum()) == int(y.sum()) == 2 * 10 * 12  # the whole volume, the rest zeros


def test_shared_masks_read_with_their_documented_values():
    isbi = shared_set("seg_isbi_membrane")
    ds = SegmentationFolder(isbi, mask_kind="binary", invert=True, indices=[0])
    frac = float(ds[0][1].float().mean())
    assert 0.15 < frac < 0.3  # membranes are about 22 % of the pixels
    camvid = shared_set("seg_camvid")
    cv = SegmentationFolder(camvid / "val", num_classes=11, ignore_index=11, indices=[0])
    assert cv[0][0].shape == (3, 360, 480) and int(cv[0][1].max()) <= 11


def test_nuclei_instance_masks(tmp_path):
    from oculi.io import read_image

    src = shared_set("seg_nuclei_dsb")
    ids = read_image(src / "mask2d.tif", mode="unchanged")
    img = read_image(src / "img2d.tif", mode="unchanged")
    assert ids.dtype == np.uint16 and len(np.unique(ids)) - 1 == 125  # as SOURCES.md states
    write_image(tmp_path / "image" / "n.png", (img.astype(np.float32) / 235 * 255).astype(np.uint8))
    write_image(tmp_path / "label" / "n.png", ids)
    ds = SegmentationFolder(tmp_path, mask_kind="instance")
    assert ds.num_classes == 2
    assert int(ds[0][1].sum()) == int((ids > 0).sum())
    assert np.array_equal(ds.instances(0), ids)


def test_from_arrays_checks_like_the_folder_reader():
    img = np.zeros((6, 8, 3), np.uint8)
    ds = SegmentationFolder.from_arrays([img, img[..., 0]], [np.eye(6, 8, dtype=np.uint8)] * 2,
                                        num_classes=2, names=["a", "b"])  # fmt: skip
    assert [s.name for s in ds.samples] == ["a", "b"] and ds.samples[1].image.shape == (6, 8, 1)
    assert int(ds[0][1].sum()) == 6 and ds.mask_kind == "index" and ds.transform is None
    with pytest.raises(ShapeError, match=r"targets\[0\]: size"):
        SegmentationFolder.from_arrays([img], [np.zeros((5, 8), np.uint8)], num_classes=2)
    with pytest.raises(ValueRangeError, match=r"targets\[0\]: class indices"):
        SegmentationFolder.from_arrays([img], [np.full((6, 8), 3, np.uint8)], num_classes=2)


def test_an_unreadable_pair_is_skipped_and_listed(tmp_path):
    from oculi.segment import SegmentationFolder, write_shapes

    root = write_shapes(tmp_path / "s", 4, 32, seed=0)
    victim = sorted((root / "image").iterdir())[1]
    victim.write_bytes(victim.read_bytes()[:40])  # a truncated PNG
    ds = SegmentationFolder(root)
    assert len(ds) == 3 and [p for p, _ in ds.skipped] == [str(victim)]
    assert "truncated PNG" in ds.skipped[0][1]
