"""Architecture guards: which oculi topics may import which (read from the source with ``ast``,
nothing imported), the recorded public API surface (``tests/api_surface.json``), and the
topics that must stay importable without torch.

Topics are the subpackages and top-level modules of ``src/oculi`` (``oculi.core``,
``oculi.detect``, ``oculi.tour``, ...); ``oculi`` itself is the root. Every ``import`` and
``from ... import`` statement counts, also inside functions and ``if TYPE_CHECKING:`` blocks;
relative imports are resolved against the importing module.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from tests.update_api_surface import API_SURFACE, inspect_modules, public_modules

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
PACKAGE = SRC / "oculi"

#: topics that train models for one task; the generic training wing (``oculi.train``) must not
#: know them (the task topics plug into it, not the other way round)
TASK_TOPICS = ("classify", "detect", "segment", "action", "generate", "restore", "track",
               "embed", "capsule", "colorize", "stylize", "compress", "panoptic")
#: topics whose private modules every topic may use
SHARED_TOPICS = ("core",)
#: importable without torch (checked in a fresh interpreter)
TORCH_FREE = (
    "oculi", "oculi.core", "oculi.io", "oculi.features", "oculi.geometry", "oculi.stitching",
    "oculi.flow", "oculi.preprocess", "oculi.video", "oculi.depth", "oculi.action", "oculi.batch",
)
#: known exceptions to the layer rules: importing module -> the topics it may import as well
LAYER_EXCEPTIONS = {
    # the I/O tour section shows the oculi.data samples in an oculi.report (loaded by oculi.tour)
    "oculi.io.tour": ("report", "data"),
}


@dataclass(frozen=True)
class Import:
    """One imported name: ``target`` is the full dotted name (``from a.b import c`` -> ``a.b.c``)."""

    path: Path
    line: int
    module: str
    target: str

    def __str__(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line} -> {self.target}"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    """The absolute module of ``from <node.module> import ...`` (relative imports resolved)."""
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _file_imports(path: Path) -> list[Import]:
    module = _module_name(path)
    is_package = path.name == "__init__.py"
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(node, module, is_package)
            targets = [base if a.name == "*" else f"{base}.{a.name}" for a in node.names]
        else:
            continue
        found += [Import(path, node.lineno, module, t) for t in targets
                  if t == "oculi" or t.startswith("oculi.")]
    return found


@cache
def all_imports() -> tuple[Import, ...]:
    """Every import of an ``oculi`` name in ``src/oculi``, in file and line order."""
    out: list[Import] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        out += sorted(_file_imports(path), key=lambda i: (i.line, i.target))
    return tuple(out)


@cache
def topics() -> frozenset[str]:
    """Subpackages and top-level modules of ``src/oculi``."""
    names = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    names |= {p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    return frozenset(names)


def topic_of(dotted: str) -> str:
    """``oculi.detect.data`` -> ``detect``; the root package (and names taken from it, such
    as ``oculi.__version__``) -> ``""``."""
    parts = dotted.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in topics() else ""


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _report(offending: list[Import], rule: str) -> str:
    return f"{rule}: {len(offending)} offending import(s)\n" + "\n".join(map(str, offending))


def _check(rule: str, offends, *, exceptions: bool = False) -> None:
    """Assert no import ``offends(importer topic, imported topic, import)``; ``exceptions``:
    the imports allowed by :data:`LAYER_EXCEPTIONS` are left out."""
    offending = [i for i in all_imports() if offends(topic_of(i.module), topic_of(i.target), i)
                 and not (exceptions and topic_of(i.target) in LAYER_EXCEPTIONS.get(i.module, ()))]
    assert not offending, _report(offending, rule)


def test_the_source_tree_is_parsed():
    imports = all_imports()
    assert {"core", "io", "train", "detect", "segment"} <= topics()
    assert any(i.target.startswith("oculi.core.") for i in imports)


def test_relative_imports_resolve():
    node = ast.parse("from ..core import checks").body[0]
    assert _resolve(node, "oculi.io.image", False) == "oculi.core"
    node = ast.parse("from . import _format").body[0]
    assert _resolve(node, "oculi.io", True) == "oculi.io"
    assert _resolve(node, "oculi.io.image", False) == "oculi.io"


def test_no_private_imports_across_topics():
    """``oculi.<a>`` never imports ``oculi.<b>.<...>._private`` (a module or a name) for
    another topic ``b``; ``oculi.core``'s private parts are shared by all."""

    def offends(a: str, b: str, imp: Import) -> bool:
        if b == a or b in SHARED_TOPICS:
            return False
        parts = imp.target.split(".")[1 if b == "" else 2:]
        return any(_is_private(p) for p in parts)

    _check("private module of another topic imported", offends)


def test_train_imports_no_task_topic():
    _check(f"oculi.train imports a task topic ({', '.join(TASK_TOPICS)})",
           lambda a, b, _i: a == "train" and b in TASK_TOPICS)


def test_detect_and_segment_are_independent():
    _check("oculi.detect and oculi.segment import each other",
           lambda a, b, _i: {a, b} == {"detect", "segment"})


def test_core_imports_no_other_topic():
    _check("oculi.core imports another oculi topic (or the oculi root)",
           lambda a, b, _i: a == "core" and b != "core", exceptions=True)


def test_io_imports_only_core():
    _check("oculi.io imports an oculi topic other than core",
           lambda a, b, _i: a == "io" and b not in ("core", "io"), exceptions=True)


def test_layer_exceptions_are_still_needed():
    used = {(i.module, topic_of(i.target)) for i in all_imports()}
    stale = [f"{m} -> oculi.{t}" for m, ts in LAYER_EXCEPTIONS.items() for t in ts
             if (m, t) not in used]
    assert not stale, f"remove these entries of LAYER_EXCEPTIONS, no longer imported: {stale}"


# -- public API surface ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def surface() -> dict[str, dict[str, list[str]]]:
    return inspect_modules(public_modules())


UPDATE = "if intended, run `python -m tests.update_api_surface` and commit tests/api_surface.json"


def _recorded() -> dict[str, list[str]]:
    if not API_SURFACE.exists():
        return {}
    return json.loads(API_SURFACE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def recorded() -> dict[str, list[str]]:
    if not API_SURFACE.exists():
        pytest.fail(f"{API_SURFACE.name} is missing; run `python -m tests.update_api_surface`")
    return _recorded()


def test_recorded_modules_are_the_public_modules(surface, recorded):
    added = sorted(set(surface) - set(recorded))
    removed = sorted(set(recorded) - set(surface))
    assert not added and not removed, (
        f"public modules (packages whose __init__ sets __all__) changed: added {added}, "
        f"removed {removed}; {UPDATE}")


@pytest.mark.parametrize("module", sorted(_recorded()))
def test_api_surface_unchanged(module, surface, recorded):
    if module not in surface:
        pytest.fail(f"{module} is recorded in {API_SURFACE.name} but no longer sets __all__; "
                    f"{UPDATE}")
    now = surface[module]["all"]
    added = sorted(set(now) - set(recorded[module]))
    removed = sorted(set(recorded[module]) - set(now))
    assert sorted(now) == recorded[module], (
        f"{module}.__all__ changed: added {added}, removed {removed}"
        + ("" if added or removed else " (a name is listed twice)") + f"; {UPDATE}")


def test_every_name_in_all_exists(surface):
    missing = {m: s["missing"] for m, s in surface.items() if s["missing"]}
    assert not missing, f"names in __all__ that the module does not define: {missing}"


# -- torch stays optional ---------------------------------------------------------------------


_WHO_IMPORTS_TORCH = """
import importlib, json, sys, traceback

class Spy:
    stack = None

    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if name == "torch" and cls.stack is None:
            cls.stack = [f"{f.filename}:{f.lineno}" for f in traceback.extract_stack()
                         if "/oculi/" in f.filename]
        return None

sys.meta_path.insert(0, Spy)
importlib.import_module(sys.argv[1])
print(json.dumps({"torch": "torch" in sys.modules, "stack": Spy.stack}))
"""


@pytest.mark.parametrize("module", TORCH_FREE)
def test_light_topics_do_not_import_torch(module):
    proc = subprocess.run([sys.executable, "-c", _WHO_IMPORTS_TORCH, module],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, f"import {module} failed:\n{proc.stderr}"
    out = json.loads(proc.stdout.splitlines()[-1])
    assert not out["torch"], (f"import {module} imports torch, through:\n"
                              + "\n".join(out["stack"] or []))
