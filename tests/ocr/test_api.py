"""The public surface of oculi.ocr, and that importing it stays cheap."""

from __future__ import annotations

import subprocess
import sys


def test_public_api() -> None:
    import oculi.ocr as ocr

    assert set(ocr.__all__) == {
        "ErrorRates", "EvalReport", "Line", "OcrResult", "PPOCREngine", "PageScore",
        "PreparedPage", "TesseractEngine", "Word", "cer", "create_engine", "draw_boxes",
        "edit_distance", "ocr_engines", "error_rates", "evaluate_dir", "find_pairs",
        "line_error_rates", "normalize_text", "prepare_page", "read_text", "recognize", "wer",
        "write_result",
    }
    assert all(hasattr(ocr, name) for name in ocr.__all__)
    assert ocr.ocr_engines.names() == ["ppocr", "tesseract"]


def test_import_is_cheap() -> None:
    code = (
        "import sys, oculi.ocr; "
        "heavy = [m for m in ('torch', 'onnxruntime', 'pytesseract', 'rapidocr_onnxruntime', "
        "'cv2', 'skimage') if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_engines_module_is_not_hidden_by_the_registry() -> None:
    import types

    import pytest

    import oculi.ocr.engines as mod
    from oculi.ocr import ocr_engines

    assert isinstance(mod, types.ModuleType) and mod.TesseractEngine is not None
    with pytest.warns(DeprecationWarning, match="ocr_engines"):
        assert mod.engines is ocr_engines
