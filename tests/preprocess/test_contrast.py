"""CLAHE (bit-exact vs OpenCV), equalize_hist (vs OpenCV), gamma (vs scikit-image), hue kept."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from skimage import data, exposure

from oculi.core.errors import DTypeError, ParameterError, ValueRangeError
from oculi.preprocess import clahe, equalize_hist, gamma

_RNG = np.random.default_rng(0)
_GRAY = {
    "camera": data.camera(),
    "coins": data.coins(),
    "noise_odd": _RNG.integers(0, 256, (97, 131), dtype=np.uint8),
    "tiny": _RNG.integers(0, 256, (5, 7), dtype=np.uint8),
    "flat": np.full((40, 40), 77, np.uint8),
}


@pytest.mark.parametrize("name", list(_GRAY))
@pytest.mark.parametrize("clip", [0.0, 1.0, 2.0, 4.5, 40.0])
@pytest.mark.parametrize("grid", [(8, 8), (3, 5), (1, 1)])
def test_clahe_uint8_identical_to_opencv(name: str, clip: float, grid: tuple[int, int]) -> None:
    image = _GRAY[name]
    ref = cv2.createCLAHE(clipLimit=clip, tileGridSize=(grid[1], grid[0])).apply(image)
    ours = clahe(image, clip_limit=clip, tiles=grid)
    assert ours.dtype == np.uint8
    assert int(np.abs(ours.astype(int) - ref.astype(int)).max()) == 0


@pytest.mark.parametrize("clip", [0.0, 2.0, 40.0])
def test_clahe_uint16_identical_to_opencv(clip: float) -> None:
    image = (_RNG.random((123, 157)) ** 2 * 65535).astype(np.uint16)
    ref = cv2.createCLAHE(clipLimit=clip, tileGridSize=(4, 6)).apply(image)
    ours = clahe(image, clip_limit=clip, tiles=(6, 4))
    assert ours.dtype == np.uint16
    assert int(np.abs(ours.astype(int) - ref.astype(int)).max()) == 0


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_clahe_numpy_reference_backend_identical(dtype: type) -> None:
    from oculi.preprocess._clahe_core import clahe_gray

    image = (_RNG.random((61, 83)) * np.iinfo(dtype).max).astype(dtype)
    ref = cv2.createCLAHE(clipLimit=3.0, tileGridSize=(5, 3)).apply(image)
    assert np.array_equal(clahe_gray(image, 3.0, (3, 5), backend="numpy"), ref)
    assert np.array_equal(clahe_gray(image, 3.0, (3, 5), backend="numba"), ref)


def _lab_hue_deg(rgb: np.ndarray) -> np.ndarray:
    lab = cv2.cvtColor(rgb.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)
    return np.degrees(np.arctan2(lab[..., 2], lab[..., 1])), np.hypot(lab[..., 1], lab[..., 2])


def _hue_error(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ha, ca = _lab_hue_deg(a)
    hb, cb = _lab_hue_deg(b)
    mask = (ca > 15) & (cb > 15)
    return np.abs((ha - hb + 180.0) % 360.0 - 180.0)[mask]


def test_clahe_colour_keeps_hue_and_changes_lightness() -> None:
    image = data.astronaut()
    out = clahe(image, clip_limit=3.0)
    assert out.shape == image.shape
    assert out.dtype == np.uint8
    err = _hue_error(image, out)
    assert err.size > 10_000
    assert float(np.median(err)) < 1.5
    assert float(np.percentile(err, 95)) < 8.0
    # per-RGB-channel CLAHE (what the L* path avoids) shifts hue measurably more
    naive = np.dstack([cv2.createCLAHE(3.0, (8, 8)).apply(image[..., c]) for c in range(3)])
    assert float(np.median(_hue_error(image, naive))) > 2 * float(np.median(err))
    # the L* channel is CLAHE'd exactly as the gray path would do it
    lab_in = cv2.cvtColor(image, cv2.COLOR_RGB2LAB)
    expected_l = cv2.createCLAHE(3.0, (8, 8)).apply(lab_in[..., 0])
    got_l = cv2.cvtColor(out, cv2.COLOR_RGB2LAB)[..., 0]
    assert float(np.abs(got_l.astype(int) - expected_l.astype(int)).mean()) < 1.0


def test_clahe_uint16_and_float_colour_paths() -> None:
    image = data.chelsea()
    out16 = clahe(image.astype(np.uint16) * 257, clip_limit=2.0)
    outf = clahe(image.astype(np.float32) / 255.0, clip_limit=2.0)
    out8 = clahe(image, clip_limit=2.0)
    assert out16.dtype == np.uint16
    assert outf.dtype == np.float32
    assert float(np.median(_hue_error(image, (out16 // 257).astype(np.uint8)))) < 1.5
    # both paths raise local contrast: the L* spread grows (OpenCV's 16-bit clip limit is relative
    # to 65536 bins, so the 8- and 16-bit results are not comparable level for level)
    spread = [
        float(cv2.cvtColor(im, cv2.COLOR_RGB2LAB)[..., 0].std())
        for im in (image, out8, (out16 // 257).astype(np.uint8))
    ]
    assert spread[1] > spread[0]
    assert spread[2] > spread[0]
    assert float(np.abs(outf * 255.0 - out16 / 257.0).max()) < 1.0


def test_clahe_alpha_and_hw1() -> None:
    rgba = np.dstack([data.astronaut(), np.full((512, 512), 200, np.uint8)])
    out = clahe(rgba)
    assert np.array_equal(out[..., 3], rgba[..., 3])
    hw1 = clahe(data.camera()[..., None])
    assert np.array_equal(hw1[..., 0], cv2.createCLAHE(2.0, (8, 8)).apply(data.camera()))


@pytest.mark.parametrize("name", ["camera", "coins", "noise_odd", "flat"])
def test_equalize_hist_identical_to_opencv(name: str) -> None:
    image = _GRAY[name]
    assert np.array_equal(equalize_hist(image), cv2.equalizeHist(image))


def test_equalize_hist_uint16_spans_full_range() -> None:
    image = (data.camera().astype(np.uint16) * 100 + 1000).astype(np.uint16)
    out = equalize_hist(image)
    assert out.min() == 0
    assert out.max() == 65535
    # same mapping as the 8-bit path up to scale (levels are a bijection of camera's levels)
    ref = cv2.equalizeHist(data.camera()).astype(float) / 255.0
    assert float(np.abs(out / 65535.0 - ref).max()) < 0.003


@pytest.mark.parametrize("g", [0.4, 1.0, 2.2])
def test_gamma_matches_skimage(g: float) -> None:
    image = data.astronaut()
    assert np.array_equal(gamma(image, g), exposure.adjust_gamma(image, g))
    # uint16: scikit-image truncates where oculi rounds, so they differ by at most one level
    image16 = data.camera().astype(np.uint16) * 257
    diff = gamma(image16, g).astype(int) - exposure.adjust_gamma(image16, g).astype(int)
    assert diff.min() >= 0
    assert diff.max() <= 1
    f = data.camera().astype(np.float32) / 255.0
    np.testing.assert_allclose(gamma(f, g, gain=0.9), np.clip(0.9 * f**g, 0, 1), atol=1e-6)


def test_bad_inputs() -> None:
    with pytest.raises(DTypeError, match="dtype"):
        clahe(np.zeros((8, 8), np.int32))
    with pytest.raises(ValueRangeError, match="divide by 255"):
        clahe(np.full((8, 8), 200.0, np.float32))
    with pytest.raises(ParameterError, match="clip_limit"):
        clahe(data.camera(), clip_limit=-1)
    with pytest.raises(ParameterError, match="tiles"):
        clahe(data.camera(), tiles=(0, 4))
    with pytest.raises(ParameterError, match="gamma"):
        gamma(data.camera(), 0.0)
    with pytest.raises(DTypeError):
        equalize_hist([[1, 2], [3, 4]])


@settings(max_examples=60, deadline=None)
@given(
    h=st.integers(1, 40),
    w=st.integers(1, 40),
    ty=st.integers(1, 9),
    tx=st.integers(1, 9),
    clip=st.sampled_from([0.0, 0.5, 1.0, 2.5, 40.0]),
    seed=st.integers(0, 2**16),
    sixteen=st.booleans(),
)
def test_clahe_property_identical_to_opencv(
    h: int, w: int, ty: int, tx: int, clip: float, seed: int, sixteen: bool
) -> None:
    rng = np.random.default_rng(seed)
    top = 65535 if sixteen else 255
    # a few levels or the full range, so both sparse and dense histograms occur
    levels = rng.integers(1, top + 1)
    image = (rng.integers(0, levels, (h, w)) * (top // max(levels - 1, 1))).astype(
        np.uint16 if sixteen else np.uint8
    )
    ref = cv2.createCLAHE(clipLimit=clip, tileGridSize=(tx, ty)).apply(image)
    assert np.array_equal(clahe(image, clip_limit=clip, tiles=(ty, tx)), ref)


@pytest.mark.parametrize(("shape", "dtype", "tiles", "size"), [
    ((40, 50), np.uint8, (100000, 100000), "11.7 TiB"),  # the probe's --tiles 100000
    ((2000, 2000), np.uint16, (1000, 1000), "366.2 GiB"),  # fits the image, not the memory
])
def test_a_tile_grid_too_large_for_memory_is_refused_at_once(shape, dtype, tiles, size) -> None:
    import time

    t0 = time.perf_counter()
    with pytest.raises(ParameterError, match=f"tiles: a {tiles[0]}x{tiles[1]} grid on a "
                                             f"{shape[0]}x{shape[1]} .* needs {size}"):
        clahe(np.zeros(shape, dtype), tiles=tiles)
    assert time.perf_counter() - t0 < 0.5
    # a grid finer than a tiny image stays legal, as in OpenCV
    tiny = np.arange(6, dtype=np.uint8).reshape(2, 3) * 40
    ref = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(9, 7)).apply(tiny)
    assert np.array_equal(clahe(tiny, tiles=(7, 9)), ref)
