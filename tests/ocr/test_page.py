"""Page preprocessing: skew, orientation, x-height, binarization, borders, coordinate mapping."""

from __future__ import annotations

import numpy as np
import pytest

from oculi.ocr.page import (
    binarize,
    denoise,
    estimate_skew,
    estimate_x_height,
    prepare_page,
    remove_border,
    rotate,
    text_mask,
)
from oculi.ocr.synth import render_page

TEXT = (
    "Optical character recognition turns\n"
    "images of text into strings of letters.\n"
    "A clean page with level lines reads best,\n"
    "so the pipeline measures and undoes skew."
)


@pytest.fixture(scope="module")
def page() -> np.ndarray:
    return render_page(TEXT, font_size=24)


@pytest.mark.parametrize("angle", [-9.0, -3.5, 2.0, 7.0, 12.0])
def test_estimate_skew_recovers_known_angle(page: np.ndarray, angle: float) -> None:
    tilted, _ = rotate(page, angle)
    assert estimate_skew(text_mask(tilted)) == pytest.approx(angle, abs=0.3)


def test_rotate_matrix_maps_pixels(page: np.ndarray, rng: np.random.Generator) -> None:
    img = rng.integers(0, 255, (7, 11), dtype=np.uint8)
    for angle in (90, 180, 270, -90):
        out, m = rotate(img, angle)
        np.testing.assert_array_equal(out, np.rot90(img, angle // 90))
        for y, x in [(0, 0), (3, 5), (6, 10)]:
            xp, yp, _ = m @ [x, y, 1]
            assert out[round(yp), round(xp)] == img[y, x]
    _, m = rotate(page, 8.0)
    # the centre of the page maps to the centre of the grown canvas
    h, w = page.shape
    out, m = rotate(page, 8.0)
    c = m @ [(w - 1) / 2, (h - 1) / 2, 1]
    assert c[:2] == pytest.approx([(out.shape[1] - 1) / 2, (out.shape[0] - 1) / 2], abs=0.6)


def test_x_height_matches_rendered_glyph() -> None:
    for size in (20, 40):
        img = render_page(TEXT, font_size=size)
        x_only = render_page("x", font_size=size)
        ys = np.nonzero(text_mask(x_only))[0]
        truth = ys.max() - ys.min() + 1
        assert estimate_x_height(text_mask(img)) == pytest.approx(truth, abs=1.5)


def test_x_height_nan_without_text() -> None:
    assert np.isnan(estimate_x_height(np.zeros((100, 100), bool)))


def test_sauvola_matches_skimage(page: np.ndarray, rng: np.random.Generator) -> None:
    from skimage.filters import threshold_sauvola

    ramp = np.linspace(60, 255, page.shape[1])[None, :]
    shaded = np.clip(page * (ramp / 255) + rng.normal(0, 4, page.shape), 0, 255).astype(np.uint8)
    ours = binarize(shaded, "sauvola", window=31, k=0.2)
    ref = np.where(shaded > threshold_sauvola(shaded, window_size=31, k=0.2), 255, 0)
    assert np.mean(ours == ref) > 0.998
    # uneven light: Otsu loses the text on the dark side, Sauvola keeps it
    ink_truth = page < 128
    dark = slice(0, page.shape[1] // 4)
    sauvola_recall = np.mean(ours[:, dark][ink_truth[:, dark]] == 0)
    assert sauvola_recall > 0.9


def test_denoise_removes_specks_only(page: np.ndarray) -> None:
    noisy = page.copy()
    pts = [(5, 5), (5, 200), (page.shape[0] - 6, 30)]
    for y, x in pts:
        noisy[y, x] = 0
    clean, n = denoise(noisy, min_area=3)
    assert n == 3
    np.testing.assert_array_equal(clean, page)


def test_remove_border_whitens_bands_keeps_text(page: np.ndarray) -> None:
    framed = np.pad(page, ((0, 60), (25, 0)), constant_values=255)
    framed[-40:, :] = 0  # scanner band at the bottom
    framed[:, :12] = 0  # and on the left
    out, removed = remove_border(framed)
    assert removed >= 40 * framed.shape[1]
    assert (out[-40:] == 255).all()
    np.testing.assert_array_equal(out[: page.shape[0], 25:], page)


def test_prepare_page_deskews_rescales_and_maps_boxes() -> None:
    img = render_page(TEXT, font_size=16, angle=6.0)
    prep = prepare_page(img, orientation=False)
    assert prep.skew == pytest.approx(6.0, abs=0.3)
    assert prep.x_height * prep.scale == pytest.approx(30, rel=0.1)
    assert [s.name for s in prep.steps] == ["border", "deskew", "rescale", "binarize", "denoise"]
    assert set(np.unique(prep.image)) <= {0, 255}
    # a box around the prepared page maps onto (roughly) the whole original
    h, w = prep.image.shape
    back = prep.to_original(np.array([[0, 0, w, h]]))[0]
    assert back == pytest.approx([0, 0, img.shape[1], img.shape[0]], abs=3)


def test_prepare_page_small_skew_left_alone() -> None:
    img = render_page(TEXT, font_size=30, angle=0.5)
    prep = prepare_page(img, orientation=False, rescale=False, binarization=None)
    assert prep.skew == 0.0
    np.testing.assert_array_equal(prep.image, img)


def test_orientation_detected(osd: None) -> None:
    from oculi.ocr.page import detect_orientation

    img = render_page(TEXT + "\n" + TEXT, font_size=30)
    for angle in (0, 90, 180, 270):
        rotated, _ = rotate(img, angle)
        assert detect_orientation(rotated)[0] == angle


def test_profile_orientation_without_osd() -> None:
    from oculi.ocr.page import detect_orientation

    img = render_page(TEXT + "\n" + TEXT, font_size=26)
    for angle in (0, 90, 180, 270):
        rotated, _ = rotate(img, angle)
        rot, conf = detect_orientation(rotated, method="profile")
        assert rot == angle
        assert conf > 1.5


def test_profile_orientation_on_phototest() -> None:
    from oculi.io import read_image
    from oculi.ocr.page import detect_orientation
    from tests.conftest import shared_set

    img = read_image(shared_set("ocr_pages") / "phototest.tif", mode="gray")
    for angle in (90, 180, 270):
        rotated, _ = rotate(img, angle)
        assert detect_orientation(rotated, method="profile")[0] == angle
