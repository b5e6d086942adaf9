"""The validation crops the compress and restore tasks share (oculi.restore.patches.central_crops)."""

import numpy as np
import pytest

from oculi.core.errors import DataError
from oculi.io import write_image


def test_central_crops_skip_small_and_broken_files_and_stop_at_the_limit(tmp_path):
    from oculi.restore.patches import central_crops

    rng = np.random.default_rng(0)
    big = rng.integers(0, 256, (80, 100, 3), dtype=np.uint8)
    write_image(tmp_path / "a.png", big)
    write_image(tmp_path / "small.png", big[:40, :40])
    (tmp_path / "broken.png").write_bytes(b"not a png")
    write_image(tmp_path / "b.png", big[::-1])
    sources = [str(tmp_path / n) for n in ("small.png", "broken.png", "a.png", "b.png")]
    skipped: dict[str, str] = {}
    crops = central_crops(sources, 64, 1, skipped)
    assert [s for s, _ in crops] == [sources[2]]
    assert np.array_equal(crops[0][1], big[8:72, 18:82])
    assert "smaller than val_size 64" in skipped[sources[0]] and sources[1] in skipped
    with pytest.raises(DataError, match=r"none of 2 image.*small\.png: 40x40 is smaller"):
        central_crops(sources[:2], 64, 4, {})
