"""The preprocess tab in the browser: CLAHE equals oculi.preprocess.clahe; whitening; bad uploads."""

from __future__ import annotations

import numpy as np
import pytest

from tests.ui.conftest import UI


def test_preprocess_tab_clahe_equals_the_librarys(ui: UI) -> None:
    from oculi.io import decode_image, read_image
    from oculi.preprocess import clahe

    coins = ui.example("coins")
    ui.tab("preprocess")
    ui.upload("preprocess-in", coins)
    assert ui.run("preprocess") == ""
    ui.wait_image("preprocess-out")
    rows = ui.table("preprocess-table")
    shown = decode_image(ui.fetch(ui.file_url("preprocess-files", ".png")), mode="unchanged")
    ref = clahe(read_image(coins), clip_limit=2.0, tiles=8)
    assert shown.shape[:2] == ref.shape[:2]
    assert np.array_equal(shown.reshape(ref.shape), ref)
    assert float(rows[1][4]) == pytest.approx(float(ref.std()), abs=1e-3)
    assert float(rows[1][4]) > float(rows[0][4])  # CLAHE spreads the contrast
    ui.screenshot("preprocess")


def test_preprocess_tab_zca_whitening_flattens_the_spectrum(ui: UI) -> None:
    ui.tab("preprocess")
    ui.upload("preprocess-in", ui.example("coins"))
    ui.page.locator("#preprocess-operation").get_by_text("zca whitening").click()
    assert ui.run("preprocess") == ""
    ui.wait_image("preprocess-out")
    rows = ui.table("preprocess-table")
    # whitened patches have zero mean and (near) unit variance per pixel
    assert abs(float(rows[1][3])) < 0.05
    assert 0.5 < float(rows[1][4]) < 1.2
    ui.page.locator("#preprocess-operation").get_by_text("clahe").click()
