"""``oculi homography --features asift|...`` and pair matchers in ``oculi features compare``."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from oculi.cli.main import app
from oculi.geometry import corner_error
from oculi.io import write_image
from tests.features.test_asift import tilted_pair

runner = CliRunner()


@pytest.fixture(scope="module")
def tilted(tmp_path_factory):
    """The strongly tilted pair in the pairs layout (1/, 2/, h/)."""
    root = tmp_path_factory.mktemp("tilted")
    im1, im2, h = tilted_pair()
    for sub in ("1", "2", "h"):
        (root / sub).mkdir()
    write_image(root / "1" / "astro.png", im1)
    write_image(root / "2" / "astro.png", im2)
    np.savetxt(root / "h" / "astro.txt", h)
    return root, h


def test_homography_with_asift(tilted, tmp_path):
    root, h = tilted
    out = tmp_path / "h.json"
    res = runner.invoke(app, ["homography", str(root / "1" / "astro.png"),
                              str(root / "2" / "astro.png"), "--features", "asift",
                              "--json", str(out)])
    assert res.exit_code == 0, res.output
    est = np.array(json.loads(out.read_text())["model"])
    assert corner_error(est, h, (320, 320)) < 1.0  # sift: ~140 px on this pair


def test_homography_unknown_features_is_exit_2(tilted):
    root, _ = tilted
    res = runner.invoke(app, ["homography", str(root / "1" / "astro.png"),
                              str(root / "2" / "astro.png"), "--features", "asfit"])
    assert res.exit_code == 2
    assert "asfit" in res.output and "asift" in res.output and "Traceback" not in res.output
    assert len(res.output.strip().splitlines()) == 1


def test_compare_takes_pair_matchers(tilted, tmp_path):
    root, _ = tilted
    out = tmp_path / "c.json"
    res = runner.invoke(app, ["features", "compare", str(root), "--methods", "sift,asift",
                              "--json", str(out)])
    assert res.exit_code == 0, res.output
    assert "asift" in res.output
    rows = {m["method"]: m for m in json.loads(out.read_text())["methods"]}
    assert rows["asift"]["pairs"][0]["corner_error"] < 1.0
    assert rows["sift"]["pairs"][0]["corner_error"] > 20
    assert rows["asift"]["repeatability"] is None  # NaN in JSON: no keypoint protocol
    assert rows["asift"]["homography@3"] == 1.0


def test_homography_refine_rectifies_and_rematches(tmp_path):
    from tests.features.test_extreme_refine import perspective_pair

    im1, im2, h = perspective_pair(strength=2.2)
    write_image(tmp_path / "a.png", im1)
    write_image(tmp_path / "b.png", im2)
    out = tmp_path / "h.json"
    res = runner.invoke(app, ["homography", str(tmp_path / "a.png"), str(tmp_path / "b.png"),
                              "--refine", "--json", str(out)])
    assert res.exit_code == 0, res.output
    assert "refined:" in res.output
    js = json.loads(out.read_text())
    start = corner_error(np.array(js["initial_model"]), h, im1.shape[:2])
    err = corner_error(np.array(js["model"]), h, im1.shape[:2])
    assert err < 1.0 and err < start
    assert len(js["refinement"]["rounds"]) == 3
