"""Helpers shared by the restore tests."""

from __future__ import annotations

from pathlib import Path

from oculi.data import load
from oculi.io import write_image


def photo_folder(root: Path, side: int) -> Path:
    """Write ``train/`` (two ``side``-pixel embedded crops and an unreadable file) and ``val/``
    (another crop) under ``root``; return ``root``."""
    image = load("astronaut", mode="rgb")
    write_image(root / "train" / "a.png", image[40:40 + side, 160:160 + side])
    write_image(root / "train" / "c.png", load("coffee", mode="rgb")[100:100 + side,
                                                                      200:200 + side])
    (root / "train" / "broken.png").write_bytes(b"not a png")
    write_image(root / "val" / "b.png", image[300:300 + side, 200:200 + side])
    return root
