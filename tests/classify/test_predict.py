"""Classification with the real EfficientNet-Lite0 ImageNet weights."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from oculi.classify import classify, classify_files
from oculi.core.errors import ParameterError
from oculi.data import load
from oculi.models import imagenet_classes


def test_real_weights_classify_the_samples(lite0) -> None:
    cat, coffee = classify([load("chelsea", mode="rgb"), load("coffee", mode="rgb")], lite0, top=5)
    assert 281 <= cat[0].index <= 285  # tabby, tiger cat, Persian, Siamese, Egyptian cat
    assert sum(p.probability for p in cat if 281 <= p.index <= 285) > 0.8
    assert coffee[0].index in (967, 968)  # espresso, cup
    assert coffee[0].label == imagenet_classes()[coffee[0].index]
    probs = [p.probability for p in cat]
    assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1.0 + 1e-6


def test_files_are_batched_and_bad_files_listed(lite0, tmp_path: Path) -> None:
    from oculi.io import write_image

    write_image(tmp_path / "cat.jpg", load("chelsea", mode="rgb"), quality=95)
    write_image(tmp_path / "cup.png", load("coffee", mode="rgb"))
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not a jpeg")
    paths = [tmp_path / "cat.jpg", tmp_path / "broken.jpg", tmp_path / "cup.png"]
    results, failures = classify_files(paths, lite0, top=3, batch_size=1)
    assert set(failures) == {str(tmp_path / "broken.jpg")}
    assert 281 <= results[str(tmp_path / "cat.jpg")][0].index <= 285
    assert results[str(tmp_path / "cup.png")][0].index in (967, 968)


def test_bad_arguments(lite0) -> None:
    with pytest.raises(ParameterError, match="top"):
        classify(load("coffee", mode="rgb"), lite0, top=0)
    from oculi.core.errors import ValueRangeError

    with pytest.raises(ValueRangeError, match="divide by 255"):
        classify(np.full((50, 50, 3), 200.0, np.float32), lite0)
