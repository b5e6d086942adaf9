"""The public surface of oculi.depth, its doctests, and that importing it does not load torch."""

from __future__ import annotations

import doctest
import importlib
import subprocess
import sys

import pytest


@pytest.mark.parametrize("module", ["oculi.depth.align", "oculi.depth.metrics",
                                    "oculi.depth.maps"])
def test_doctests(module):
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0


def test_import_does_not_load_torch():
    code = "import sys, oculi.depth; print('torch' in sys.modules, oculi.depth.depth_loaders.names())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "['onnx',", "'state-dict']"]
