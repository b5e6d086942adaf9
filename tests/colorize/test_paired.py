"""Paired statistics of the held-out classifier test: exact McNemar and the bootstrap CI."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binomtest

from oculi.colorize.paired import bootstrap_difference, mcnemar
from oculi.core.errors import ParameterError, ShapeError


def _outcomes(both: int, a_only: int, b_only: int, neither: int):
    a = [1] * both + [1] * a_only + [0] * b_only + [0] * neither
    b = [1] * both + [0] * a_only + [1] * b_only + [0] * neither
    return np.array(a, bool), np.array(b, bool)


def test_mcnemar_counts_only_the_discordant_images():
    a, b = _outcomes(100, 1, 9, 40)
    r = mcnemar(a, b)
    assert (r["a_only"], r["b_only"], r["n"]) == (1, 9, 150)
    assert r["p"] == pytest.approx(2 * (1 + 10) / 2**10)  # 2·P(X ≤ 1), X ~ Bin(10, 1/2)
    assert r["p"] == pytest.approx(binomtest(1, 10, 0.5).pvalue)
    assert mcnemar(b, a)["p"] == r["p"]
    # the concordant images do not change the test, only the accuracies
    r2 = mcnemar(*_outcomes(3, 1, 9, 0))
    assert r2["p"] == r["p"] and r2["accuracy_a"] != r["accuracy_a"]


def test_mcnemar_without_a_difference_is_not_significant():
    assert mcnemar(*_outcomes(5, 7, 7, 5))["p"] == 1.0
    assert mcnemar(*_outcomes(5, 0, 0, 5))["p"] == 1.0
    for k in (12, 30, 61):
        assert mcnemar(*_outcomes(0, k, k + 1, 0))["p"] == pytest.approx(
            binomtest(k, 2 * k + 1, 0.5).pvalue)


def test_mcnemar_with_over_a_thousand_discordant_images():
    r = mcnemar(*_outcomes(10, 600, 540, 10))   # 2**1140 overflows a float
    assert r["p"] == pytest.approx(binomtest(540, 1140, 0.5).pvalue, rel=1e-9)
    assert 0.05 < r["p"] < 0.2


def test_bootstrap_interval_is_seeded_paired_and_about_the_normal_width():
    rng = np.random.default_rng(0)
    a = rng.random(400) < 0.7
    b = rng.random(400) < 0.6
    r = bootstrap_difference(a, b, seed=1)
    assert r == bootstrap_difference(a, b, seed=1)
    assert r["low"] < r["difference"] < r["high"]
    d = a.astype(float) - b
    half = 1.96 * d.std() / np.sqrt(d.size)
    assert (r["high"] - r["low"]) / 2 == pytest.approx(half, rel=0.15)
    # pairing: a constant per-image shift has no spread at all
    x = rng.normal(size=50)
    shifted = bootstrap_difference(x + 2.0, x)
    assert shifted["low"] == pytest.approx(2.0) and shifted["high"] == pytest.approx(2.0)


def test_bad_inputs_are_clear_errors():
    with pytest.raises(ShapeError, match="same length"):
        mcnemar([1, 0], [1])
    with pytest.raises(ShapeError, match="non-empty"):
        bootstrap_difference([], [])
    with pytest.raises(ParameterError, match="level"):
        bootstrap_difference([1.0], [0.0], level=1.0)
