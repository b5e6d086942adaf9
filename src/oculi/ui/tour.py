"""Tour section for the web app: a screenshot of each tab.

By default the tour starts no browser (``make demo`` stays fast): it shows the screenshots that
``tests/ui`` (Playwright driving Chromium) saved into :func:`screens_dir`. With
``OCULI_TOUR_UI=1`` it takes them itself (:func:`take_screenshots`: the app on a free loopback
port, headless Chromium, each tab's first example run; 33 s for 14 tabs on 2 cores). Without
gradio, playwright or chromium the section says what is missing and goes on.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from oculi.core.errors import MissingDependencyError
from oculi.report import Report

#: environment variable naming the screenshot folder (default ``out/ui_screens``)
SCREENS_ENV = "OCULI_UI_SCREENS"
#: environment variable: ``1`` makes the tour take the screenshots itself
SHOOT_ENV = "OCULI_TOUR_UI"
#: how long one tab's example may run in the browser, milliseconds
RUN_TIMEOUT_MS = 120_000


def chromium_path() -> str | None:
    """Debian's chromium (``$OCULI_CHROMIUM`` first, then ``chromium`` on the PATH), or None."""
    for candidate in (os.environ.get("OCULI_CHROMIUM"), shutil.which("chromium"),
                      "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def click_run(page: Any, tab: str, output: str | None = None,
              timeout_ms: int = RUN_TIMEOUT_MS) -> None:
    """Click ``#<tab>-run`` on a Playwright ``page`` and wait until the run ended: the status
    tracker of ``#<output>`` (default ``<tab>-out``) is hidden again, or an error toast shows."""
    tracker = f"#{output or tab + '-out'} [data-testid='status-tracker']"
    page.locator(f"#{tab}-run").click()
    with contextlib.suppress(Exception):  # a quick run may be over before we look
        page.locator(f"{tracker}:not(.hide)").first.wait_for(state="attached", timeout=5_000)
    page.locator(f"{tracker}.hide, .toast-body").first.wait_for(state="attached",
                                                               timeout=timeout_ms)


def open_tab(page: Any, name: str) -> None:
    """Select the tab registered as ``name`` on a Playwright ``page`` and wait until it shows.

    A tab that does not fit in the bar has no ``#tab-<name>-button`` there; Gradio lists it in
    the bar's overflow menu, where its button is found by the tab's title. The click is
    dispatched to the button, so an error toast lying over the bar does not hold it up.
    """
    import re

    from oculi.ui.tabs import tabs, title

    button = page.locator(f"#tab-{name}-button")
    if not button.is_visible():
        exact = re.compile(rf"^\s*{re.escape(title(tabs.entry(name)))}\s*$")
        button = page.locator(".overflow-dropdown button").filter(has_text=exact)
    button.first.dispatch_event("click")
    page.locator(f"#tab-{name}").wait_for(state="visible")


def close_toasts(page: Any) -> None:
    """Close the open toasts and wait until they are gone (a closed toast fades out for a
    moment; one still there would read as the next run's error)."""
    for button in page.locator(".toast-close").all():
        with contextlib.suppress(Exception):  # already gone
            button.click(timeout=1000)
    page.locator(".toast-body").first.wait_for(state="detached", timeout=10_000)


def _shoot_tab(page: Any, name: str, path: Path) -> None:
    open_tab(page, name)
    rows = ".gallery-item, tr.tr-body"  # an example row of gr.Examples
    first = page.locator(f"#{name}-examples").locator(rows).first
    if not first.count():  # examples made without widgets.examples: the tab's first ones
        first = page.locator(f"#tab-{name}").locator(rows).first
    target = f"#{name}-in"
    if first.count():
        before = page.locator(target).first.inner_html() if page.locator(target).count() else None
        first.click()
        if before is not None:  # the example has filled the first input
            page.wait_for_function(
                "([sel, old]) => document.querySelector(sel).innerHTML !== old",
                arg=[target, before], timeout=10_000)
    close_toasts(page)
    if page.locator(f"#{name}-run").count():
        click_run(page, name)
    page.screenshot(path=str(path), full_page=True)


def screenshot_tabs(page: Any, folder: str | os.PathLike[str],
                    names: list[str] | None = None) -> list[Path]:
    """On a Playwright ``page`` showing the app, screenshot each tab after running its first
    example: ``folder/<tab>.png`` (folder created).

    Args:
        page: a Playwright (sync API) page with the app loaded.
        folder: where the PNGs go.
        names: the tabs to take (default: every registered tab).

    Returns:
        The PNG paths, in the tabs' order.
    """
    from oculi.ui.tabs import load

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    page.get_by_role("tab").first.wait_for(timeout=60_000)
    shots = []
    for entry in load():
        if names is None or entry.name in names:
            _shoot_tab(page, entry.name, out / f"{entry.name}.png")
            shots.append(out / f"{entry.name}.png")
    return shots


def take_screenshots(folder: str | os.PathLike[str],
                     names: list[str] | None = None) -> list[Path]:
    """Serve the app on a free loopback port (temporary work folder), open it in headless
    Chromium and :func:`screenshot_tabs` into ``folder``.

    Raises:
        MissingDependencyError: gradio, playwright or chromium is missing.
    """
    try:
        import gradio  # noqa: F401
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        raise MissingDependencyError(
            f"ui screenshots need gradio and playwright ({exc.name} is missing): install oculi[ui]"
        ) from exc
    exe = chromium_path()
    if exe is None:
        raise MissingDependencyError("ui screenshots need chromium (apt-get install chromium)")
    from oculi.ui import serve

    with contextlib.ExitStack() as stack:
        work = stack.enter_context(tempfile.TemporaryDirectory(prefix="oculi-ui-"))
        app = serve(port=0, work_dir=work, block=False)
        stack.callback(app.close)
        pw = stack.enter_context(sync_playwright())
        browser = pw.chromium.launch(executable_path=exe, headless=True,
                                     args=["--no-sandbox", "--disable-gpu"])
        stack.callback(browser.close)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(app.local_url)
        return screenshot_tabs(page, folder, names)


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
    """Show the tab screenshots; take them first when ``$OCULI_TOUR_UI`` is ``1``."""
    taken = ""
    if os.environ.get(SHOOT_ENV) == "1":
        try:
            take_screenshots(screens_dir())
            taken = " (taken by this tour run)"
        except MissingDependencyError as exc:
            taken = f" (not retaken: {exc})"
    shots = screenshots()
    sec = report.section(
        "Web app: oculi ui",
        "oculi ui serves a local Gradio app on 127.0.0.1 with a tab per topic: example inputs "
        "in one click, results to download (PNG, JSON, .flo), errors in one line. It works "
        "offline (no analytics, no web fonts, no share link) and serves files only from its "
        "work folder. The browser tests (tests/ui, Playwright driving Chromium) run each tab on "
        "its example, compare the numbers with the library's and check that no request leaves "
        f"127.0.0.1, and leave a screenshot of each tab in {screens_dir()} ({SHOOT_ENV}=1 "
        f"makes the tour take them itself){taken}. docs/ui.md says how to add a tab.",
    )
    if not shots:
        sec.text(f"No screenshots in {screens_dir()}: run pytest tests/ui, or the tour with "
                 f"{SHOOT_ENV}=1 (both need chromium and playwright), to make them.")
        return
    for shot in shots:
        sec.image(shot, f"the {shot.stem} tab", name=f"ui-{shot.stem}", width=900)
