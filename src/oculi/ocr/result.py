"""OCR results: words and lines with ``xyxy`` boxes, text and confidence; text/TSV/JSON/hOCR export
and an overlay image.

Boxes are float pixels ``(x0, y0, x1, y1)`` on the image the caller passed in (the pipeline maps
them back from the preprocessed page). Confidences are in [0, 1] (Tesseract's 0-100 is divided
by 100).

    >>> w = Word("hello", (0, 0, 50, 20), 0.9)
    >>> r = OcrResult([Line([w, Word("world", (60, 0, 110, 20), 0.8)])], (40, 200), "demo")
    >>> r.text
    'hello world'
    >>> round(r.lines[0].confidence, 2)
    0.85
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Line", "OcrResult", "Word", "draw_boxes"]


@dataclass(frozen=True)
class Word:
    """One recognised word.

    Attributes:
        text: the word, no surrounding whitespace.
        box: ``(x0, y0, x1, y1)`` float pixels.
        confidence: in [0, 1].
    """

    text: str
    box: tuple[float, float, float, float]
    confidence: float

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {"text": self.text, "box": [round(float(v), 1) for v in self.box],
                "confidence": round(float(self.confidence), 4)}


@dataclass(frozen=True)
class Line:
    """A text line: its words in reading order and a block index (paragraph/column)."""

    words: list[Word]
    block: int = 0

    @property
    def text(self) -> str:
        """The words joined by single spaces."""
        return " ".join(w.text for w in self.words)

    @property
    def box(self) -> tuple[float, float, float, float]:
        """Union of the word boxes (``xyxy``)."""
        b = np.array([w.box for w in self.words], np.float64).reshape(-1, 4)
        if not len(b):
            return (0.0, 0.0, 0.0, 0.0)
        lo, hi = b[:, :2].min(axis=0), b[:, 2:].max(axis=0)
        return (float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1]))

    @property
    def confidence(self) -> float:
        """Mean word confidence weighted by word length (0 for an empty line)."""
        n = sum(len(w.text) for w in self.words)
        if n == 0:
            return 0.0
        return sum(w.confidence * len(w.text) for w in self.words) / n

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {"text": self.text, "box": [round(v, 1) for v in self.box],
                "confidence": round(self.confidence, 4), "block": self.block,
                "words": [w.as_dict() for w in self.words]}


@dataclass
class OcrResult:
    """The result of :func:`oculi.ocr.recognize` on one image.

    Attributes:
        lines: text lines in reading order (empty when the image has no text).
        image_size: ``(height, width)`` of the image the boxes refer to.
        engine: the engine's name.
        lang: the language(s) asked for.
        preprocessing: what each preprocessing step did (name, parameters, seconds).
        seconds: wall time of preprocessing + recognition.
        page: the :class:`~oculi.ocr.page.PreparedPage` the engine read (``None`` without
            preprocessing).
    """

    lines: list[Line]
    image_size: tuple[int, int]
    engine: str
    lang: str = ""
    preprocessing: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    page: Any = field(default=None, repr=False, compare=False)

    @property
    def words(self) -> list[Word]:
        """All words in reading order."""
        return [w for line in self.lines for w in line.words]

    @property
    def text(self) -> str:
        """Plain text: one line per text line, a blank line between blocks."""
        out: list[str] = []
        prev = None
        for line in self.lines:
            if prev is not None and line.block != prev:
                out.append("")
            out.append(line.text)
            prev = line.block
        return "\n".join(out)

    @property
    def confidence(self) -> float:
        """Mean word confidence weighted by word length (0 when empty)."""
        words = self.words
        n = sum(len(w.text) for w in words)
        return sum(w.confidence * len(w.text) for w in words) / n if n else 0.0

    def __len__(self) -> int:
        return len(self.words)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (text, lines with words, size, engine, preprocessing, timing)."""
        return {
            "engine": self.engine, "lang": self.lang,
            "image_size": list(self.image_size), "text": self.text,
            "confidence": round(self.confidence, 4), "seconds": round(self.seconds, 4),
            "preprocessing": self.preprocessing,
            "lines": [line.as_dict() for line in self.lines],
        }

    def to_json(self) -> str:
        """:meth:`to_dict` as indented JSON."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def to_tsv(self) -> str:
        """One row per word: ``block line word x0 y0 x1 y1 confidence text`` with a header."""
        rows = ["block\tline\tword\tx0\ty0\tx1\ty1\tconfidence\ttext"]
        for li, line in enumerate(self.lines):
            for wi, w in enumerate(line.words):
                x0, y0, x1, y1 = (f"{v:.1f}" for v in w.box)
                text = w.text.replace("\t", " ")
                rows.append(f"{line.block}\t{li}\t{wi}\t{x0}\t{y0}\t{x1}\t{y1}\t{w.confidence:.4f}\t{text}")
        return "\n".join(rows) + "\n"

    def to_hocr(self, title: str = "oculi OCR") -> str:
        """An hOCR 1.2 page (``ocr_page`` / ``ocr_carea`` / ``ocr_line`` / ``ocrx_word``)."""

        def bbox(b: tuple[float, float, float, float]) -> str:
            return "bbox " + " ".join(str(round(v)) for v in b)

        h, w = self.image_size
        parts = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
            '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">',
            '<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" lang="en"><head>',
            f"<title>{html.escape(title)}</title>",
            '<meta http-equiv="Content-Type" content="text/html;charset=utf-8"/>',
            f'<meta name="ocr-system" content="oculi ({html.escape(self.engine)})"/>',
            '<meta name="ocr-capabilities" content="ocr_page ocr_carea ocr_line ocrx_word"/>',
            "</head><body>",
            f"<div class='ocr_page' id='page_1' title='bbox 0 0 {w} {h}'>",
        ]
        prev = None
        for li, line in enumerate(self.lines):
            if line.block != prev:
                if prev is not None:
                    parts.append("</div>")
                parts.append(f"<div class='ocr_carea' id='block_{line.block}'>")
                prev = line.block
            parts.append(f"<span class='ocr_line' id='line_{li}' title='{bbox(line.box)}'>")
            for wi, word in enumerate(line.words):
                conf = round(word.confidence * 100)
                parts.append(
                    f"<span class='ocrx_word' id='word_{li}_{wi}' "
                    f"title='{bbox(word.box)}; x_wconf {conf}'>{html.escape(word.text)}</span>"
                )
            parts.append("</span>")
        if prev is not None:
            parts.append("</div>")
        parts += ["</div>", "</body></html>"]
        return "\n".join(parts) + "\n"


def draw_boxes(
    image: np.ndarray, result: OcrResult, *, level: str = "word", labels: bool = False
) -> np.ndarray:
    """Draw word (or line) boxes on a copy of ``image``, coloured by confidence.

    Args:
        image: HxW or HxWx3 uint8 (the image the result refers to).
        result: the OCR result.
        level: ``"word"`` or ``"line"``.
        labels: write the recognised text above each box.

    Returns:
        HxWx3 uint8 RGB.
    """
    import cv2

    from oculi.core.checks import check_choice
    from oculi.core.convert import ensure_uint8, to_rgb

    check_choice(level, ("word", "line"), "level")
    canvas = np.ascontiguousarray(to_rgb(ensure_uint8(image))).copy()
    thick = max(1, round(max(canvas.shape[:2]) / 800))
    items = result.words if level == "word" else result.lines
    for item in items:
        c = float(np.clip(item.confidence, 0, 1))
        colour = (int(255 * (1 - c)), int(200 * c), 0)
        x0, y0, x1, y1 = (round(v) for v in item.box)
        cv2.rectangle(canvas, (x0, y0), (x1, y1), colour, thick)
        if labels and item.text:
            scale = max(0.3, (y1 - y0) / 40)
            cv2.putText(canvas, item.text.encode("ascii", "replace").decode(), (x0, max(0, y0 - 2)),
                        cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 255), 1, cv2.LINE_AA)
    return canvas
