"""The segmentation tab in the browser: the objects of the coins example are oculi.segment's."""

from __future__ import annotations

import json

import oculi.ui.tabs.segment  # noqa: F401  (registers the tab)
from tests.ui.conftest import UI
from tests.ui.test_track import open_tab


def test_segment_tab_counts_the_objects_of_the_library(ui: UI) -> None:
    import numpy as np

    from oculi.io import read_image
    from oculi.segment import classical_instances

    path = ui.example("coins")
    open_tab(ui, "segment")
    ui.upload("segment-in", path)
    assert ui.run("segment") == ""
    ui.wait_image("segment-out")
    labels = classical_instances(read_image(path, mode="rgb"), method="watershed", min_size=15)
    assert labels.max() >= 20  # the 24 coins, a few split or merged
    shown = json.loads(ui.fetch(ui.file_url("segment-files", ".json")))["labels"]
    assert len(shown) == labels.max()
    assert [r["pixels"] for r in shown] == np.bincount(labels.ravel())[1:].tolist()
    ui.screenshot("segment")
