"""The comparison table on a synthetic HPatches-layout folder and on the shared sequences."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from oculi.data import load
from oculi.features import compare_methods, format_table, load_pairs
from oculi.features.tour import synthetic_homographies
from oculi.io import write_image
from tests.conftest import shared_set


@pytest.fixture(scope="module")
def warp_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("seq")
    img = cv2.resize(load("astronaut"), (384, 384), interpolation=cv2.INTER_AREA)
    write_image(folder / "1.png", img)
    for j, h in enumerate(synthetic_homographies((384, 384)), start=2):
        write_image(folder / f"{j}.png", cv2.warpPerspective(img, h, (384, 384)))
        np.savetxt(folder / f"H_1_{j}", h)
    return folder


def test_compare_on_known_warps(warp_folder):
    res = compare_methods([warp_folder], ["surf", "orb", "fast"])
    by = {s.method: s for s in res}
    assert by["surf"].homography_accuracy[3.0] == 1.0
    assert by["surf"].repeatability > 0.4 and by["orb"].repeatability > 0.3
    assert np.isnan(by["fast"].matching_score) and np.isnan(by["fast"].homography_accuracy[3.0])
    assert by["surf"].info["year"] == 2006 and by["surf"].ms_per_image > 0
    assert len(by["surf"].pairs) == 3
    table = format_table(res)
    assert "repeat." in table and "surf" in table and "–" in table
    small = compare_methods([warp_folder], ["orb"], max_keypoints=100, max_size=200)
    assert small[0].keypoints <= 100


def test_compare_shared_graf_and_evd():
    pairs = load_pairs(shared_set("oxford_graf_1to3")) + load_pairs(
        shared_set("homography_pairs_evd"))[:1]
    res = compare_methods(pairs, ["sift"], max_size=640)
    s = res[0]
    assert len(s.pairs) == 2
    graf = s.pairs[0]
    assert graf.repeatability > 0.2 and graf.corner_error < 10  # graf 1->3: 40 deg viewpoint


@pytest.mark.slow
def test_all_methods_on_all_shared_sets():
    """Every method through compare on every shared set with ground truth (640 px)."""
    from oculi.features import DEFAULT_METHODS

    pairs = [p for s in ("hpatches_v_dogman", "hpatches_v_churchill", "oxford_graf_1to3",
                         "homography_pairs_evd") for p in load_pairs(shared_set(s))]
    res = compare_methods(pairs, DEFAULT_METHODS, max_size=640)
    assert [s.method for s in res] == list(DEFAULT_METHODS)
    for s in res:
        assert len(s.pairs) == 16 and s.keypoints > 100 and 0 < s.repeatability < 1, s.method
    by = {s.method: s for s in res}
    assert by["sift"].homography_accuracy[5.0] >= 0.5
    assert by["surf"].homography_accuracy[5.0] >= by["sift"].homography_accuracy[5.0] - 0.15
