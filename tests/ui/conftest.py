"""Browser tests of ``oculi ui``: one app server and one Chromium per session.

Playwright drives Debian's ``chromium`` through ``executable_path`` (``playwright install`` is
never run); without playwright, gradio or chromium every test here is skipped. Every request the
page makes is recorded, and the session fails at teardown if one left 127.0.0.1. Each tab test
saves a screenshot into ``$OCULI_UI_SCREENS`` (default ``out/ui_screens``), where the tour's
"Web app" section picks them up.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
#: where the tab screenshots go (the tour reads the same place)
SCREENS = Path(os.environ.get("OCULI_UI_SCREENS", ROOT / "out" / "ui_screens"))
#: how long one tab's computation may take in the browser (ms)
RUN_TIMEOUT = 120_000
#: a request counts as local when its host is one of these (or a data:/blob: URL)
LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]", "::1")


def off_host(urls: list[str]) -> list[str]:
    """The URLs whose host is not loopback (data:, blob: and about: URLs are local)."""
    bad = []
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob", "about", "chrome-error"):
            continue
        if parts.hostname not in {h.strip("[]") for h in LOCAL_HOSTS}:
            bad.append(url)
    return bad


@pytest.fixture(scope="session")
def ui_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """The app served from a background thread on a free loopback port."""
    pytest.importorskip("gradio")
    from oculi.ui import serve

    app = serve(port=0, work_dir=tmp_path_factory.mktemp("ui-work"), block=False)
    try:
        yield app
    finally:
        app.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One headless Chromium for the session (skips without playwright or chromium)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    from oculi.ui.tour import chromium_path

    exe = chromium_path()
    if exe is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=exe, headless=True,
                                      args=["--no-sandbox", "--disable-gpu"])
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="session")
def requests_seen() -> list[str]:
    """Every URL the page requested during the session."""
    return []


class UI:
    """Drives the app's page: open a tab, upload, run, read outputs and errors."""

    def __init__(self, page: object, url: str, work_dir: Path) -> None:
        self.page = page
        self.url = url
        self.work_dir = work_dir

    def tab(self, name: str) -> None:
        """Select the tab registered as ``name`` (also one in the tab bar's overflow menu)."""
        from oculi.ui.tour import open_tab

        open_tab(self.page, name)

    def upload(self, elem_id: str, path: str | os.PathLike[str]) -> None:
        """Put ``path`` into the upload component ``#elem_id`` (removing what it held)."""
        comp = self.page.locator(f"#{elem_id}")
        remove = comp.get_by_role("button", name="Remove Image")
        if remove.count():
            remove.first.click()
        comp.locator("input[type=file]").first.set_input_files(str(path))
        comp.locator("img, .file-preview").first.wait_for(state="attached", timeout=10_000)

    def use_example(self, tab: str, row: int = 0,
                    expect: dict[str, str] | None = None) -> None:
        """Click example row ``row`` of ``#<tab>-examples`` and wait until it filled the inputs:
        ``expect`` maps an input's element id to the file name it must then show."""
        examples = self.page.locator(f"#{tab}-examples")
        examples.scroll_into_view_if_needed()
        examples.locator(".gallery-item, tr.tr-body").nth(row).click()
        for elem, name in (expect or {}).items():
            comp = self.page.locator(f"#{elem}")
            comp.locator(f"img[src$='/{name}'], td.filename[aria-label='{name}']").first.wait_for(
                state="attached", timeout=10_000)

    def clear_errors(self) -> None:
        """Close the toasts that are open (:func:`oculi.ui.tour.close_toasts`)."""
        from oculi.ui.tour import close_toasts

        close_toasts(self.page)

    def run(self, tab: str, *, expect_error: bool = False, output: str | None = None) -> str:
        """Click ``#<tab>-run`` and wait until the run ended (the status tracker of
        ``#<output>``, default ``<tab>-out``, is idle again).

        Returns:
            the text of the error toast ("" when there is none; with ``expect_error`` it
            waits for one).
        """
        from oculi.ui.tour import click_run

        self.clear_errors()
        click_run(self.page, tab, output, RUN_TIMEOUT)
        toast = self.page.locator(".toast-body")
        if expect_error:
            toast.first.wait_for(state="visible", timeout=RUN_TIMEOUT)
        return "\n".join(toast.all_inner_texts())

    def wait_image(self, elem_id: str) -> str:
        """The ``src`` of the picture shown in ``#elem_id`` once there is one."""
        img = self.page.locator(f"#{elem_id} img").first
        img.wait_for(state="visible", timeout=RUN_TIMEOUT)
        return str(img.get_attribute("src"))

    def image(self, elem_id: str) -> np.ndarray:
        """The picture shown in ``#elem_id``, fetched from the app (HxWx3 uint8 RGB)."""
        from oculi.io import decode_image

        src = self.wait_image(elem_id)
        return decode_image(self.page.request.get(src).body())

    def table(self, elem_id: str) -> list[list[str]]:
        """The body cells of the table ``#elem_id``, row by row."""
        table = self.page.locator(f"#{elem_id}")
        table.scroll_into_view_if_needed()
        rows = table.locator(".virtual-row")
        rows.first.wait_for(state="visible", timeout=RUN_TIMEOUT)
        return [[c.strip() for c in r.locator("[role=gridcell]").all_inner_texts()]
                for r in rows.all()]

    def files(self, elem_id: str) -> list[str]:
        """The names of the downloadable files listed in ``#elem_id``."""
        cells = self.page.locator(f"#{elem_id} td.filename")
        cells.first.wait_for(state="attached", timeout=RUN_TIMEOUT)
        return [str(c.get_attribute("aria-label")) for c in cells.all()]

    def file_url(self, elem_id: str, suffix: str) -> str:
        """The download address of the first file ending in ``suffix`` listed in ``#elem_id``."""
        links = self.page.locator(f"#{elem_id} a[download$='{suffix}']")
        links.first.wait_for(state="attached", timeout=RUN_TIMEOUT)
        return str(links.first.get_attribute("href"))

    def fetch(self, url: str) -> bytes:
        """The bytes the app serves at ``url`` (through the page, so the request is recorded)."""
        response = self.page.request.get(url)
        assert response.ok, f"{url}: HTTP {response.status}"
        return response.body()

    def example(self, name: str) -> Path:
        """The app's example input ``name`` (the file the tab's example row holds)."""
        from oculi.ui.context import make_context

        return make_context(self.work_dir).example(name)

    def screenshot(self, name: str) -> Path:
        """Save the page as ``SCREENS/<name>.png`` (the tour shows it)."""
        SCREENS.mkdir(parents=True, exist_ok=True)
        path = SCREENS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture(scope="session")
def bad_uploads(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two broken uploads: ``text`` (a text file named .png) and ``truncated`` (the first half
    of a JPEG)."""
    from oculi.data import load
    from oculi.io import encode_image

    folder = tmp_path_factory.mktemp("bad-uploads")
    text = folder / "letter.png"
    text.write_text("this is a letter, not a picture\n")
    jpeg = encode_image(load("chelsea"), "jpeg")
    cut = folder / "cut.jpg"
    cut.write_bytes(jpeg[: len(jpeg) // 2])
    return {"text": text, "truncated": cut}


@pytest.fixture(scope="session")
def ui(ui_app: object, browser: object, requests_seen: list[str]) -> Iterator[UI]:
    """The app open in one page for the whole session; at the end no request may have left
    127.0.0.1."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.on("request", lambda request: requests_seen.append(request.url))
    url = ui_app.local_url
    page.goto(url)
    page.get_by_role("tab").first.wait_for(timeout=60_000)
    from oculi.ui.app import work_dir_of

    yield UI(page, url, work_dir_of(ui_app))
    context.close()
    leaked = off_host(requests_seen)
    assert requests_seen, "the page made no request at all (is the recorder on?)"
    assert not leaked, f"requests left 127.0.0.1: {leaked[:10]}"
