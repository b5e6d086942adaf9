"""The held-out photo set and the classifier test of colourisers (tiny untrained models)."""

from __future__ import annotations

import numpy as np
import pytest

from oculi.colorize import build_colorizer
from oculi.colorize.heldout import classifier_test, compare, heldout_photos
from oculi.core.errors import DataError, ParameterError
from oculi.data import load
from oculi.io import write_image

SETS = (("hymenoptera/val", "*/*.jpg", 1), ("track_vot_bag/imgs", "*.jpg", 10),
        ("absent", "*.png", 1))


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    root = tmp_path_factory.mktemp("shared")
    photo = load("astronaut", mode="rgb")[:160, :160]
    for i, folder in enumerate(("ants", "bees")):
        write_image(root / "hymenoptera" / "val" / folder / f"{i}.jpg", photo[:, ::1 - 2 * i])
    frames = root / "track_vot_bag" / "imgs"
    for i in range(25):
        write_image(frames / f"{i:08d}.jpg", np.roll(photo, 4 * i, 1))
    write_image(frames / "00000010.jpg", load("camera", mode="gray")[:160, :160])  # grey
    return root


def test_photos_are_every_nth_frame_with_folder_labels(root):
    from oculi.models import imagenet_classes

    photos = heldout_photos(root, SETS)
    names = [p.path.name for p in photos]
    assert names == ["0.jpg", "1.jpg", "00000000.jpg", "00000010.jpg", "00000020.jpg"]
    classes = imagenet_classes()
    assert [classes[p.label] for p in photos[:2]] == ["ant", "bee"]
    assert all(p.label is None for p in photos[2:])
    with pytest.raises(DataError, match="held-out"):
        heldout_photos(root / "nothing", SETS)


def test_classifier_test_scores_every_version_on_the_same_photos(root):
    photos = heldout_photos(root, SETS)
    model = build_colorizer("classification", "tiny", width=8, pretrained=False, short_side=64)
    r = classifier_test({"a": model, "b": model}, photos, size=64, chunk=2)
    assert len(r["photos"]) == 4 and list(r["skipped"]) == [str(photos[3].path)]
    assert list(r["correct"]) == ["grey", "a", "b", "true"]
    assert r["labelled"].tolist() == [True, True, False, False]
    # pseudo-labels: the true-colour photo is right by construction where no label exists
    assert r["correct"]["true"][~r["labelled"]].all()
    assert (r["correct"]["a"] == r["correct"]["b"]).all()
    assert r["colourfulness"]["grey"].max() < 1 < r["colourfulness"]["true"].min()
    same = compare(r, "a", "b")
    assert same["p"] == 1.0 and same["ci95"] == [0.0, 0.0]
    true_vs_grey = compare(r, "true", "grey")
    assert true_vs_grey["colourfulness_ci95"][0] > 0
    with pytest.raises(ParameterError, match="grey"):
        classifier_test({"grey": model}, photos)
