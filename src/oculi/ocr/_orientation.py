"""Private: page orientation (0/90/180/270) from the ink alone, when Tesseract OSD is missing.

1. Horizontal or vertical lines: the row projection of horizontal text is peaky (lines and
   gaps), its column projection flat; compare the normalised sums of squares.
2. Upright or upside down: in Latin script, ascenders and capitals (b d f h k l t A-Z 0-9) are
   far more common than descenders (g j p q y). Within each text line the x-height core is the
   band of rows denser than half the line's peak; ink above the core beats ink below it on an
   upright page (about 2-3x on English text) and loses when the page is upside down.
"""

from __future__ import annotations

import numpy as np


def _peakiness(profile: np.ndarray) -> float:
    p = profile.astype(np.float64)
    total = p.sum()
    return float(np.square(p).sum() * len(p) / (total * total)) if total else 0.0


def _line_bands(rows: np.ndarray) -> list[tuple[int, int]]:
    on = rows > 0.02 * rows.max()
    bands, start = [], None
    for i, v in enumerate(np.append(on, False)):
        if v and start is None:
            start = i
        elif not v and start is not None:
            if i - start >= 4:
                bands.append((start, i))
            start = None
    return bands


def ascender_ratio(mask: np.ndarray) -> tuple[float, int]:
    """``(ink above the x-height core) / (ink below it)`` over the text lines of a horizontal page.

    Returns:
        The ratio (> 1 upright, < 1 upside down; 1.0 when undecided) and the number of lines.
    """
    rows = mask.sum(axis=1)
    above = below = 0.0
    lines = 0
    for a, b in _line_bands(rows):
        band = rows[a:b].astype(np.float64)
        core = np.nonzero(band > 0.5 * band.max())[0]
        if core.size == 0 or core.size == band.size:
            continue
        above += band[: core[0]].sum()
        below += band[core[-1] + 1:].sum()
        lines += 1
    if above + below == 0:
        return 1.0, lines
    return float((above + 1) / (below + 1)), lines


def profile_orientation(mask: np.ndarray) -> tuple[int, float]:
    """Orientation of a text page from its ink mask (HxW bool).

    Returns:
        ``(rotation, confidence)``: the counter-clockwise rotation the page has (0, 90, 180,
        270) and a confidence, ``|log(ascender ratio)|`` times the square root of the number
        of lines (0 when there is no text).
    """
    if not mask.any():
        return 0, 0.0
    vertical = _peakiness(mask.sum(axis=0)) > _peakiness(mask.sum(axis=1))
    m = np.rot90(mask, 1) if vertical else mask  # vertical text turned horizontal
    ratio, lines = ascender_ratio(m)
    upright = ratio >= 1.0
    # np.rot90 turned the page 90 degrees more: upright now means it had 270
    rotation = {(False, True): 0, (False, False): 180, (True, True): 270, (True, False): 90}[
        (bool(vertical), upright)]
    return rotation, float(abs(np.log(ratio)) * np.sqrt(max(lines, 1)))
