"""No registry in a package's namespace is named like one of the package's modules."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

from oculi.core.registry import Registry

LIGHT = ["features", "flow", "geometry", "ocr", "preprocess", "data", "stitching"]


@pytest.mark.parametrize("name", LIGHT)
def test_no_registry_hides_a_submodule(name: str) -> None:
    pkg = importlib.import_module(f"oculi.{name}")
    for info in pkgutil.iter_modules(pkg.__path__):
        attr = getattr(pkg, info.name, None)
        assert not isinstance(attr, Registry), (
            f"oculi.{name}.{info.name} is a registry, so `import oculi.{name}.{info.name}` "
            "does not give the module")
