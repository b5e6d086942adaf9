"""Readers (VOC XML, COCO JSON, CSV), bad input handling, splits and box-aware augmentation."""

from __future__ import annotations

import json

import numpy as np
import pytest

from oculi.core.errors import DataError
from oculi.detect import (
    DetectionAugment,
    Mosaic,
    load_splits,
    read_coco,
    read_csv,
    read_detection,
    read_voc,
)
from oculi.io import write_image

VOC = """<annotation><filename>{name}</filename>
<size><width>{w}</width><height>{h}</height><depth>3</depth></size>{objects}</annotation>"""
OBJ = ("<object><name>{c}</name><bndbox><xmin>{b[0]}</xmin><ymin>{b[1]}</ymin>"
       "<xmax>{b[2]}</xmax><ymax>{b[3]}</ymax></bndbox></object>")


def _image(path, h=60, w=80):
    write_image(path, np.full((h, w, 3), 128, np.uint8))
    return path


def _voc(folder, name, boxes, w=80, h=60):
    objects = "".join(OBJ.format(c=c, b=b) for c, b in boxes)
    (folder / f"{name}.xml").write_text(VOC.format(name=f"{name}.png", w=w, h=h,
                                                   objects=objects))


@pytest.fixture
def voc_dir(tmp_path):
    ann, img = tmp_path / "Annotations", tmp_path / "JPEGImages"
    ann.mkdir()
    img.mkdir()
    for n in ("a", "b", "c", "d"):
        _image(img / f"{n}.png")
    _voc(ann, "a", [("cat", (10, 10, 30, 40)), ("dog", (40, 5, 70, 50))])
    _voc(ann, "b", [("cat", (50, 20, 95, 70))])  # reaches outside the 80x60 image
    _voc(ann, "c", [("cat", (30, 10, 20, 40))])  # xmin > xmax
    _voc(ann, "d", [])  # negative image
    _voc(ann, "missing", [("cat", (1, 1, 5, 5))])  # no image file
    return tmp_path


def test_voc_reader_and_bad_inputs(voc_dir):
    ds = read_voc(voc_dir)
    assert ds.classes == ["cat", "dog"]
    assert [s.name for s in ds.samples] == ["a.png", "b.png", "c.png", "d.png"]
    np.testing.assert_allclose(ds.samples[0].boxes, [[10, 10, 30, 40], [40, 5, 70, 50]])
    assert ds.samples[0].labels.tolist() == [0, 1]
    np.testing.assert_allclose(ds.samples[1].boxes, [[50, 20, 80, 60]])  # clipped
    assert len(ds.samples[2].boxes) == 0 and len(ds.samples[3].boxes) == 0
    text = "\n".join(ds.issues)
    assert "missing.xml: image" in text and "not found — skipped" in text
    assert "c.xml: box cat has xmin > xmax" in text
    assert "b.xml: box cat (50, 20, 95, 70) reaches outside the 80x60 image — clipped" in text
    assert "d.xml: no boxes — kept as a negative image" in text
    s = ds.summary()
    assert s["images"] == 4 and s["boxes"] == 3 and s["negatives"] == 2
    assert s["boxes_per_class"] == [2, 1]
    x, t = ds[0]
    assert tuple(x.shape) == (3, 60, 80) and float(x.max()) <= 1.0
    assert t["labels"].tolist() == [1, 2]  # 0 is the background


def test_unknown_class_in_val_is_dropped(voc_dir, tmp_path):
    val = tmp_path / "val.csv"
    val.write_text("filename,width,height,class,xmin,ymin,xmax,ymax\n"
                   "JPEGImages/a.png,80,60,cat,1,2,30,40\n"
                   "JPEGImages/a.png,80,60,zebra,5,5,20,20\n")
    splits = load_splits(voc_dir, val=val)
    assert splits.val.classes == ["cat", "dog"]
    assert splits.val.num_boxes() == 1
    assert any("unknown class 'zebra'" in m for m in splits.val.issues)


def test_split_when_none_given(voc_dir):
    sp = load_splits(voc_dir, val_split=0.25, seed=3)
    assert len(sp.train) == 3 and len(sp.val) == 1
    names = {s.name for s in sp.train.samples} | {s.name for s in sp.val.samples}
    assert names == {"a.png", "b.png", "c.png", "d.png"}
    assert load_splits(voc_dir, val_split=0.25, seed=3).val.samples[0].name == \
        sp.val.samples[0].name


def test_csv_and_coco_agree(tmp_path):
    _image(tmp_path / "x.png")
    _image(tmp_path / "y.png")
    (tmp_path / "l.csv").write_text(
        "filename,width,height,class,xmin,ymin,xmax,ymax\n"
        "x.png,80,60,dog,1,2,31,42\nx.png,80,60,cat,5,6,20,30\ny.png,80,60,,,,,\n")
    coco = {"images": [{"id": 7, "file_name": "x.png", "width": 80, "height": 60},
                       {"id": 9, "file_name": "y.png", "width": 80, "height": 60}],
            "categories": [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}],
            "annotations": [
                {"id": 1, "image_id": 7, "category_id": 2, "bbox": [1, 2, 30, 40]},
                {"id": 2, "image_id": 7, "category_id": 1, "bbox": [5, 6, 15, 24],
                 "segmentation": [[5, 6, 20, 6, 20, 30]]}]}
    (tmp_path / "l.json").write_text(json.dumps(coco))
    a, b = read_csv(tmp_path / "l.csv"), read_detection(tmp_path / "l.json")
    assert a.classes == b.classes == ["cat", "dog"]
    for sa, sb in zip(a.samples, b.samples, strict=True):
        np.testing.assert_allclose(sa.boxes, sb.boxes)
        assert sa.labels.tolist() == sb.labels.tolist()
    assert len(a.samples[1].boxes) == 0  # y.png: negative
    b.with_masks = True
    _, t = b[0]
    m = t["masks"].numpy()
    assert m.shape == (2, 60, 80)
    assert m[0].sum() == (42 - 2) * (31 - 1)  # no polygon: the filled box
    assert 0 < m[1].sum() < 15 * 24  # the triangle covers about half of its box
    with pytest.raises(DataError, match="missing column"):
        (tmp_path / "bad.csv").write_text("name,x\n")
        read_csv(tmp_path / "bad.csv")
    with pytest.raises(DataError, match="not COCO"):
        (tmp_path / "bad.json").write_text("{}")
        read_coco(tmp_path / "bad.json")


def test_raccoon_author_split(raccoon):
    train = read_csv(raccoon / "train_labels.csv")
    test = read_csv(raccoon / "test_labels.csv", classes=train.classes)
    assert train.classes == ["raccoon"]
    assert (len(train), train.num_boxes()) == (160, 173)
    assert (len(test), test.num_boxes()) == (40, 44)
    assert not {s.name for s in train.samples} & {s.name for s in test.samples}
    sp = load_splits(raccoon)  # train_labels.csv + test_labels.csv found by name
    assert (len(sp.train), len(sp.val)) == (160, 40)
    voc = read_voc(raccoon)
    assert len(voc) == 200 and voc.num_boxes() == 217


def test_augment_keeps_boxes_on_pixels():
    image = np.zeros((100, 200, 3), np.uint8)
    image[20:60, 30:90] = 255  # a white box where the annotation is
    aug = DetectionAugment(160, flip=0.5, affine=1.0, color=0.0, seed=1, min_visibility=0.9)
    for _ in range(5):
        out, b, _, _ = aug(image, np.array([[30.0, 20, 90, 60]]), np.array([1]), None)
        assert max(out.shape[:2]) == 160 or out.shape[:2] == (80, 160)
        for box in b:
            x0, y0, x1, y1 = np.round(box).astype(int)
            inner = out[y0 + 2:y1 - 2, x0 + 2:x1 - 2]
            assert inner.size and inner.mean() > 200  # the box still covers the white patch


def test_mosaic(voc_dir):
    ds = read_voc(voc_dir)
    ds.transform = DetectionAugment(64, flip=0, affine=0, color=0)
    mos = Mosaic(ds, 64, p=1.0, seed=0)
    x, t = mos[0]
    assert tuple(x.shape) == (3, 64, 64)
    b = t["boxes"].numpy()
    assert ((b >= 0) & (b <= 64)).all() and (b[:, 2:] > b[:, :2]).all()


def test_augment_masks_follow_their_boxes():
    """Two instances share a box (upper and lower triangle) and a third box is too thin after
    resizing and is dropped: each kept box keeps its own mask, flipped and resized with it."""
    import cv2

    tri = np.tri(60, 60, dtype=np.uint8)
    masks = np.zeros((3, 100, 200), np.uint8)
    masks[0, 20:80, 20:80] = tri.T  # upper triangle
    masks[1, 20:80, 20:80] = tri  # lower triangle
    masks[2, 10:90, 150:153] = 1
    boxes = np.array([[20.0, 20, 80, 80], [20, 20, 80, 80], [150, 10, 153, 90]])
    aug = DetectionAugment(100, flip=1.0, affine=0.0, color=0.0, seed=0)
    image = np.zeros((100, 200, 3), np.uint8)
    _, b, lab, m = aug(image, boxes, np.array([1, 2, 3]), masks)
    assert lab.tolist() == [1, 2] and m.shape == (2, 50, 100)
    np.testing.assert_allclose(b, [[60, 10, 90, 40]] * 2)  # halved, then flipped
    for k in range(2):
        want = np.fliplr(cv2.resize(masks[k], (100, 50), interpolation=cv2.INTER_NEAREST))
        iou = (want & m[k]).sum() / (want | m[k]).sum()
        assert iou > 0.9, (k, iou)
