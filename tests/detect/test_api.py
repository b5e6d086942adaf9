"""The public surface of oculi.detect: every name in __all__ exists; the registry is complete."""

from __future__ import annotations

import oculi.detect as det


def test_all_names_exist():
    missing = [n for n in det.__all__ if not hasattr(det, n)]
    assert missing == []
    assert sorted(det.__all__) == sorted(set(det.__all__))


def test_registry_families():
    fam = {e.name: e.meta["family"] for e in det.detectors.entries()}
    assert {k for k, v in fam.items() if v == "region-based"} == {
        "fasterrcnn", "maskrcnn", "rcnn", "fastrcnn"}
    assert {k for k, v in fam.items() if v == "single-shot"} == {
        "retinanet", "fcos", "ssdlite", "yolo", "efficientdet"}
    assert set(det.TRAINABLE) == {k for k, v in fam.items() if v != "classical"}
