import numpy as np
import pytest

from oculi.compress.coding import (
    PRECISION,
    SCALE_TABLE,
    decode_groups,
    encode_groups,
    gaussian_tables,
    quantize_pmf,
    scale_indexes,
)
from oculi.core.errors import DataError


def test_quantize_pmf_sums_to_the_precision_and_keeps_every_symbol():
    rng = np.random.default_rng(0)
    mass = rng.dirichlet(np.ones(50)) * 0.999
    mass[3] = 0.0
    counts = quantize_pmf(mass)
    assert counts.sum() == 2 ** PRECISION and counts.min() >= 1 and len(counts) == 51
    # proportional to the masses within one count (plus the fix-up on the largest)
    np.testing.assert_allclose(counts[:-1] / 2 ** PRECISION, mass, atol=2e-3)


def test_gaussian_tables_match_the_normal_distribution():
    from scipy.stats import norm

    tables = gaussian_tables()
    assert len(tables) == len(SCALE_TABLE)
    counts, offset = tables[40]
    s = SCALE_TABLE[40]
    k = np.arange(offset, offset + len(counts) - 1)
    expected = norm.cdf((k + 0.5) / s) - norm.cdf((k - 0.5) / s)
    np.testing.assert_allclose(counts[:-1] / 2 ** PRECISION, expected, atol=1e-4)
    assert scale_indexes(np.array([0.0, SCALE_TABLE[5], SCALE_TABLE[5] * 1.001, 1e6])
                         ).tolist() == [0, 5, 6, 63]


def test_round_trip_with_escapes_and_a_rate_near_the_entropy():
    rng = np.random.default_rng(1)
    tables = gaussian_tables()
    groups = rng.integers(0, len(tables), (6, 20, 30))
    scales = np.asarray(SCALE_TABLE)[groups]
    values = np.round(rng.normal(0, scales)).astype(np.int64)
    values[0, 0, :3] = [30000, -30000, 9999]  # far outside every table: escapes
    data = encode_groups(values, groups, tables)
    assert np.array_equal(decode_groups(data, groups, tables), values)
    # the stream costs about the information content of the values under the tables
    bits = 0.0
    for v, g in zip(values.ravel(), groups.ravel(), strict=True):
        counts, off = tables[g]
        i = v - off if 0 <= v - off < len(counts) - 1 else len(counts) - 1
        bits += -np.log2(counts[i] / 2 ** PRECISION) + (16 if i == len(counts) - 1 else 0)
    assert bits <= 8 * len(data) <= bits * 1.01 + 64


def test_truncated_stream_is_an_oculi_error():
    tables = gaussian_tables()
    groups = np.full((1000,), 50)
    values = np.round(np.random.default_rng(2).normal(0, SCALE_TABLE[50], 1000)).astype(int)
    data = encode_groups(values, groups, tables)
    with pytest.raises(DataError, match="multiple of 4"):
        decode_groups(data[:-1], groups, tables)
