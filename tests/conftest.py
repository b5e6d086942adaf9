"""Shared fixtures: paths to ../shared/data (skip when absent) and small synthetic images."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("OCULI_SHARED_DATA", _ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` (or $OCULI_SHARED_DATA); the test is skipped when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    return SHARED_DATA


def shared_set(name: str) -> Path:
    """Path of one shared data set; skips the calling test when it is absent."""
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"shared data set {name!r} not found at {path}")
    return path


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)
