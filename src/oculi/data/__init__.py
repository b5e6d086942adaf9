"""Embedded sample images (shipped inside scikit-image, so no download is ever needed).

>>> from oculi.data import load, names
>>> "chelsea" in names()
True
>>> load("camera").shape
(512, 512)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from oculi.core.registry import Registry

#: name -> (file in skimage's data folder, description)
samples: Registry[str] = Registry("sample image")

for _name, _file, _help in [
    ("astronaut", "astronaut.png", "Eileen Collins, NASA portrait, 512x512 RGB"),
    ("camera", "camera.png", "cameraman, 512x512 gray"),
    ("chelsea", "chelsea.png", "Chelsea the cat, 300x451 RGB"),
    ("coffee", "coffee.png", "a cup of coffee, 400x600 RGB"),
    ("rocket", "rocket.jpg", "SpaceX Falcon 9 on the pad, 427x640 RGB JPEG"),
    ("page", "page.png", "a scanned text page with uneven lighting, 191x384 gray"),
    ("text", "text.png", "photographed text, 172x448 gray"),
    ("coins", "coins.png", "Greek coins, 303x384 gray"),
    ("moon", "moon.png", "moon surface, 512x512 gray"),
    ("horse", "horse.png", "binary horse silhouette, 328x400"),
    ("brick", "brick.png", "brick wall texture, 512x512 gray"),
    ("grass", "grass.png", "grass texture, 512x512 gray"),
    ("gravel", "gravel.png", "gravel texture, 512x512 gray"),
    ("retina", "retina.jpg", "human retina fundus photograph, 1411x1411 RGB JPEG"),
    ("hubble", "hubble_deep_field.jpg", "Hubble deep field, 872x1000 RGB JPEG"),
    ("ihc", "ihc.png", "immunohistochemistry stain, 512x512 RGB"),
    ("logo", "logo.png", "scikit-image logo, RGBA"),
    ("clock", "clock_motion.png", "motion-blurred clock, 300x400 gray"),
    ("motorcycle_left", "motorcycle_left.png", "stereo pair, left view (Middlebury 2014)"),
    ("motorcycle_right", "motorcycle_right.png", "stereo pair, right view (Middlebury 2014)"),
    ("chessboard", "chessboard_RGB.png", "a photographed chessboard, RGB"),
    ("color", "color.png", "colour chart, RGB"),
    ("microaneurysms", "microaneurysms.png", "retinal microaneurysms, gray"),
    ("cell", "cell.png", "cell micrograph, gray"),
]:
    samples.register(_name, _file, help=_help)


def _data_dir() -> Path:
    import skimage

    return Path(skimage.__file__).parent / "data"


def names() -> list[str]:
    """Names of the embedded sample images."""
    return samples.names()


def sample_path(name: str) -> Path:
    """Path of the embedded sample ``name`` (inside the installed scikit-image)."""
    return _data_dir() / samples.get(name)


def load(name: str, mode: str = "unchanged") -> np.ndarray:
    """Read the embedded sample ``name`` (see :func:`oculi.io.read_image` for ``mode``)."""
    from oculi.io.image import read_image

    return read_image(sample_path(name), mode=mode)  # type: ignore[arg-type]


__all__ = ["load", "names", "sample_path", "samples"]
