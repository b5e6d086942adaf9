"""OCR: Tesseract and PP-OCR behind one pipeline, document preprocessing, CER/WER metrics.

    >>> from oculi.ocr import ocr_engines, cer
    >>> ocr_engines.names()
    ['ppocr', 'tesseract']
    >>> cer("hello world", "hello  world")
    0.0
"""

from oculi.ocr.engines import PPOCREngine, TesseractEngine, ocr_engines
from oculi.ocr.evaluate import EvalReport, PageScore, evaluate_dir, find_pairs
from oculi.ocr.export import write_result
from oculi.ocr.metrics import (
    ErrorRates,
    cer,
    edit_distance,
    error_rates,
    line_error_rates,
    normalize_text,
    wer,
)
from oculi.ocr.page import PreparedPage, prepare_page
from oculi.ocr.pipeline import create_engine, read_text, recognize
from oculi.ocr.result import Line, OcrResult, Word, draw_boxes

__all__ = [
    "ErrorRates",
    "EvalReport",
    "Line",
    "OcrResult",
    "PPOCREngine",
    "PageScore",
    "PreparedPage",
    "TesseractEngine",
    "Word",
    "cer",
    "create_engine",
    "draw_boxes",
    "edit_distance",
    "error_rates",
    "evaluate_dir",
    "find_pairs",
    "line_error_rates",
    "normalize_text",
    "ocr_engines",
    "prepare_page",
    "read_text",
    "recognize",
    "wer",
    "write_result",
]
