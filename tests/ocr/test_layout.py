"""Reading order of detected lines (XY-cut in the text's frame)."""

from __future__ import annotations

import math

import numpy as np

from oculi.ocr._layout import dominant_angle, reading_order


def _quad(x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float64)


def _layout() -> tuple[list[np.ndarray], list[str]]:
    quads, names = [_quad(50, 10, 650, 40)], ["title"]
    for col, x0 in (("L", 50), ("R", 360)):
        for i in range(6):
            quads.append(_quad(x0, 60 + 30 * i, x0 + 290, 84 + 30 * i))
            names.append(f"{col}{i}")
    # a justified line the detector split at a wide word gap, in a short region below
    quads += [_quad(50, 300, 200, 324), _quad(215, 300, 340, 324), _quad(50, 330, 180, 354)]
    names += ["S0a", "S0b", "S1"]
    return quads, names


def test_columns_read_one_after_the_other() -> None:
    quads, names = _layout()
    rows = reading_order(np.array(quads))
    order = [" ".join(names[i] for i in row) for row, _ in rows]
    # the widest gap (above the short section at the bottom) is cut first, then the title,
    # then the columns; the split line is one row
    assert order == ["title", *[f"L{i}" for i in range(6)], *[f"R{i}" for i in range(6)],
                     "S0a S0b", "S1"]
    blocks = {names[row[0]]: blk for row, blk in rows}
    assert blocks["L0"] == blocks["L5"] != blocks["R0"]


def test_order_survives_skew() -> None:
    quads, names = _layout()
    t = math.radians(7)
    rot = np.array([[math.cos(t), math.sin(t)], [-math.sin(t), math.cos(t)]])
    tilted = np.array([q @ rot.T for q in quads])
    assert abs(dominant_angle(tilted) + 7) < 1e-6
    straight = [[names[i] for i in row] for row, _ in reading_order(np.array(quads))]
    skewed = [[names[i] for i in row] for row, _ in reading_order(tilted)]
    assert skewed == straight
