"""Image pairs with ground-truth homographies, read from the three common layouts.

* HPatches: a folder with ``1.png .. 6.png`` (or ``.ppm``/``.jpg``) and ``H_1_2 .. H_1_6``;
* Oxford (Mikolajczyk): ``img1 .. imgN`` (any image suffix) and ``H1to2p .. H1toNp``; the
  OpenCV-sample variant ``graf1.png``, ``graf3.png`` + ``H1to3p.xml`` (FileStorage) also works;
* pairs: ``1/<name>.*``, ``2/<name>.*`` and ``h/<name>.txt`` (EVD/WxBS style), one pair a name.

Homographies map pixel coordinates of the first image to the second: ``x2 ~ H @ [x1, y1, 1]``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from oculi.core.errors import DataError

_IMAGE_SUFFIXES = (".png", ".ppm", ".pgm", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")


@dataclass(frozen=True)
class HomographyPair:
    """Two images and the ground-truth homography from the first to the second.

    Attributes:
        name: ``"<set>/<i>-<j>"`` (or ``"<set>/<pair name>"``).
        image1, image2: image file paths.
        homography: ``(3, 3)`` float64, maps ``[x, y, 1]`` of image 1 to image 2.
    """

    name: str
    image1: Path
    image2: Path
    homography: np.ndarray


def read_homography(path: str | Path) -> np.ndarray:
    """Read a 3x3 homography: 9 whitespace-separated numbers, or an OpenCV FileStorage XML/YAML.

    Raises:
        DataError: the file does not hold a 3x3 matrix.
    """
    p = Path(path)
    text = p.read_text(encoding="utf-8", errors="replace")
    head = text.lstrip()
    if p.suffix.lower() in (".xml", ".yml", ".yaml") or head.startswith(("<?xml", "%YAML")):
        m = re.search(r"<data>(.*?)</data>", text, re.S) or re.search(
            r"data:\s*\[(.*?)\]", text, re.S
        )
        text = m.group(1).replace(",", " ") if m else ""
    try:
        vals = np.array([float(v) for v in text.split()], np.float64)
    except ValueError as exc:
        raise DataError(f"{p}: expected 9 numbers (a 3x3 homography): {exc}") from exc
    if vals.size != 9:
        raise DataError(f"{p}: expected 9 numbers (a 3x3 homography), got {vals.size}")
    h = vals.reshape(3, 3)
    if abs(np.linalg.det(h)) < 1e-12:
        raise DataError(f"{p}: the homography is singular")
    return h


def _image_by_stem(folder: Path, stem: str) -> Path | None:
    for suffix in _IMAGE_SUFFIXES:
        p = folder / f"{stem}{suffix}"
        if p.is_file():
            return p
    return None


def load_pairs(path: str | Path) -> list[HomographyPair]:
    """All image pairs with ground truth in one folder (HPatches, Oxford or pairs layout).

    HPatches and Oxford sequences give the pairs (1, 2) .. (1, N) of their reference image 1.

    Raises:
        DataError: the folder matches none of the layouts or holds no pair.
    """
    root = Path(path)
    if not root.is_dir():
        raise DataError(f"{root}: not a folder (expected an HPatches, Oxford or pairs folder)")
    set_name = root.name
    pairs: list[HomographyPair] = []
    # HPatches: H_1_j
    for hp in sorted(root.glob("H_1_*"), key=lambda p: int(p.name.split("_")[-1])):
        j = hp.name.split("_")[-1]
        a, b = _image_by_stem(root, "1"), _image_by_stem(root, j)
        if a and b:
            pairs.append(HomographyPair(f"{set_name}/1-{j}", a, b, read_homography(hp)))
    if pairs:
        return pairs
    # Oxford: H1toNp (+ optional .xml) with img1/imgN or <prefix>1/<prefix>N
    for hp in sorted(root.glob("H1to*p*"), key=lambda p: int(re.findall(r"\d+", p.name)[1])):
        j = re.findall(r"\d+", hp.name)[1]
        a = b = None
        for prefix in ["img", *sorted({re.sub(r"\d+$", "", q.stem) for q in root.iterdir()})]:
            a, b = _image_by_stem(root, f"{prefix}1"), _image_by_stem(root, f"{prefix}{j}")
            if a and b:
                break
        if a and b:
            pairs.append(HomographyPair(f"{set_name}/1-{j}", a, b, read_homography(hp)))
    if pairs:
        return pairs
    # pairs layout: 1/, 2/, h/
    if (root / "1").is_dir() and (root / "2").is_dir() and (root / "h").is_dir():
        for hp in sorted((root / "h").glob("*.txt")):
            a, b = _image_by_stem(root / "1", hp.stem), _image_by_stem(root / "2", hp.stem)
            if a and b:
                pairs.append(HomographyPair(f"{set_name}/{hp.stem}", a, b, read_homography(hp)))
    if not pairs:
        raise DataError(
            f"{root}: no image pairs with homographies found; expected HPatches (1.png, H_1_2, ..),"
            " Oxford (img1.png, H1to2p, ..) or pairs (1/NAME.png, 2/NAME.png, h/NAME.txt) layout"
        )
    return pairs
