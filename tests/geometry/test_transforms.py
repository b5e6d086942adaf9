"""Point-array conversion of the geometry module: non-numeric input is a clear error."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("bad", ["abc", b"xx", [["a", "b"]] * 5, [{}] * 5])
def test_points_that_are_not_numbers_are_a_dtype_error(bad):
    from oculi.core.errors import DTypeError
    from oculi.geometry import estimate_homography

    with pytest.raises(DTypeError, match="xy1"):
        estimate_homography(bad, bad)
