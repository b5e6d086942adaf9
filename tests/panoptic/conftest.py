"""Panoptic tests run torch on one thread, as the segmentation tests (the shared 2-core
machine)."""

from tests.segment.conftest import _one_thread  # noqa: F401  (the autouse fixture)
