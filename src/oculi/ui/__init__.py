"""``oculi ui``: a local web app (Gradio) with one tab per topic, sitting on the public functions.

Importing this package is light: it imports neither gradio nor torch. It only makes sure that
gradio, when a submodule imports it later, starts offline (``GRADIO_ANALYTICS_ENABLED=False``,
``HF_HUB_OFFLINE=1``). The app itself is built by :func:`build_app` and served by :func:`serve`
(bound to 127.0.0.1 unless asked otherwise). docs/ui.md describes the offline guarantees and how
to add a tab (the contract is in :mod:`oculi.ui.tabs`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

# before any gradio import (every oculi.ui submodule imports this package first)
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ["HF_HUB_OFFLINE"] = "1"

if TYPE_CHECKING:  # pragma: no cover
    import gradio


def build_app(work_dir: str | os.PathLike[str] | None = None) -> gradio.Blocks:
    """The oculi web app: one tab per registered tab module (see :mod:`oculi.ui.tabs`).

    Args:
        work_dir: folder for example inputs and results; the only folder the app serves files
            from. None: a folder under the user's cache (``$XDG_CACHE_HOME/oculi/ui``).

    Raises:
        MissingDependencyError: gradio is not installed (``pip install oculi[ui]``).
    """
    from oculi.ui.app import build_app as _build

    return _build(work_dir)


def serve(
    host: str = "127.0.0.1",
    port: int = 7860,
    work_dir: str | os.PathLike[str] | None = None,
    open_browser: bool = False,
    *,
    block: bool = True,
) -> Any:
    """Build the app and serve it on ``host:port`` until interrupted.

    Args:
        host: address to bind; loopback by default (the CLI refuses others without
            ``--allow-remote``).
        port: TCP port; 0 picks a free one.
        work_dir: as in :func:`build_app`.
        open_browser: open the page in the default browser once serving.
        block: False returns at once with the app served from a background thread (tests).

    Returns:
        The :class:`gradio.Blocks` app (its ``local_url`` is the page's address).
    """
    from oculi.ui.app import serve as _serve

    return _serve(host=host, port=port, work_dir=work_dir, open_browser=open_browser, block=block)


def default_work_dir() -> Path:
    """``$XDG_CACHE_HOME/oculi/ui`` (``~/.cache/oculi/ui`` when unset)."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "oculi" / "ui"


__all__ = ["build_app", "default_work_dir", "serve"]
