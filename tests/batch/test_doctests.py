"""The examples in the oculi.batch module docs run."""

from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize("module", ["oculi.batch.inputs", "oculi.batch.jobs",
                                    "oculi.batch.pool", "oculi.batch.tune"])
def test_module_examples(module):
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0
