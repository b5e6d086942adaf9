"""Range coding of integer latents with ``constriction`` and integer probability tables.

Every probability table is a vector of integer counts summing to ``2**PRECISION`` (each count at
least 1) over a contiguous range of symbols plus one *escape* symbol (the tail mass): a value
outside the range is coded as the escape, then its exact value with a uniform model over 16 bits.
The counts are passed to ``constriction``'s categorical model as exactly representable floats,
so the encoder and the decoder build bit-identical models from the same integer table.

Values are coded in *groups* (a channel of the factorized prior, a scale index of the
hyperprior): group by group in ascending order, each group's values in their flat order.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from oculi.core.errors import DataError, MissingDependencyError

#: bits of the integer probability tables
PRECISION = 16
#: values are clamped to ±(VALUE_LIMIT) before coding (escapes are coded in 16 bits)
VALUE_LIMIT = 2 ** 15 - 1
#: the scales of the hyperprior's Gaussian tables (log-spaced, in quantisation steps)
SCALE_TABLE = tuple(math.exp(v) for v in np.linspace(math.log(0.11), math.log(256.0), 64))
_TAIL_STDS = 6.11  # two-sided tail of 1e-9 (Phi^-1(5e-10) = -6.11)


def _constriction():
    try:
        import constriction
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise MissingDependencyError("entropy coding needs constriction: pip install "
                                     "constriction") from exc
    return constriction.stream


def quantize_pmf(mass: np.ndarray) -> np.ndarray:
    """Integer counts (int64, L + 1, sum ``2**PRECISION``, each >= 1) of float masses of L
    symbols; the last count is the escape symbol, which gets the missing mass.

    >>> quantize_pmf(np.array([0.25, 0.5, 0.25])).tolist()
    [16384, 32767, 16384, 1]
    """
    mass = np.clip(np.nan_to_num(np.asarray(mass, np.float64)), 0.0, None)
    p = np.append(mass, max(0.0, 1.0 - float(mass.sum())))
    total = 1 << PRECISION
    n = len(p)
    if n >= total // 2:
        raise DataError(f"probability table of {n} symbols: too wide for {PRECISION}-bit counts")
    share = p / p.sum() * (total - n)
    counts = np.floor(share).astype(np.int64) + 1
    left = total - int(counts.sum())  # 0 <= left < n: to the largest remainders
    order = np.argsort(-(share - np.floor(share)), kind="stable")
    counts[order[:left]] += 1
    return counts


@lru_cache(maxsize=1)
def gaussian_tables() -> tuple[tuple[np.ndarray, int], ...]:
    """``(counts, offset)`` of each scale of :data:`SCALE_TABLE`: zero-mean Gaussians integrated
    over unit intervals, the range ±ceil(6.11·scale) (float64, exact integer quantisation)."""
    out = []
    for s in SCALE_TABLE:
        half = max(1, math.ceil(_TAIL_STDS * s))
        k = np.arange(-half, half + 1, dtype=np.float64)
        cdf = np.vectorize(lambda v, s=s: 0.5 * math.erfc(-v / (s * math.sqrt(2.0))))
        out.append((quantize_pmf(cdf(k + 0.5) - cdf(k - 0.5)), -half))
    return tuple(out)


def scale_indexes(scales: np.ndarray) -> np.ndarray:
    """The table index of each scale: the smallest table scale at least as large (int64)."""
    table = np.asarray(SCALE_TABLE, np.float32)
    idx = np.searchsorted(table, np.asarray(scales, np.float32), side="left")
    return np.minimum(idx, len(table) - 1).astype(np.int64)


def _to_bytes(words: np.ndarray) -> bytes:
    return np.asarray(words, np.uint32).astype("<u4").tobytes()


def encode_groups(values: np.ndarray, groups: np.ndarray,
                  tables: list[tuple[np.ndarray, int]] | tuple) -> bytes:
    """Range-code integer ``values`` (any shape) whose table is ``tables[groups]``.

    Args:
        values: integers, |v| <= :data:`VALUE_LIMIT`.
        groups: the table index of each value (same shape).
        tables: ``(counts, offset)`` per index: counts from :func:`quantize_pmf`, offset the
            value of symbol 0.

    Returns:
        The stream (a multiple of 4 bytes).
    """
    stream = _constriction()
    model = stream.model
    values = np.asarray(values, np.int64).ravel()
    groups = np.asarray(groups, np.int64).ravel()
    if np.abs(values).max(initial=0) > VALUE_LIMIT:
        raise DataError(f"latent values beyond ±{VALUE_LIMIT} cannot be coded")
    encoder = stream.queue.RangeEncoder()
    for g in np.unique(groups):
        counts, offset = tables[int(g)]
        n = len(counts) - 1
        sym = values[groups == g] - offset
        escape = (sym < 0) | (sym >= n)
        encoder.encode(np.where(escape, n, sym).astype(np.int32),
                       model.Categorical(counts.astype(np.float64), perfect=False))
        if escape.any():
            encoder.encode((values[groups == g][escape] + VALUE_LIMIT + 1).astype(np.int32),
                           model.Uniform(2 * (VALUE_LIMIT + 1)))
    return _to_bytes(encoder.get_compressed())


def decode_groups(data: bytes, groups: np.ndarray,
                  tables: list[tuple[np.ndarray, int]] | tuple) -> np.ndarray:
    """Invert :func:`encode_groups`: the int64 values, shaped like ``groups``.

    Raises:
        DataError: the stream ends early or holds symbols no table can produce.
    """
    stream = _constriction()
    model = stream.model
    if len(data) % 4:
        raise DataError("entropy-coded stream: length is not a multiple of 4 bytes (truncated)")
    shape = np.shape(groups)
    groups = np.asarray(groups, np.int64).ravel()
    out = np.zeros(groups.shape, np.int64)
    try:
        decoder = stream.queue.RangeDecoder(np.frombuffer(data, "<u4").astype(np.uint32))
        for g in np.unique(groups):
            counts, offset = tables[int(g)]
            n = len(counts) - 1
            where = groups == g
            sym = decoder.decode(model.Categorical(counts.astype(np.float64), perfect=False),
                                 int(where.sum())).astype(np.int64)
            vals = sym + offset
            escape = sym == n
            if escape.any():
                vals[escape] = decoder.decode(model.Uniform(2 * (VALUE_LIMIT + 1)),
                                              int(escape.sum())).astype(np.int64) - (
                                                  VALUE_LIMIT + 1)
            out[where] = vals
    except (ValueError, RuntimeError, AssertionError) as exc:
        raise DataError(f"entropy-coded stream: cannot be decoded ({exc})") from exc
    return out.reshape(shape)
