"""Render pages from known text with a system font, for tests, the tour and quick checks.

The font is DejaVu (Debian ``fonts-dejavu-core``) when installed, else the DejaVu copy that
matplotlib ships, else Pillow's built-in bitmap font.

    >>> page = render_page("Hello world", font_size=24)
    >>> page.dtype, page.ndim
    (dtype('uint8'), 2)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["find_font", "paste_sign", "render_page"]

_SYSTEM_FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
)


def find_font(serif: bool = True) -> Path | None:
    """Path of a TrueType font from the system (or matplotlib's copy), ``None`` if there is none."""
    names = _SYSTEM_FONTS if serif else _SYSTEM_FONTS[::-1]
    for name in names:
        if Path(name).is_file():
            return Path(name)
    try:
        import matplotlib

        ttf = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
        cand = ttf / ("DejaVuSerif.ttf" if serif else "DejaVuSans.ttf")
        return cand if cand.is_file() else None
    except ImportError:  # pragma: no cover
        return None


def render_page(
    text: str,
    *,
    font_size: int = 28,
    margin: int = 40,
    line_spacing: float = 1.5,
    width: int | None = None,
    angle: float = 0.0,
    noise: float = 0.0,
    seed: int = 0,
) -> np.ndarray:
    """Render ``text`` (``\\n`` separates lines) black on white, optionally rotated and noisy.

    Args:
        text: the text; each line is drawn as is (no wrapping).
        font_size: font size in pixels (x-height is about half of it for DejaVu).
        margin: white margin in pixels.
        line_spacing: baseline distance as a multiple of ``font_size``.
        width: page width in pixels (default: the longest line plus margins).
        angle: counter-clockwise rotation in degrees (canvas grows to keep every pixel).
        noise: standard deviation of Gaussian noise in gray levels (0-255).
        seed: noise seed.

    Returns:
        HxW uint8 page.
    """
    from PIL import Image, ImageDraw, ImageFont

    path = find_font()
    font = (ImageFont.truetype(str(path), font_size) if path is not None
            else ImageFont.load_default(size=font_size))
    lines = text.split("\n")
    widths = [font.getlength(line) for line in lines] or [0]
    step = round(font_size * line_spacing)
    w = width or int(max(widths) + 2 * margin)
    h = int(2 * margin + step * max(len(lines), 1))
    img = Image.new("L", (w, h), 255)
    draw = ImageDraw.Draw(img)
    for i, line in enumerate(lines):
        draw.text((margin, margin + i * step), line, fill=0, font=font)
    page = np.asarray(img).copy()
    if angle:
        from oculi.ocr.page import rotate

        page, _ = rotate(page, angle)
    if noise > 0:
        rng = np.random.default_rng(seed)
        page = np.clip(page + rng.normal(0, noise, page.shape), 0, 255).astype(np.uint8)
    return page


def paste_sign(
    photo: np.ndarray,
    text: str,
    *,
    center: tuple[float, float] | None = None,
    font_size: int = 40,
    tilt: float = 0.25,
    colour: tuple[int, int, int] = (250, 240, 60),
    ink: tuple[int, int, int] = (20, 20, 120),
) -> tuple[np.ndarray, np.ndarray]:
    """Paste a perspective-warped sign with ``text`` into an RGB ``photo`` (scene-text stand-in).

    Args:
        photo: HxWx3 uint8 RGB.
        text: one line of text.
        center: ``(x, y)`` of the sign in the photo (default: the centre).
        font_size: font size in pixels before warping.
        tilt: perspective strength (0 is a flat, frontal sign).
        colour: sign RGB colour; ``ink``: text RGB colour.

    Returns:
        The new photo and the 4x2 float32 corners of the sign (``(x, y)``, clockwise from top-left).
    """
    import cv2
    from PIL import Image, ImageDraw, ImageFont

    path = find_font(serif=False)
    font = (ImageFont.truetype(str(path), font_size) if path is not None
            else ImageFont.load_default(size=font_size))
    tw = int(font.getlength(text))
    pad = font_size // 2
    sign = Image.new("RGB", (tw + 2 * pad, font_size + 2 * pad), colour)
    ImageDraw.Draw(sign).text((pad, pad // 2), text, fill=ink, font=font)
    sign_arr = np.asarray(sign)
    sh, sw = sign_arr.shape[:2]
    h, w = photo.shape[:2]
    cx, cy = center if center is not None else (w / 2, h / 2)
    src = np.float32([[0, 0], [sw, 0], [sw, sh], [0, sh]])
    dy = tilt * sh
    dst = np.float32([[cx - sw / 2, cy - sh / 2 - dy], [cx + sw / 2, cy - sh / 2 + dy],
                      [cx + sw / 2, cy + sh / 2 + dy], [cx - sw / 2, cy + sh / 2 - dy]])
    m = cv2.getPerspectiveTransform(src, dst)
    warped = cv2.warpPerspective(sign_arr, m, (w, h), flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.full((sh, sw), 255, np.uint8), m, (w, h)) > 127
    out = photo.copy()
    out[mask] = warped[mask]
    return out, dst
