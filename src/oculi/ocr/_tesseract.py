"""Private: driving the Tesseract 5 binary (Debian ``tesseract-ocr``) through pytesseract."""

from __future__ import annotations

import functools
import re
import shutil
from typing import Any

import numpy as np

from oculi.core.errors import MissingDependencyError, OculiError, ParameterError

#: ISO 639-2 codes that are not the Debian package suffix as is
_DEBIAN_NAMES = {"chi_sim": "chi-sim", "chi_tra": "chi-tra", "osd": "osd"}

INSTALL_HINT = (
    "install it with `sudo apt-get install tesseract-ocr tesseract-ocr-eng` "
    "(or run `make system-deps` as root)"
)


class TesseractError(OculiError, RuntimeError):
    """Tesseract ran but failed (bad configuration, unreadable input)."""


def debian_package(lang: str) -> str:
    """The Debian package that ships ``<lang>.traineddata``, e.g. ``tesseract-ocr-deu``."""
    name = _DEBIAN_NAMES.get(lang, lang.replace("_", "-").lower())
    return f"tesseract-ocr-{name}"


def tesseract_binary() -> str:
    """Path of the ``tesseract`` binary.

    Raises:
        MissingDependencyError: not on ``PATH``; the message says how to install it.
    """
    path = shutil.which("tesseract")
    if path is None:
        raise MissingDependencyError(
            f"tesseract: the Tesseract binary is not installed — {INSTALL_HINT}"
        )
    return path


@functools.lru_cache(maxsize=1)
def _languages_cached(binary: str) -> tuple[str, ...]:
    import pytesseract

    pytesseract.pytesseract.tesseract_cmd = binary
    return tuple(pytesseract.get_languages(config=""))


def available_languages() -> list[str]:
    """Languages with installed traineddata (``eng``, ``deu``, ``osd``, ...)."""
    return list(_languages_cached(tesseract_binary()))


def check_languages(lang: str) -> str:
    """Validate a ``+``-joined language string such as ``eng+deu``.

    Raises:
        ParameterError: an empty or malformed language string.
        MissingDependencyError: a language pack is missing; names the Debian package.
    """
    parts = [p for p in lang.split("+") if p]
    if not parts or any(not re.fullmatch(r"[A-Za-z_]+", p) for p in parts):
        raise ParameterError(f"lang: expected codes like 'eng' or 'eng+deu', got {lang!r}")
    have = set(available_languages())
    missing = [p for p in parts if p not in have]
    if missing:
        pkgs = " ".join(debian_package(p) for p in missing)
        raise MissingDependencyError(
            f"lang: Tesseract language pack(s) {', '.join(missing)} not installed "
            f"(have {', '.join(sorted(have)) or 'none'}) — "
            f"install with `sudo apt-get install {pkgs}`"
        )
    return "+".join(parts)


def _pil(image: np.ndarray):
    from PIL import Image

    return Image.fromarray(np.ascontiguousarray(image))


def _call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    import pytesseract

    pytesseract.pytesseract.tesseract_cmd = tesseract_binary()
    try:
        return fn(*args, **kwargs)
    except pytesseract.TesseractNotFoundError as exc:
        raise MissingDependencyError(f"tesseract: binary not found — {INSTALL_HINT}") from exc
    except pytesseract.TesseractError as exc:
        raise TesseractError(f"tesseract failed: {' '.join(str(exc.message).split())}") from exc


def osd(gray: np.ndarray) -> dict[str, Any] | None:
    """Tesseract orientation and script detection on an HxW uint8 page.

    Returns:
        pytesseract's OSD dict (``rotate``, ``orientation_conf``, ``script``, ...), or ``None``
        when the page has too few characters for OSD.

    Raises:
        MissingDependencyError: no tesseract binary or no ``osd.traineddata``.
    """
    import pytesseract

    if "osd" not in available_languages():
        raise MissingDependencyError(
            "orientation: Tesseract's osd.traineddata is not installed — "
            "install with `sudo apt-get install tesseract-ocr-osd`"
        )
    try:
        return _call(
            pytesseract.image_to_osd, _pil(gray), config="--psm 0",
            output_type=pytesseract.Output.DICT,
        )
    except TesseractError as exc:
        if "Too few characters" in str(exc) or "Invalid resolution" in str(exc):
            return None
        raise


def run_tsv(
    image: np.ndarray, *, lang: str, psm: int, dpi: int | None, extra: str = ""
) -> dict[str, list[Any]]:
    """Run Tesseract once and return the TSV table as a dict of columns."""
    import pytesseract

    config = f"--psm {psm}" + (f" --dpi {dpi}" if dpi else "") + (f" {extra}" if extra else "")
    return _call(
        pytesseract.image_to_data, _pil(image), lang=lang, config=config,
        output_type=pytesseract.Output.DICT,
    )


def render(
    image: np.ndarray, *, lang: str, psm: int, dpi: int | None, extension: str
) -> bytes:
    """Tesseract's own renderer: ``extension`` is ``"pdf"`` (searchable PDF) or ``"hocr"``."""
    import pytesseract

    config = f"--psm {psm}" + (f" --dpi {dpi}" if dpi else "")
    return _call(
        pytesseract.image_to_pdf_or_hocr, _pil(image), lang=lang, config=config,
        extension=extension,
    )
