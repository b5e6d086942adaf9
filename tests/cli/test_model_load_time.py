"""``oculi -v`` says how long the model took to load, and ``--json`` records it
(``model_load_s``): measured once, in the loader (here Zero-DCE's weights through
``read_state_dict``), for any command that loads a model."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from oculi.cli.main import app
from oculi.io import write_image

runner = CliRunner()


@pytest.fixture
def dce(tmp_path):
    """A dark image and an (untrained) Zero-DCE state dict under the published key names."""
    import torch

    from oculi.restore.zero_dce import DCENet

    torch.manual_seed(0)
    state = {}
    for key, value in DCENet(plus=False).state_dict().items():  # convs.0.weight -> e_conv1.weight
        _, layer, kind = key.split(".")
        state[f"e_conv{int(layer) + 1}.{kind}"] = value
    torch.save(state, tmp_path / "dce.pth")
    rng = np.random.default_rng(0)
    write_image(tmp_path / "dark.png", (rng.random((32, 40, 3)) * 50).astype(np.uint8))
    return tmp_path


def _enhance(d, *root: str):
    return runner.invoke(app, [*root, "enhance", str(d / "dark.png"), "--method", "zero-dce",
                               "--model", str(d / "dce.pth"), "-o", str(d / "out.png"),
                               "--json", str(d / "s.json")])


def test_verbose_prints_the_load_time_and_json_records_it(dce) -> None:
    res = _enhance(dce, "-v")
    assert res.exit_code == 0, res.output
    lines = [x for x in res.output.splitlines() if x.startswith("loaded ")]
    assert len(lines) == 1 and lines[0].startswith(f"loaded {dce / 'dce.pth'} in ")
    summary = json.loads((dce / "s.json").read_text())
    assert summary["model_loads"] == [{"model": str(dce / "dce.pth"),
                                       "seconds": summary["model_load_s"]}]
    assert 0 < summary["model_load_s"] < 60


def test_quiet_without_verbose_and_no_load_no_field(dce) -> None:
    res = _enhance(dce)
    assert res.exit_code == 0 and "loaded " not in res.output
    gamma = runner.invoke(app, ["enhance", str(dce / "dark.png"), "--method", "gamma", "-o",
                                str(dce / "g.png"), "--json", str(dce / "g.json")])
    assert gamma.exit_code == 0, gamma.output
    assert "model_load_s" not in json.loads((dce / "g.json").read_text())
