"""CER/WER by edit distance: against a plain dynamic programme and hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

from oculi.ocr.metrics import (
    cer,
    edit_distance,
    error_rates,
    line_error_rates,
    normalize_text,
    wer,
)


def _reference_levenshtein(a, b) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def test_edit_distance_matches_textbook_dp(rng: np.random.Generator) -> None:
    alphabet = list("abcde ")
    for _ in range(200):
        a = "".join(rng.choice(alphabet, rng.integers(0, 25)))
        b = "".join(rng.choice(alphabet, rng.integers(0, 25)))
        assert edit_distance(a, b) == _reference_levenshtein(a, b)


def test_edit_distance_known_values() -> None:
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("", "abc") == 3
    assert edit_distance("flaw", "lawn") == 2
    assert edit_distance(["the", "cat"], ["the", "hat", "sat"]) == 2
    assert edit_distance("über", "uber") == 1  # one code point, not one byte


def test_normalisation_collapses_whitespace_and_composes() -> None:
    assert normalize_text("  a\t b\n\n c \u00a0d ") == "a b c d"
    assert normalize_text("u\u0308ber") == "\u00fcber"  # NFC
    assert cer("a  b\nc", "a b c") == 0.0


def test_cer_wer_values() -> None:
    r = error_rates("The quick brown fox", "The quick brown f0x jumps")
    # "f0x" substitution + " jumps" insertion = 1 + 6 character edits over 19 characters
    assert r.char_errors == 7
    assert r.ref_chars == 19
    assert r.cer == pytest.approx(7 / 19)
    assert r.wer == pytest.approx(2 / 4)
    assert wer("", "") == 0.0
    assert cer("", "x") == 1.0
    assert cer("abc", "") == 1.0


def test_line_error_rates_align_missing_line() -> None:
    ref = "first line\nsecond line\nthird line"
    hyp = "first line\nthird lime"
    rows = line_error_rates(ref, hyp)
    assert [h for _, h, _ in rows] == ["first line", "", "third lime"]
    assert [round(e.cer, 3) for _, _, e in rows] == [0.0, 1.0, 0.1]


def test_long_page_is_fast() -> None:
    import time

    rng = np.random.default_rng(1)
    a = "".join(rng.choice(list("abcdefgh "), 3000))
    b = a[:1500] + "xyz" + a[1503:]
    t0 = time.perf_counter()
    assert edit_distance(a, b) == 3
    assert time.perf_counter() - t0 < 5.0
