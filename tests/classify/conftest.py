"""A tiny synthetic ImageFolder (red vs blue noise) with a broken file and a text file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest


def make_folder(root: Path, n_train: int = 12, n_val: int = 6, classes=("blue", "red"),
                size=(40, 48)) -> Path:
    from oculi.io import write_image

    rng = np.random.default_rng(0)
    for split, n in (("train", n_train), ("val", n_val)):
        for c in classes:
            d = root / split / c
            d.mkdir(parents=True, exist_ok=True)
            for i in range(n):
                im = rng.integers(0, 80, (*size, 3), dtype=np.uint8)
                im[..., 0 if c == "red" else 2] += 150
                write_image(d / f"{i}.png", im)
    return root


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = make_folder(tmp_path / "data")
    (root / "train" / "red" / "broken.jpg").write_bytes(b"GIF89a not really")
    (root / "train" / "blue" / "notes.txt").write_text("not an image")
    return root



@pytest.fixture(scope="session")
def lite0():
    from oculi.models import create_model

    return create_model("efficientnet_lite0", pretrained=True)
