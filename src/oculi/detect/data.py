"""Detection data: Pascal VOC XML, COCO JSON and CSV readers into one dataset type.

Every reader returns a :class:`DetectionDataset`: a list of :class:`Sample` (image path, ``xyxy``
float pixel boxes, class indices) plus the class names and a list of *issues* — problems found and
handled while reading, each one line naming the file and what was done:

* an annotation pointing to a missing image: the image is skipped;
* a box with ``xmin > xmax`` (or ``ymin > ymax``) or zero area: the box is dropped;
* a box reaching outside the image: clipped to the image;
* a class name not in ``classes`` (e.g. in a validation file): the box is dropped;
* an image with no boxes: kept as a negative example.

    >>> ds = read_csv("labels.csv")  # doctest: +SKIP
    >>> ds.classes, len(ds), ds.issues[:2]  # doctest: +SKIP

Items are ``(image, target)``: ``image`` a ``(3, H, W)`` float32 tensor in [0, 1] and ``target`` a
dict with ``boxes`` ``(n, 4)`` float32 xyxy pixels, ``labels`` ``(n,)`` int64 in ``1..K``
(0 is the background, torchvision's convention) and ``image_id``.
"""

from __future__ import annotations

import csv
import json
import os
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from oculi.core.errors import DataError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")


@dataclass
class Sample:
    """One annotated image.

    Attributes:
        path: the image file.
        boxes: ``(n, 4)`` float32 ``xyxy`` pixels in the original image.
        labels: ``(n,)`` int64 class indices ``0..K-1`` into the dataset's ``classes``.
        size: ``(height, width)`` from the annotation (None when it does not say).
        polygons: per box, a list of ``(m, 2)`` polygons (COCO segmentation) or None.
    """

    path: Path
    boxes: np.ndarray
    labels: np.ndarray
    size: tuple[int, int] | None = None
    polygons: list[list[np.ndarray] | None] | None = None

    @property
    def name(self) -> str:
        return self.path.name


@dataclass
class _Raw:
    """A reader's output before class indexing and checks."""

    path: Path
    boxes: list[tuple[float, float, float, float]]
    names: list[str]
    size: tuple[int, int] | None
    source: str
    polygons: list[list[np.ndarray] | None] | None = None


class DetectionDataset:
    """Annotated images for detection (the one type every reader returns).

    Args:
        samples: the images and their boxes.
        classes: class names, index ``k`` has label ``k + 1`` in targets.
        issues: messages from reading (skipped images, dropped or clipped boxes).
        transform: ``(image uint8 HWC, boxes, labels, masks | None) -> same`` applied per item.
        max_size: decode images with the longer side at most this (boxes scaled to match).
        cache: keep decoded images in memory.
        with_masks: targets carry ``masks`` ``(n, H, W)`` uint8 (polygons, else filled boxes),
            for Mask R-CNN.
    """

    def __init__(
        self,
        samples: Sequence[Sample],
        classes: Sequence[str],
        issues: Sequence[str] = (),
        *,
        transform: Callable[..., Any] | None = None,
        max_size: int | None = None,
        cache: bool = True,
        with_masks: bool = False,
    ) -> None:
        self.samples = list(samples)
        self.classes = list(classes)
        self.issues = list(issues)
        self.transform = transform
        self.max_size = max_size
        self.cache = cache
        self.with_masks = with_masks
        self._cache: dict[int, tuple[np.ndarray, float]] = {}

    def __len__(self) -> int:
        return len(self.samples)

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def subset(self, indices: Sequence[int]) -> DetectionDataset:
        """A dataset over some samples (same classes, options; issues kept)."""
        return DetectionDataset([self.samples[i] for i in indices], self.classes, self.issues,
                                transform=self.transform, max_size=self.max_size,
                                cache=self.cache, with_masks=self.with_masks)

    def num_boxes(self) -> int:
        return int(sum(len(s.boxes) for s in self.samples))

    def summary(self) -> dict[str, Any]:
        """Counts per class, negatives and issues (JSON-friendly)."""
        counts = np.zeros(len(self.classes), np.int64)
        for s in self.samples:
            counts += np.bincount(s.labels, minlength=len(self.classes))[: len(self.classes)]
        return {"images": len(self), "boxes": self.num_boxes(), "classes": self.classes,
                "boxes_per_class": counts.tolist(),
                "negatives": sum(1 for s in self.samples if len(s.boxes) == 0),
                "issues": self.issues}

    def load(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """The decoded image (HWC uint8 RGB) and its boxes in the decoded image's pixels,
        clipped to it."""
        from oculi.io import read_image

        s = self.samples[i]
        hit = self._cache.get(i)
        if hit is None:
            image = read_image(s.path, "rgb", max_size=self.max_size)
            # boxes are in the annotation's pixels: scale them to the decoded image
            w0 = s.size[1] if s.size is not None else image.shape[1]
            scale = image.shape[1] / w0
            hit = (image, scale)
            if self.cache:
                self._cache[i] = hit
        image, scale = hit
        boxes = clip_boxes(s.boxes * np.float32(scale), image.shape[:2])
        return image, boxes

    def masks(self, i: int, shape: tuple[int, int], boxes: np.ndarray) -> np.ndarray:
        """Instance masks ``(n, H, W)`` uint8: the polygons where known, else filled boxes."""
        import cv2

        s = self.samples[i]
        h, w = shape
        out = np.zeros((len(boxes), h, w), np.uint8)
        full = s.size or shape
        sy, sx = h / full[0], w / full[1]
        for k, b in enumerate(boxes):
            polys = s.polygons[k] if s.polygons is not None else None
            if polys:
                pts = [np.round(p * np.array([sx, sy])).astype(np.int32) for p in polys]
                cv2.fillPoly(out[k], pts, 1)
            else:
                x0, y0, x1, y1 = np.round(b).astype(int)
                out[k, y0:y1, x0:x1] = 1
        return out

    def __getitem__(self, i: int):
        import torch

        image, boxes = self.load(i)
        labels = self.samples[i].labels + 1
        masks = self.masks(i, image.shape[:2], boxes) if self.with_masks else None
        if self.transform is not None:
            image, boxes, labels, masks = self.transform(image, boxes, labels, masks)
        target: dict[str, Any] = {
            "boxes": torch.as_tensor(np.asarray(boxes, np.float32).reshape(-1, 4)),
            "labels": torch.as_tensor(np.asarray(labels, np.int64).reshape(-1)),
            "image_id": i,
        }
        if masks is not None:
            target["masks"] = torch.as_tensor(np.asarray(masks, np.uint8).reshape(
                -1, *image.shape[:2]))
        x = torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1))).float().div_(255)
        return x, target


def collate(batch: Sequence[tuple[Any, Any]]) -> tuple[list[Any], list[Any]]:
    """Detection batches are lists: images differ in size and box counts."""
    return [b[0] for b in batch], [b[1] for b in batch]


def clip_boxes(boxes: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """``xyxy`` boxes clipped to an image of ``shape`` = (height, width)."""
    b = np.asarray(boxes, np.float32).reshape(-1, 4).copy()
    b[:, 0::2] = b[:, 0::2].clip(0, shape[1])
    b[:, 1::2] = b[:, 1::2].clip(0, shape[0])
    return b


# -- readers ---------------------------------------------------------------------------------


def _image_size(path: Path) -> tuple[int, int] | None:
    try:
        from PIL import Image

        with Image.open(path) as im:
            return im.size[1], im.size[0]
    except Exception:
        return None


def _finish(raws: list[_Raw], classes: Sequence[str] | None, what: str) -> DetectionDataset:
    """Index classes, drop bad boxes, clip, skip missing images; collect issues."""
    issues: list[str] = []
    if classes is None:
        classes = sorted({n for r in raws for n in r.names})
    index = {c: k for k, c in enumerate(classes)}
    samples: list[Sample] = []
    for r in raws:
        if not r.path.is_file():
            issues.append(f"{r.source}: image {r.path} not found — skipped")
            continue
        size = r.size or _image_size(r.path)
        boxes, labels, polys = [], [], []
        for k, (b, name) in enumerate(zip(r.boxes, r.names, strict=True)):
            x0, y0, x1, y1 = b
            if name not in index:
                issues.append(f"{r.source}: unknown class {name!r} (known: "
                              f"{', '.join(classes)}) — box dropped")
                continue
            if not all(np.isfinite(b)):
                issues.append(f"{r.source}: box {b} is not finite — dropped")
                continue
            if x0 > x1 or y0 > y1:
                issues.append(f"{r.source}: box {name} has xmin > xmax or ymin > ymax "
                              f"({x0:g}, {y0:g}, {x1:g}, {y1:g}) — dropped")
                continue
            if size is not None:
                c = clip_boxes(np.array(b, np.float32), size)[0]
                if not np.allclose(c, b):
                    issues.append(f"{r.source}: box {name} ({x0:g}, {y0:g}, {x1:g}, {y1:g}) "
                                  f"reaches outside the {size[1]}x{size[0]} image — clipped")
                x0, y0, x1, y1 = c.tolist()
            if x1 - x0 < 1 or y1 - y0 < 1:
                issues.append(f"{r.source}: box {name} is empty after clipping — dropped")
                continue
            boxes.append((x0, y0, x1, y1))
            labels.append(index[name])
            polys.append(r.polygons[k] if r.polygons is not None else None)
        if not r.boxes:
            issues.append(f"{r.source}: no boxes — kept as a negative image")
        samples.append(Sample(r.path, np.array(boxes, np.float32).reshape(-1, 4),
                              np.array(labels, np.int64), size,
                              polys if r.polygons is not None else None))
    if not samples:
        raise DataError(f"{what}: no usable images" + (f" ({issues[0]})" if issues else ""))
    return DetectionDataset(samples, classes, issues)


def _find_image(name: str, xml_path: Path, images_dir: Path | None) -> Path:
    cands = []
    if images_dir is not None:
        cands.append(images_dir / name)
    base = xml_path.parent
    cands += [base / name, base.parent / "images" / name, base.parent / "JPEGImages" / name]
    for c in cands:
        if c.is_file():
            return c
    return cands[0]


def read_voc(
    source: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    images_dir: str | os.PathLike[str] | None = None,
    *,
    classes: Sequence[str] | None = None,
) -> DetectionDataset:
    """Read Pascal VOC XML annotations.

    Args:
        source: a folder of ``.xml`` files (or one with an ``Annotations``/``annotations``
            sub-folder), or a list of ``.xml`` files.
        images_dir: where the images are; default: beside the XML, ``../images`` or
            ``../JPEGImages``.
        classes: the class names (default: sorted names found).

    Raises:
        DataError: no XML files, an unparsable file, or no usable image.
    """
    if isinstance(source, (str, os.PathLike)):
        root = Path(source)
        for sub in ("Annotations", "annotations"):
            if (root / sub).is_dir():
                root = root / sub
        files = sorted(root.glob("*.xml")) if root.is_dir() else [root]
    else:
        files = [Path(f) for f in source]
    if not files:
        raise DataError(f"{source}: no VOC .xml files found")
    img_dir = Path(images_dir) if images_dir is not None else None
    raws: list[_Raw] = []
    for f in files:
        try:
            root_el = ET.parse(f).getroot()
        except (ET.ParseError, OSError) as exc:
            raise DataError(f"{f}: not a readable VOC XML file: {exc}") from exc
        name = (root_el.findtext("filename") or f.with_suffix(".jpg").name).strip()
        size_el = root_el.find("size")
        size = None
        if size_el is not None:
            w, h = int(float(size_el.findtext("width") or 0)), int(
                float(size_el.findtext("height") or 0))
            size = (h, w) if w > 0 and h > 0 else None
        boxes, names = [], []
        for obj in root_el.iter("object"):
            bb = obj.find("bndbox")
            if bb is None:
                continue
            try:
                b = tuple(float(bb.findtext(k) or "nan") for k in ("xmin", "ymin", "xmax", "ymax"))
            except ValueError as exc:
                raise DataError(f"{f}: a bndbox value is not a number: {exc}") from exc
            boxes.append(b)
            names.append((obj.findtext("name") or "").strip())
        raws.append(_Raw(_find_image(name, f, img_dir), boxes, names, size, f.name))
    return _finish(raws, classes, str(source))


def read_csv(
    path: str | os.PathLike[str],
    images_dir: str | os.PathLike[str] | None = None,
    *,
    classes: Sequence[str] | None = None,
) -> DetectionDataset:
    """Read a CSV with columns ``filename,width,height,class,xmin,ymin,xmax,ymax`` (one row per
    box; a row with an empty ``class`` marks an image without boxes).

    Args:
        path: the CSV file.
        images_dir: where the images are (default: ``images/`` beside the CSV, else its folder).
        classes: class names (default: sorted names found).
    """
    p = Path(path)
    if not p.is_file():
        raise DataError(f"{p}: CSV file not found")
    if images_dir is None:
        images_dir = p.parent / "images" if (p.parent / "images").is_dir() else p.parent
    img_dir = Path(images_dir)
    need = {"filename", "class", "xmin", "ymin", "xmax", "ymax"}
    by_file: dict[str, _Raw] = {}
    with p.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = need - set(reader.fieldnames or [])
        if missing:
            raise DataError(f"{p}: missing column(s) {sorted(missing)}; expected "
                            "filename,width,height,class,xmin,ymin,xmax,ymax")
        for n, row in enumerate(reader, start=2):
            fname = row["filename"].strip()
            r = by_file.get(fname)
            if r is None:
                size = None
                if row.get("width") and row.get("height"):
                    size = (int(float(row["height"])), int(float(row["width"])))
                r = by_file[fname] = _Raw(img_dir / fname, [], [], size, f"{p.name}:{fname}")
            if not row["class"].strip():
                continue
            try:
                b = tuple(float(row[k]) for k in ("xmin", "ymin", "xmax", "ymax"))
            except ValueError as exc:
                raise DataError(f"{p} line {n}: a box value is not a number: {exc}") from exc
            r.boxes.append(b)
            r.names.append(row["class"].strip())
    if not by_file:
        raise DataError(f"{p}: no rows")
    return _finish(list(by_file.values()), classes, str(p))


def read_coco(
    path: str | os.PathLike[str],
    images_dir: str | os.PathLike[str] | None = None,
    *,
    classes: Sequence[str] | None = None,
) -> DetectionDataset:
    """Read COCO JSON (``images``, ``annotations`` with ``bbox`` = x, y, w, h, ``categories``);
    polygon ``segmentation`` is kept for Mask R-CNN. Crowd annotations are skipped.

    Args:
        path: the JSON file.
        images_dir: where ``file_name`` is relative to (default: the JSON's folder, or its
            ``images/``).
        classes: class names (default: the categories in id order).
    """
    p = Path(path)
    try:
        data = json.loads(p.read_text())
    except (OSError, ValueError) as exc:
        raise DataError(f"{p}: not a readable COCO JSON file: {exc}") from exc
    for key in ("images", "annotations", "categories"):
        if key not in data:
            raise DataError(f"{p}: no {key!r} list — not COCO detection JSON")
    if images_dir is None:
        images_dir = p.parent / "images" if (p.parent / "images").is_dir() else p.parent
    img_dir = Path(images_dir)
    cats = {c["id"]: c["name"] for c in sorted(data["categories"], key=lambda c: c["id"])}
    if classes is None:
        classes = list(cats.values())
    raws: dict[int, _Raw] = {}
    for im in data["images"]:
        size = (int(im["height"]), int(im["width"])) if "height" in im and "width" in im else None
        raws[im["id"]] = _Raw(img_dir / im["file_name"], [], [], size, im["file_name"], [])
    for a in data["annotations"]:
        r = raws.get(a.get("image_id"))
        if r is None or a.get("iscrowd", 0):
            continue
        x, y, w, h = (float(v) for v in a["bbox"])
        r.boxes.append((x, y, x + w, y + h))
        r.names.append(cats.get(a["category_id"], str(a["category_id"])))
        seg = a.get("segmentation")
        polys = [np.array(s, np.float32).reshape(-1, 2) for s in seg] if isinstance(
            seg, list) and seg else None
        r.polygons.append(polys)
    return _finish(list(raws.values()), classes, str(p))


def read_detection(
    source: str | os.PathLike[str],
    images_dir: str | os.PathLike[str] | None = None,
    *,
    classes: Sequence[str] | None = None,
) -> DetectionDataset:
    """Read any supported format: ``.csv``, ``.json`` (COCO), a ``.xml`` file or a VOC folder."""
    p = Path(source)
    if p.suffix.lower() == ".csv":
        return read_csv(p, images_dir, classes=classes)
    if p.suffix.lower() == ".json":
        return read_coco(p, images_dir, classes=classes)
    if p.suffix.lower() == ".xml" or p.is_dir():
        return read_voc(p, images_dir, classes=classes)
    raise DataError(f"{p}: expected a .csv, a COCO .json or a VOC folder/.xml")


def _split_file(root: Path, names: Sequence[str]) -> Path | None:
    for n in names:
        for suffix in (".csv", ".json"):
            for cand in (root / f"{n}{suffix}", root / f"{n}_labels{suffix}",
                         root / f"{n}_annotations{suffix}"):
                if cand.is_file():
                    return cand
    return None


@dataclass
class DetectionSplits:
    """Train and validation datasets with the classes of ``train``."""

    train: DetectionDataset
    val: DetectionDataset
    source: dict[str, str] = field(default_factory=dict)


def load_splits(
    data: str | os.PathLike[str],
    *,
    val: str | os.PathLike[str] | None = None,
    val_split: float = 0.2,
    seed: int = 0,
) -> DetectionSplits:
    """Train and validation sets from ``data``.

    ``data`` is an annotation file / VOC folder, or a folder holding ``train*.csv|json`` and
    ``val*`` (or ``test*``) files. With no validation file, ``val_split`` of the images are held
    out (seeded). Validation boxes of classes unknown to train are dropped and reported.
    """
    from oculi.core.split import split_indices

    root = Path(data)
    if not root.exists():
        raise DataError(f"{root}: no such file or folder")
    train_file = _split_file(root, ("train",)) if root.is_dir() else None
    if val is None and train_file is not None:
        val = _split_file(root, ("val", "valid", "validation", "test"))
    train = read_detection(train_file or root)
    src = {"train": str(train_file or root)}
    if val is not None:
        valset = read_detection(val, classes=train.classes)
        src["val"] = str(val)
    else:
        tr, va = split_indices(len(train), val_split or 0.2, seed=seed)
        valset, train = train.subset(va), train.subset(tr)
        src["val"] = f"{val_split or 0.2:g} of train (seed {seed})"
    return DetectionSplits(train, valset, src)


