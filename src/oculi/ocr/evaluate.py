"""Evaluate OCR over a folder of images with ground-truth text: CER/WER per page and averaged.

Ground truth is either ``<name>.txt`` beside ``<name>.<image suffix>`` (UTF-8, line breaks
optional) or a ``labels.csv`` with columns ``file,text``. Metrics follow
:mod:`oculi.ocr.metrics` (whitespace-normalised edit distance).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oculi.core.errors import DataError
from oculi.ocr.metrics import ErrorRates, error_rates, line_error_rates

__all__ = ["EvalReport", "PageScore", "evaluate_dir", "find_pairs"]

IMAGE_SUFFIXES = (".png", ".tif", ".tiff", ".jpg", ".jpeg", ".bmp", ".webp", ".pnm", ".pgm")


@dataclass
class PageScore:
    """One evaluated image: its rates, text, time, and per-line rates when available."""

    name: str
    rates: ErrorRates | None
    text: str = ""
    seconds: float = 0.0
    lines: list[dict[str, Any]] = field(default_factory=list)
    error: str = ""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {"name": self.name, **(self.rates.as_dict() if self.rates else {}),
                "seconds": round(self.seconds, 4), "text": self.text, "lines": self.lines,
                **({"error": self.error} if self.error else {})}


@dataclass
class EvalReport:
    """Scores over a folder.

    Attributes:
        pages: one :class:`PageScore` per image, sorted by name.
        mean_cer: mean of per-page CERs (pages that failed are excluded).
        mean_wer: mean of per-page WERs.
        total_cer: characters errors over all pages / reference characters over all pages.
    """

    pages: list[PageScore]
    engine: str
    preprocess: bool

    def _ok(self) -> list[PageScore]:
        return [p for p in self.pages if p.rates is not None]

    @property
    def mean_cer(self) -> float:
        ok = self._ok()
        return sum(p.rates.cer for p in ok) / len(ok) if ok else float("nan")

    @property
    def mean_wer(self) -> float:
        ok = self._ok()
        return sum(p.rates.wer for p in ok) / len(ok) if ok else float("nan")

    @property
    def total_cer(self) -> float:
        ok = self._ok()
        chars = sum(p.rates.ref_chars for p in ok)
        return sum(p.rates.char_errors for p in ok) / chars if chars else float("nan")

    @property
    def failed(self) -> list[PageScore]:
        """Pages that could not be read or recognised."""
        return [p for p in self.pages if p.rates is None]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (``failed``: ``name: reason`` of every page left out of the means)."""
        return {"engine": self.engine, "preprocess": self.preprocess,
                "mean_cer": self.mean_cer, "mean_wer": self.mean_wer,
                "total_cer": self.total_cer, "pages": [p.as_dict() for p in self.pages],
                "failed": [f"{p.name}: {p.error}" for p in self.failed]}


def find_pairs(folder: str | Path) -> list[tuple[Path, str]]:
    """``(image path, reference text)`` pairs: the images in ``folder`` sorted by file name,
    then the other ``labels.csv`` rows sorted by their ``file``.

    Every row of ``labels.csv`` gives a pair, also when its file is missing (reading it then
    fails and the page is reported, never silently dropped); ``file`` may name a sub-folder's
    image (``scans/p1.png``). A ``<name>.txt`` beside an image wins over its ``labels.csv`` row.

    Raises:
        DataError: the folder does not exist or holds no image with ground truth.
    """
    root = Path(folder)
    if not root.is_dir():
        raise DataError(f"{root}: not a folder; expected images with <name>.txt or labels.csv")
    labels: dict[str, str] = {}
    csv_path = root / "labels.csv"
    if csv_path.is_file():
        with csv_path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            if not reader.fieldnames or not {"file", "text"} <= set(reader.fieldnames):
                raise DataError(
                    f"{csv_path}: expected columns 'file,text', got {reader.fieldnames}"
                )
            for row in reader:
                labels[row["file"]] = row["text"]
    pairs = []
    for img in sorted(root.iterdir()):
        if img.suffix.lower() not in IMAGE_SUFFIXES:
            continue
        txt = img.with_suffix(".txt")
        if txt.is_file():
            pairs.append((img, txt.read_text(encoding="utf-8")))
        elif img.name in labels:
            pairs.append((img, labels[img.name]))
    seen = {p for p, _ in pairs}
    pairs += sorted((root / name, text) for name, text in labels.items()
                    if root / name not in seen)
    if not pairs:
        raise DataError(
            f"{root}: no image with ground truth (<name>.txt beside <name>.png/.tif/..., "
            "or labels.csv with columns file,text)"
        )
    return pairs


def evaluate_dir(
    folder: str | Path,
    *,
    engine: str = "tesseract",
    lang: str | None = None,
    preprocess: bool = True,
    lines: bool = False,
    **engine_options: Any,
) -> EvalReport:
    """Run :func:`oculi.ocr.recognize` on every image of ``folder`` with ground truth and score it.

    A page that fails (an unreadable image, or a ``labels.csv`` row whose file is missing) is kept
    in the report with its error (:attr:`EvalReport.failed`) and excluded from the means; a
    missing engine or language pack raises at once.

    Args:
        folder: the folder (see :func:`find_pairs`).
        engine: engine name.
        lang: language(s); engine default when ``None``.
        preprocess: run the document preprocessing.
        lines: also compute per-line rates (:func:`oculi.ocr.metrics.line_error_rates`) when the
            reference has more than one line.
        **engine_options: engine constructor options.
    """
    from oculi.core.errors import ImageReadError
    from oculi.io import read_image
    from oculi.ocr.pipeline import create_engine, recognize

    eng = create_engine(engine, **engine_options)
    pages = []
    root = Path(folder)
    for path, ref in find_pairs(root):
        name = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
        try:
            image = read_image(path, mode="unchanged")
        except ImageReadError as exc:
            pages.append(PageScore(name, None, error=str(exc)))
            continue
        res = recognize(image, engine=eng, lang=lang, preprocess=preprocess)
        score = PageScore(name, error_rates(ref, res.text), res.text, res.seconds)
        if lines and len([s for s in ref.splitlines() if s.strip()]) > 1:
            score.lines = [{"reference": r, "hypothesis": h, "cer": e.cer, "wer": e.wer}
                           for r, h, e in line_error_rates(ref, res.text)]
        pages.append(score)
    return EvalReport(pages, eng.name, preprocess)
