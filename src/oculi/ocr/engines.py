"""OCR engines behind one interface, in the :data:`ocr_engines` registry.

* ``tesseract`` — Tesseract 5 (Debian ``tesseract-ocr``) via pytesseract: LSTM recognizer, page
  segmentation modes, any installed language pack, word boxes and confidences from its TSV output.
* ``ppocr`` — PP-OCR (DB text detector + 0/180 direction classifier + CRNN/SVTR recognizer) from the
  ONNX models inside the ``rapidocr-onnxruntime`` wheel, run with onnxruntime; no download.

An engine is an object with ``name`` and ``recognize(image, lang) -> list[Line]`` where ``image``
is HxW or HxWx3 uint8 RGB and the boxes are pixels of that image.

    >>> from oculi.ocr.engines import ocr_engines
    >>> ocr_engines.names()
    ['ppocr', 'tesseract']
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from oculi.core.checks import check_image, check_positive
from oculi.core.convert import ensure_uint8, to_rgb
from oculi.core.deprecation import moved_names
from oculi.core.errors import MissingDependencyError, ParameterError
from oculi.core.registry import Registry
from oculi.ocr.result import Line, Word

__all__ = ["PPOCREngine", "TesseractEngine", "ocr_engines"]

#: every OCR engine by name (not named ``engines``: a package attribute named like the module
#: ``oculi.ocr.engines`` would hide the module)
ocr_engines: Registry[Any] = Registry("OCR engine")


#: the registry's old name, in this module only (a package attribute would hide the module)
__getattr__ = moved_names(__name__, {"engines": "oculi.ocr.engines:ocr_engines"})


@ocr_engines.register("tesseract",
                      help="Tesseract 5 LSTM (Debian tesseract-ocr), word boxes from TSV")
class TesseractEngine:
    """Tesseract 5 through pytesseract.

    Args:
        psm: page segmentation mode (3 automatic layout, 4 one column, 6 one block, 7 one line,
            11 sparse text, ...).
        dpi: resolution passed to Tesseract (``--dpi``); it only sets size heuristics, the
            pipeline already rescales text to a good x-height.
        min_confidence: words below this confidence (in [0, 1]) are dropped; 0 keeps all.
        config: extra Tesseract command-line options (``-c name=value``).
    """

    name = "tesseract"
    #: language used when the caller gives none
    default_lang = "eng"
    #: :func:`oculi.ocr.page.prepare_page` options used when preprocessing is on
    page_defaults: dict[str, Any] = {}  # noqa: RUF012 - read-only

    def __init__(
        self, *, psm: int = 3, dpi: int | None = 300, min_confidence: float = 0.0, config: str = ""
    ) -> None:
        if psm not in range(14) or psm in (0, 2):
            raise ParameterError(
                f"psm: expected a Tesseract page segmentation mode 1, 3-13, got {psm}"
            )
        self.psm, self.dpi, self.min_confidence, self.config = psm, dpi, min_confidence, config

    def recognize(self, image: np.ndarray, lang: str | None = None) -> list[Line]:
        """Recognise ``image`` (HxW or HxWx3 uint8) and return its lines with word boxes."""
        from oculi.ocr import _tesseract as tess

        check_image(image, "image")
        lang = tess.check_languages(lang or self.default_lang)
        data = tess.run_tsv(ensure_uint8(image), lang=lang, psm=self.psm, dpi=self.dpi,
                            extra=self.config)
        return _lines_from_tsv(data, self.min_confidence)

    def render(self, image: np.ndarray, lang: str | None = None, extension: str = "pdf") -> bytes:
        """Tesseract's own renderer output for ``image``: a searchable PDF or hOCR bytes."""
        from oculi.ocr import _tesseract as tess

        lang = tess.check_languages(lang or self.default_lang)
        return tess.render(ensure_uint8(image), lang=lang, psm=self.psm, dpi=self.dpi,
                           extension=extension)


def _lines_from_tsv(data: dict[str, list[Any]], min_confidence: float) -> list[Line]:
    groups: dict[tuple[int, int, int], list[Word]] = {}
    for i, level in enumerate(data["level"]):
        text = str(data["text"][i]).strip()
        conf = float(data["conf"][i])
        if int(level) != 5 or not text or conf < 0:
            continue
        conf /= 100.0
        if conf < min_confidence:
            continue
        x, y = float(data["left"][i]), float(data["top"][i])
        w, h = float(data["width"][i]), float(data["height"][i])
        key = (int(data["block_num"][i]), int(data["par_num"][i]), int(data["line_num"][i]))
        groups.setdefault(key, []).append(Word(text, (x, y, x + w, y + h), conf))
    return [Line(words, block=key[0]) for key, words in groups.items()]  # TSV is in reading order


@functools.lru_cache(maxsize=2)
def _rapidocr(threads: int) -> Any:
    try:
        from rapidocr_onnxruntime import RapidOCR
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise MissingDependencyError(
            "ppocr: rapidocr-onnxruntime is not installed — pip install rapidocr-onnxruntime"
        ) from exc
    return RapidOCR(intra_op_num_threads=threads, inter_op_num_threads=1, print_verbose=False)


@ocr_engines.register("ppocr",
                      help="PP-OCRv4 DB detector + direction classifier + recognizer (ONNX)")
class PPOCREngine:
    """PP-OCR text detection and recognition with the ONNX models shipped in rapidocr-onnxruntime.

    The detector (DB, differentiable binarization) finds text lines of any orientation, the
    classifier flips upside-down lines, the recognizer (PP-OCRv4, Chinese + Latin alphabet) reads
    each line crop; words and their boxes come from the per-character CTC positions.

    Args:
        min_score: lines whose recognition score (in [0, 1]) is below this are dropped.
        box_threshold: detector box score threshold.
        unclip_ratio: how far DB's shrunk text kernels are grown back into line boxes; 2.0
            (rapidocr's default is 1.6) leaves the recognizer a margin around the glyphs — on the
            ocr_numbers crops 1.6 read a bold "2" as "%", 2.0 reads all six.
        pad: white margin added around the image (fraction of the short side, at least 16 px) so
            text touching the edge, or a tiny crop with one word, is still detected.
        threads: onnxruntime intra-op threads (default: all cores).
    """

    name = "ppocr"
    default_lang = "ch+en"
    #: the detector copes with skew, scale and uneven light itself: only orientation and borders
    page_defaults: dict[str, Any] = {  # noqa: RUF012 - read-only
        "deskew": False, "rescale": False, "binarization": None,
    }

    def __init__(
        self, *, min_score: float = 0.5, box_threshold: float = 0.5, unclip_ratio: float = 2.0,
        pad: float = 0.1, threads: int | None = None,
    ) -> None:
        check_positive(pad, "pad", allow_zero=True)
        check_positive(unclip_ratio, "unclip_ratio")
        self.min_score, self.box_threshold, self.pad = min_score, box_threshold, pad
        self.unclip_ratio = unclip_ratio
        import os

        self.threads = threads or os.cpu_count() or 1

    def recognize(self, image: np.ndarray, lang: str | None = None) -> list[Line]:
        """Recognise ``image`` (HxW or HxWx3 uint8); ``lang`` is ignored."""
        import cv2

        check_image(image, "image")
        rgb = to_rgb(ensure_uint8(image))
        h, w = rgb.shape[:2]
        p = max(16, round(self.pad * min(h, w))) if self.pad > 0 else 0
        if p:
            edge = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]])
            fill = tuple(int(v) for v in np.median(edge, axis=0))
            rgb = cv2.copyMakeBorder(rgb, p, p, p, p, cv2.BORDER_CONSTANT, value=fill)
        bgr = np.ascontiguousarray(rgb[..., ::-1])
        engine = _rapidocr(self.threads)
        res, _ = engine(bgr, return_word_box=True, box_thresh=self.box_threshold,
                        unclip_ratio=self.unclip_ratio, text_score=self.min_score)
        if not res:
            return []
        quads, lines = [], []
        for item in res:
            quad = np.asarray(item[0], np.float64) - p
            text, score = str(item[1]), float(item[2])
            char_boxes = item[3] if len(item) > 3 else None
            char_scores = item[5] if len(item) > 5 else None
            words = [
                Word(wd.text, (min(max(wd.box[0], 0.0), w), min(max(wd.box[1], 0.0), h),
                               min(max(wd.box[2], 0.0), w), min(max(wd.box[3], 0.0), h)),
                     wd.confidence)
                for wd in _split_words(text, score, quad, char_boxes, char_scores, p)
            ]  # clipped to the image (the detector may reach into the padding)
            if words:
                quads.append(quad)
                lines.append(words)
        from oculi.ocr._layout import reading_order

        return [Line([w for i in row for w in lines[i]], block=blk)
                for row, blk in reading_order(np.array(quads))]


def _split_words(
    text: str, score: float, quad: np.ndarray, char_boxes: Any, char_scores: Any, p: int
) -> list[Word]:
    """Group per-character boxes into space-separated words (fallback: the whole line)."""
    x0, y0 = quad.min(axis=0)
    x1, y1 = quad.max(axis=0)
    line_box = (float(x0), float(y0), float(x1), float(y1))
    if not char_boxes or len(char_boxes) != len(text) or char_scores is None:
        return [Word(t, line_box, score) for t in [" ".join(text.split())] if t]
    words, cur, boxes, scores = [], [], [], []

    def flush() -> None:
        if cur:
            b = np.array(boxes, np.float64).reshape(-1, 2) - p
            words.append(Word("".join(cur), (float(b[:, 0].min()), float(b[:, 1].min()),
                                             float(b[:, 0].max()), float(b[:, 1].max())),
                              float(np.mean(scores))))
            cur.clear()
            boxes.clear()
            scores.clear()

    for ch, box, sc in zip(text, char_boxes, char_scores, strict=False):
        if ch.isspace():
            flush()
            continue
        cur.append(ch)
        boxes.extend(box)
        scores.append(float(sc))
    flush()
    return words
