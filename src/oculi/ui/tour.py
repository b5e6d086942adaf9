"""Tour section for the web app: the screenshots the browser tests took of each tab, if any.

The tour never starts a browser: ``tests/ui`` (Playwright driving Chromium) saves one screenshot
per tab into :func:`screens_dir`, and this section shows the ones it finds; without them it says
how to make them.
"""

from __future__ import annotations

import os
from pathlib import Path

from oculi.report import Report

#: environment variable naming the screenshot folder (default ``out/ui_screens``)
SCREENS_ENV = "OCULI_UI_SCREENS"


def screens_dir() -> Path:
    """``$OCULI_UI_SCREENS``, else ``out/ui_screens`` under the current folder."""
    return Path(os.environ.get(SCREENS_ENV) or Path("out") / "ui_screens")


def screenshots(folder: str | os.PathLike[str] | None = None) -> list[Path]:
    """The tab screenshots (``<tab>.png``) in ``folder`` (default :func:`screens_dir`), in the
    tabs' order (:data:`oculi.ui.tabs.MODULES`), tabs not listed there last by name."""
    from oculi.ui.tabs import MODULES

    found = sorted(Path(folder or screens_dir()).glob("*.png"))
    rank = {name: i for i, name in enumerate(MODULES)}
    return sorted(found, key=lambda p: (rank.get(p.stem, len(rank)), p.stem))


def section(report: Report, workdir: Path, quick: bool) -> None:
    """Show the tab screenshots (no browser is started here)."""
    shots = screenshots()
    sec = report.section(
        "Web app: oculi ui",
        "oculi ui serves a local Gradio app on 127.0.0.1 with a tab per topic: example inputs "
        "in one click, results to download (PNG, JSON, .flo), errors in one line. It works "
        "offline (no analytics, no web fonts, no share link) and serves files only from its "
        "work folder. The browser tests (tests/ui, Playwright driving Chromium) run each tab on "
        "its example, compare the numbers with the library's and check that no request leaves "
        "127.0.0.1; they leave these screenshots in "
        f"{screens_dir()}. docs/ui.md says how to add a tab.",
    )
    if not shots:
        sec.text(f"No screenshots in {screens_dir()}: run pytest tests/ui (needs chromium and "
                 "playwright) to make them.")
        return
    for shot in shots:
        sec.image(shot, f"the {shot.stem} tab", name=f"ui-{shot.stem}", width=900)
