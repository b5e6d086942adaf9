"""The OCR pipeline: prepare the page, run an engine, map the boxes back to the input image.

    >>> import numpy as np
    >>> from oculi.ocr import recognize
    >>> recognize(np.full((64, 64), 255, np.uint8), engine="tesseract").text  # doctest: +SKIP
    ''
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from oculi.core.checks import check_image
from oculi.core.convert import ensure_uint8
from oculi.ocr.engines import ocr_engines
from oculi.ocr.page import PreparedPage, prepare_page
from oculi.ocr.result import Line, OcrResult, Word

__all__ = ["create_engine", "read_text", "recognize"]


def create_engine(engine: str | Any = "tesseract", **options: Any) -> Any:
    """An engine instance from the registry (or ``engine`` itself when it is already one)."""
    if isinstance(engine, str):
        return ocr_engines.create(engine, **options)
    return engine


def _map_lines(lines: list[Line], page: PreparedPage) -> list[Line]:
    if not lines:
        return []
    boxes = np.array([w.box for ln in lines for w in ln.words], np.float64).reshape(-1, 4)
    mapped = page.to_original(boxes)
    out, k = [], 0
    for ln in lines:
        words = []
        for w in ln.words:
            words.append(Word(w.text, tuple(float(v) for v in mapped[k]), w.confidence))
            k += 1
        out.append(Line(words, ln.block))
    return out


def recognize(
    image: np.ndarray,
    *,
    engine: str | Any = "tesseract",
    lang: str | None = None,
    preprocess: bool | dict[str, Any] = True,
    keep_images: bool = False,
    **engine_options: Any,
) -> OcrResult:
    """Read the text in ``image``.

    Args:
        image: HxW or HxWx3 page or photo, uint8 RGB (float in [0, 1] is converted).
        engine: an :data:`oculi.ocr.ocr_engines` name (``"tesseract"``, ``"ppocr"``) or an
            engine object.
        lang: language(s), e.g. ``"eng"`` or ``"eng+deu+fra"`` (Tesseract); ``None`` for the
            engine's default.
        preprocess: ``True`` runs :func:`oculi.ocr.page.prepare_page` with the engine's defaults,
            a dict overrides its options, ``False`` feeds the image as is.
        keep_images: keep each preprocessing step's image in ``result.page.steps``.
        **engine_options: passed to the engine's constructor (``psm=6``, ``min_score=0.6`` ...).

    Returns:
        An :class:`OcrResult` whose boxes are pixels of ``image``; no lines when there is no text.

    Raises:
        MissingDependencyError: the engine (binary, language pack) is not installed.
    """
    check_image(image, "image")
    image = ensure_uint8(image)
    eng = create_engine(engine, **engine_options)
    t0 = time.perf_counter()
    if preprocess is not False:
        opts = dict(getattr(eng, "page_defaults", {}))
        if isinstance(preprocess, dict):
            opts.update(preprocess)
        page = prepare_page(image, keep_images=keep_images, **opts)
        lines = _map_lines(eng.recognize(page.image, lang), page)
        steps = [{"step": s.name, **s.params, "seconds": round(s.seconds, 4)} for s in page.steps]
    else:
        page = None
        lines = eng.recognize(image, lang)
        steps = []
    return OcrResult(
        lines, image.shape[:2], eng.name, lang or getattr(eng, "default_lang", ""), steps,
        time.perf_counter() - t0, page,
    )


def read_text(path: str | Path, **kwargs: Any) -> OcrResult:
    """Read an image file (``oculi.io.read_image``) and :func:`recognize` it."""
    from oculi.io import read_image

    return recognize(read_image(path, mode="unchanged"), **kwargs)


