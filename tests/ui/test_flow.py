"""The flow tab in the browser: the example pair's EPE equals oculi.flow's; bad uploads."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ui.conftest import UI


def test_flow_tab_epe_equals_the_librarys(ui: UI, tmp_path: Path) -> None:
    from oculi.flow import compute_flow, flow_errors, read_flo
    from oculi.io import read_image

    f1, f2, gt = ui.example("flow-1"), ui.example("flow-2"), ui.example("flow-gt")
    ui.tab("flow")
    ui.use_example("flow", 0, {"flow-in": f1.name, "flow-in2": f2.name, "flow-in3": gt.name})
    assert ui.run("flow") == ""
    ui.wait_image("flow-out")
    ui.wait_image("flow-out2")
    (row,) = ui.table("flow-table")
    field = compute_flow(read_image(f1, mode="unchanged"), read_image(f2, mode="unchanged"), "dis")
    ref = flow_errors(field, read_flo(gt))
    assert row[0] == "dis"
    assert float(row[3]) == pytest.approx(ref["epe"], abs=1e-3)
    assert float(row[4]) == pytest.approx(ref["ae"], abs=1e-3)
    assert ref["epe"] < 1.0  # DIS recovers the known motion (up to ~8 px) to under a pixel
    downloaded = tmp_path / "downloaded.flo"
    downloaded.write_bytes(ui.fetch(ui.file_url("flow-files", ".flo")))
    shown = read_flo(downloaded)
    assert float(abs(shown - field).max()) < 1e-5
    ui.screenshot("flow")
