"""Write an OCR result by file suffix: text, JSON, TSV, hOCR, searchable PDF."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from oculi.core.atomic import write_bytes_atomic, write_text_atomic
from oculi.core.errors import ParameterError
from oculi.ocr.result import OcrResult

__all__ = ["FORMATS", "write_result"]

#: suffix -> description
FORMATS = {
    ".txt": "plain text, one line per text line",
    ".json": "lines, words, boxes, confidences, preprocessing steps",
    ".tsv": "one row per word: block line word x0 y0 x1 y1 confidence text",
    ".hocr": "hOCR 1.2 (HTML with bbox and x_wconf)",
    ".html": "hOCR 1.2 (HTML with bbox and x_wconf)",
    ".pdf": "searchable PDF from Tesseract's PDF renderer (image + invisible text layer)",
}


def write_result(
    path: str | Path, result: OcrResult, image: np.ndarray | None = None, *, psm: int = 3
) -> Path:
    """Write ``result`` to ``path``; the suffix picks the format (see :data:`FORMATS`).

    The PDF is made by Tesseract's renderer from the preprocessed page (``result.page.image``,
    upright and deskewed) or, without preprocessing, from ``image``; Tesseract reads that image
    again to lay the text under it, so it needs the tesseract binary whatever engine produced
    ``result``.

    Raises:
        ParameterError: unknown suffix, or ``.pdf`` without an image.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in FORMATS:
        raise ParameterError(
            f"{p}: unknown output format {suffix or '(none)'}; expected one of {', '.join(FORMATS)}"
        )
    if suffix == ".txt":
        return write_text_atomic(p, result.text + ("\n" if result.text else ""))
    if suffix == ".json":
        return write_text_atomic(p, result.to_json() + "\n")
    if suffix == ".tsv":
        return write_text_atomic(p, result.to_tsv())
    if suffix in (".hocr", ".html"):
        return write_text_atomic(p, result.to_hocr(title=p.stem))
    source = result.page.image if result.page is not None else image
    if source is None:
        raise ParameterError(f"{p}: a searchable PDF needs the image; pass image=")
    from oculi.ocr.engines import TesseractEngine

    lang = result.lang if result.engine == "tesseract" else "eng"
    pdf = TesseractEngine(psm=psm).render(source, lang, extension="pdf")
    return write_bytes_atomic(p, pdf)
