"""Fixtures for the OCR tests: skip when the tesseract binary is absent."""

from __future__ import annotations

import shutil

import pytest


@pytest.fixture(scope="session")
def tesseract() -> str:
    """Path of the tesseract binary; skips the test when it is not installed."""
    path = shutil.which("tesseract")
    if path is None:
        pytest.skip("tesseract binary not installed (Debian: apt-get install tesseract-ocr); "
                    "`make test` installs it as root")
    return path


@pytest.fixture(scope="session")
def osd(tesseract: str) -> None:
    """Skips when Tesseract's osd.traineddata is missing."""
    from oculi.ocr._tesseract import available_languages

    if "osd" not in available_languages():
        pytest.skip("tesseract-ocr-osd not installed (orientation detection)")
