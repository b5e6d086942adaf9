"""Assemble the oculi web app: one ``gr.Tab`` per registered tab, served offline on loopback.

Offline for real: analytics off (the environment variable is set by :mod:`oculi.ui` before
gradio is imported, and ``analytics_enabled=False``), ``HF_HUB_OFFLINE=1``, no share link, no
``gr.load``, system fonts only (no web fonts are requested), uploads limited to
:data:`MAX_FILE_SIZE`, and the only folders served are the app's work folder (results, examples)
and its ``uploads`` subfolder (Gradio's cache, redirected there).
"""

from __future__ import annotations

import os
import webbrowser
from pathlib import Path
from typing import Any

from oculi.core.errors import MissingDependencyError
from oculi.ui.context import TabContext, make_context

#: the largest upload the app accepts
MAX_FILE_SIZE = "50mb"
#: loopback addresses (anything else needs ``--allow-remote``)
LOOPBACK = ("127.0.0.1", "localhost", "::1")

_CSS = ".oculi-help { opacity: 0.8; }"


def _gradio() -> Any:
    try:
        import gradio
    except ImportError as exc:
        raise MissingDependencyError(
            f"oculi ui needs gradio ({exc.name or 'gradio'} is missing): install oculi[ui]"
        ) from exc
    return gradio


def theme() -> Any:
    """Gradio's default theme with system fonts (nothing fetched from a font server)."""
    gr = _gradio()
    system = [gr.themes.Font("system-ui"), "ui-sans-serif", "sans-serif"]
    mono = [gr.themes.Font("ui-monospace"), "monospace"]
    return gr.themes.Default(font=system, font_mono=mono)


def build_app(work_dir: str | os.PathLike[str] | None = None) -> Any:
    """The app (a :class:`gradio.Blocks`); see :func:`oculi.ui.build_app`."""
    gr = _gradio()
    from oculi.ui import tabs as tab_registry

    ctx = make_context(work_dir)
    # Gradio's cache (uploads, copies of results) goes into the work folder
    os.environ["GRADIO_TEMP_DIR"] = str(ctx.root / "uploads")
    entries = tab_registry.load()
    with gr.Blocks(title="oculi", analytics_enabled=False) as app:
        gr.Markdown("## oculi — computer vision on your machine", elem_id="oculi-title")
        with gr.Tabs(elem_id="oculi-tabs"):
            for entry in entries:
                with gr.Tab(tab_registry.title(entry), id=entry.name, elem_id=f"tab-{entry.name}"):
                    if entry.help:
                        gr.Markdown(entry.help, elem_classes=["oculi-help"])
                    entry.obj(ctx)
    app.oculi_context = ctx  # type: ignore[attr-defined]
    return app


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on ``host`` right now."""
    import socket

    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def launch(app: Any, ctx: TabContext, *, host: str, port: int, open_browser: bool,
           block: bool) -> Any:
    """Serve ``app`` on ``host:port`` with the offline settings; see :func:`oculi.ui.serve`."""
    app.queue(default_concurrency_limit=1)
    app.launch(
        server_name=host,
        server_port=port or free_port(host),
        share=False,
        inbrowser=False,
        prevent_thread_lock=not block or open_browser,
        max_file_size=MAX_FILE_SIZE,
        allowed_paths=[str(ctx.root)],
        footer_links=[],
        quiet=not block,
        theme=theme(),
        css=_CSS,
        ssr_mode=False,
        pwa=False,
        mcp_server=False,
        enable_monitoring=False,
    )
    if open_browser:
        webbrowser.open(app.local_url)
        if block:
            app.block_thread()
    return app


def serve(host: str = "127.0.0.1", port: int = 7860,
          work_dir: str | os.PathLike[str] | None = None, open_browser: bool = False,
          block: bool = True) -> Any:
    """See :func:`oculi.ui.serve`."""
    app = build_app(work_dir)
    return launch(app, app.oculi_context, host=host, port=port, open_browser=open_browser,
                  block=block)


def work_dir_of(app: Any) -> Path:
    """The work folder of an app made by :func:`build_app`."""
    return app.oculi_context.root
