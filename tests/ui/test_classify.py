"""The classify tab in the browser: chelsea is a cat, as oculi.classify says; bad uploads."""

from __future__ import annotations

import pytest

from tests.ui.conftest import UI

#: ImageNet's domestic cats: tabby, tiger cat, Persian, Siamese, Egyptian
CATS = range(281, 286)


def test_classify_tab_names_a_cat_for_chelsea(ui: UI) -> None:
    from oculi.classify import classify
    from oculi.io import read_image

    chelsea = ui.example("chelsea")
    ui.tab("classify")
    ui.use_example("classify", 0, {"classify-in": chelsea.name})
    assert ui.run("classify") == ""
    rows = ui.table("classify-table")
    assert len(rows) == 5
    (ref,) = classify(read_image(chelsea), "efficientnet_lite0", top=5, allow_download=False)
    assert [int(r[2]) for r in rows] == [p.index for p in ref]
    assert int(rows[0][2]) in CATS
    assert float(rows[0][3]) == pytest.approx(ref[0].probability, abs=1e-3)
    assert rows[0][1] in ui.page.locator("#classify-out").inner_text()
    ui.screenshot("classify")
