"""oculi.generate.generate / `oculi generate`: the image count is checked before any work
(a huge -n made every image in one batch and died of memory)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from oculi.cli.main import app
from oculi.core.errors import ParameterError
from oculi.generate.sample import MAX_IMAGES, generate


@pytest.mark.parametrize("n", [0, -3, MAX_IMAGES + 1, 100_000_000, 2.5, True])
def test_image_count_out_of_range_is_refused_first(tmp_path, n):
    with pytest.raises(ParameterError, match=r"n: expected 1\.\.10000"):
        generate(tmp_path / "no-such-run", n)


def test_cli_refuses_a_huge_count_in_one_line(tmp_path):
    out = CliRunner().invoke(app, ["generate", str(tmp_path), "-n", "100000000",
                                   "-o", str(tmp_path / "grid.png")])
    assert out.exit_code == 2, out.output
    assert "10000" in out.output and "Traceback" not in out.output
    assert not (tmp_path / "grid.png").exists()
