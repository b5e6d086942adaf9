"""The detection task's data plumbing: Mask R-CNN trains on plain items with masks (Mosaic tiles
boxes only), and the run's data summary says so."""

from __future__ import annotations

from types import SimpleNamespace

from oculi.detect import DetectionConfig, DetectionSplits, DetectionTask, Mosaic
from oculi.train.distributed import DistInfo


def test_maskrcnn_data_has_masks_and_no_mosaic(tiny_raccoon):
    _, _, ds = tiny_raccoon
    splits = DetectionSplits(ds.subset([0, 1]), ds.subset([2, 3]))
    cfg = DetectionConfig(model="maskrcnn", image_size=128, mosaic=0.5)
    data = DetectionTask(splits=splits).build_data(cfg, SimpleNamespace(arch="maskrcnn"),
                                                   DistInfo())
    assert data.summary["mosaic"] == 0.0 and not isinstance(data.train, Mosaic)
    x, t = data.train[0]
    assert t["masks"].shape == (len(t["boxes"]), *x.shape[-2:])
    # the same request for a box detector does tile
    yolo = DetectionTask(splits=DetectionSplits(ds.subset([0, 1]), ds.subset([2, 3])))
    data = yolo.build_data(cfg.replace(model="yolo"), SimpleNamespace(arch="yolo"), DistInfo())
    assert data.summary["mosaic"] == 0.5 and isinstance(data.train, Mosaic)
