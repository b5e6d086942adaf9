"""The tab registry of ``oculi ui``: one module per tab, one ``build(ctx)`` per module.

The contract (docs/ui.md says the same for users adding a tab):

* **A module per tab**: ``src/oculi/ui/tabs/<name>.py`` defines ``build(ctx)`` and registers it::

      from oculi.ui.tabs import tabs

      @tabs.register("flow", help="two frames -> flow colour map, arrows, EPE", order=30,
                     title="Optical flow")
      def build(ctx):
          ...

  ``help`` is shown at the top of the tab; the metadata ``title`` is the tab's label (default:
  the name, capitalised) and ``order`` its position (ascending; ties by name). Then add the
  module's name to :data:`MODULES` below (one line): :func:`load` imports exactly those.
* **build(ctx) makes components only**: ``oculi.ui.app`` has already opened the ``gr.Tab``;
  ``build`` creates the inputs, the button, the outputs and wires the event. Handlers call the
  library's public functions (no logic of their own) and are wrapped with ``ctx.guard(fn)``,
  which turns an ``oculi`` error into a one-line ``gr.Error`` (any other exception into
  ``unexpected error (Type): message``) and shows progress. Heavy imports (torch, OpenCV,
  models) happen inside the handler, not at module level.
* **ctx** (:class:`oculi.ui.context.TabContext`): ``ctx.example(name) -> Path`` example inputs
  (:mod:`oculi.ui.examples`: chelsea, astronaut, coins, flow-1/flow-2/flow-gt, stitch-1..3,
  stereo-left/right, ocr-page, ...); ``ctx.output_path(stem, suffix) -> Path`` a fresh result
  path in ``ctx.work_dir`` (the only folder the app serves); ``ctx.guard(fn)``.
* **Element ids** (the browser tests find components by them): the run button
  ``"<name>-run"``; the main inputs ``"<name>-in"``, ``"<name>-in2"``, ``"<name>-in3"``, ...;
  options ``"<name>-<option>"``; the main output ``"<name>-out"`` (more pictures
  ``"<name>-out2"``, ...); a table ``"<name>-table"``; text ``"<name>-text"``; downloadable
  result files (PNG, JSON, mp4) ``"<name>-files"``; example rows ``"<name>-examples"``.
  :mod:`oculi.ui.tabs.widgets` makes them. The tour's screenshots click the first example
  row, then ``"<name>-run"``, and wait for ``"<name>-out"``.
* **Image inputs** use :func:`oculi.ui.tabs.widgets.image_input` (a file path that oculi's own
  reader opens, so a broken upload gives oculi's readable error, not a Gradio one).
* **Tests**: ``tests/ui/test_<name>.py`` with the ``ui`` fixtures of ``tests/ui/conftest.py``
  (one app server and one browser per session; every request must stay on 127.0.0.1).

Importing this package imports neither gradio nor the tab modules; :func:`load` does.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from oculi.core.registry import Entry, Registry

#: name -> build(ctx); metadata: ``title`` (label), ``order`` (position)
tabs: Registry[Callable[[Any], Any]] = Registry("ui tab")

#: the tab modules (``oculi.ui.tabs.<name>``), imported and so registered by :func:`load`
MODULES: tuple[str, ...] = (
    "features",
    "stitching",
    "flow",
    "classify",
    "explain",
    "preprocess",
    "detect",
    "segment",
    "ocr",
    "track",
    "place",
    "restore",
    "threed",
    "action",
    "imagetoimage",
)


def load() -> list[Entry[Callable[[Any], Any]]]:
    """Import every module in :data:`MODULES` and return the registered tabs in display order."""
    for name in MODULES:
        importlib.import_module(f"{__name__}.{name}")
    return sorted(tabs.entries(), key=lambda e: (e.meta.get("order", 1000), e.name))


def title(entry: Entry[Any]) -> str:
    """The label of a tab: its ``title`` metadata, else its name capitalised."""
    return str(entry.meta.get("title") or entry.name.replace("-", " ").capitalize())


__all__ = ["MODULES", "load", "tabs", "title"]
