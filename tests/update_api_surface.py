"""Rewrite ``tests/api_surface.json``: every public oculi package's ``__all__``, sorted.

Run from the repository root after an intended change of the public API, and commit the file::

    python -m tests.update_api_surface

``tests/test_architecture.py`` compares the packages' ``__all__`` with the file.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "oculi"
API_SURFACE = Path(__file__).with_name("api_surface.json")


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _sets_all(init: Path) -> bool:
    """Whether the module assigns ``__all__`` at its top level."""
    for node in ast.parse(init.read_text(encoding="utf-8"), str(init)).body:
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            targets = [node.target]
        else:
            continue
        if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
            return True
    return False


def public_modules() -> list[str]:
    """``oculi`` and every public package under it (no ``_`` component) whose ``__init__``
    sets ``__all__``, sorted."""
    found = []
    for init in PACKAGE.rglob("__init__.py"):
        parts = init.parent.relative_to(PACKAGE.parent).parts
        if not any(_is_private(p) for p in parts) and _sets_all(init):
            found.append(".".join(parts))
    return sorted(found)


_INSPECT = """
import importlib, json, sys
out = {}
for name in sys.argv[1:]:
    mod = importlib.import_module(name)
    names = list(mod.__all__)
    out[name] = {"all": names, "missing": [n for n in names if not hasattr(mod, n)]}
print(json.dumps(out))
"""


def inspect_modules(modules: list[str]) -> dict[str, dict[str, list[str]]]:
    """``{module: {"all": __all__, "missing": names of __all__ the module lacks}}``, read in one
    fresh interpreter (the imports' side effects stay out of the calling process)."""
    proc = subprocess.run([sys.executable, "-c", _INSPECT, *modules], capture_output=True,
                          text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"importing the public modules failed:\n{proc.stderr}")
    return json.loads(proc.stdout.splitlines()[-1])


def main() -> None:
    surface = {m: sorted(s["all"]) for m, s in inspect_modules(public_modules()).items()}
    old = json.loads(API_SURFACE.read_text(encoding="utf-8")) if API_SURFACE.exists() else {}
    API_SURFACE.write_text(json.dumps(surface, indent=2) + "\n", encoding="utf-8")
    for module in sorted(set(old) | set(surface)):
        added = sorted(set(surface.get(module, [])) - set(old.get(module, [])))
        removed = sorted(set(old.get(module, [])) - set(surface.get(module, [])))
        if module not in old or module not in surface:
            print(f"{module}: {'new module' if module in surface else 'module removed'}")
        elif added or removed:
            print(f"{module}: added {added}, removed {removed}")
    print(f"wrote {API_SURFACE.relative_to(ROOT)} ({len(surface)} modules)")


if __name__ == "__main__":
    main()
