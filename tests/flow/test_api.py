"""The public surface of oculi.flow, its doctests, and that importing it stays light."""

from __future__ import annotations

import doctest
import importlib
import subprocess
import sys

import pytest

PUBLIC = {"compute_flow", "methods", "horn_schunck", "lucas_kanade", "track_points", "farneback",
          "dis", "tvl1", "read_flo", "write_flo", "flow_to_color", "flow_legend",
          "draw_flow_arrows", "warp_image", "endpoint_error", "angular_error",
          "endpoint_error_map", "angular_error_map", "error_map_image", "flow_errors"}


def test_public_api_surface():
    import oculi.flow as flow

    assert set(flow.__all__) >= PUBLIC
    for name in flow.__all__:
        assert hasattr(flow, name)


@pytest.mark.parametrize("module", ["oculi.flow.flo", "oculi.flow.metrics", "oculi.flow.warp",
                                    "oculi.flow.viz", "oculi.flow.synthetic", "oculi.flow.hs"])
def test_doctests(module):
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0


def test_import_does_not_load_torch():
    code = "import sys, oculi.flow; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_compute_flow_unknown_setting_names_the_known_ones():
    import numpy as np
    import pytest

    from oculi.core.errors import ParameterError
    from oculi.flow import compute_flow

    frame = np.zeros((32, 32), np.float32)
    with pytest.raises(ParameterError, match=r"alfa.*alpha"):
        compute_flow(frame, frame, "hs", alfa=2.0)


@pytest.mark.parametrize("method", ["hs", "lk", "farneback", "dis", "tvl1"])
@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_nan_or_inf_frame_is_an_error(method, bad):
    # HS/LK returned NaN flow, Farneback/DIS/TV-L1 zeros, without a word
    import numpy as np

    from oculi.core.errors import ValueRangeError
    from oculi.flow import compute_flow

    a = np.random.default_rng(0).random((24, 32), dtype=np.float32)
    b = a.copy()
    b[5, 7] = bad
    with pytest.raises(ValueRangeError, match="image2: 1 NaN or infinite"):
        compute_flow(a, b, method)
    with pytest.raises(ValueRangeError, match="image1: 1 NaN or infinite"):
        compute_flow(b, a, method)
