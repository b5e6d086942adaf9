"""What every tab's ``build(ctx)`` receives: the output folder, example inputs and the error guard.

Nothing here imports gradio at module level (it is imported inside :meth:`TabContext.guard`), so
the context can be made and tested without a browser or a server.
"""

from __future__ import annotations

import functools
import inspect
import logging
import os
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oculi.core.errors import OculiError

log = logging.getLogger("oculi.ui")


def one_line(exc: BaseException) -> str:
    """``str(exc)`` on one line (newlines become ``" "``; an empty message gives the type name)."""
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def error_message(exc: BaseException) -> str:
    """The message a tab shows for ``exc``: an oculi error's own one-line message, anything else
    prefixed by its type (an unexpected failure, logged with its traceback)."""
    if isinstance(exc, OculiError):
        return one_line(exc)
    return f"unexpected error ({type(exc).__name__}): {one_line(exc)}"


@dataclass(frozen=True)
class TabContext:
    """Services shared by the tabs of one app.

    Attributes:
        root: the app's work folder (examples, results); the only folder it serves files from.
        work_dir: ``root/outputs``, where results go; names from :meth:`output_path` are unique
            per call, so concurrent sessions never overwrite each other's files.
        examples_dir: ``root/examples``, example inputs written once (see :mod:`oculi.ui.examples`).
    """

    root: Path

    @property
    def work_dir(self) -> Path:
        return self.root / "outputs"

    @property
    def examples_dir(self) -> Path:
        return self.root / "examples"

    def example(self, name: str) -> Path:
        """The path of example input ``name`` (``chelsea``, ``flow-1``, ...), written on first use.

        Raises:
            UnknownNameError: no such example (the message lists the known ones).
        """
        from oculi.ui.examples import example_path

        return example_path(name, self.examples_dir)

    def output_path(self, stem: str, suffix: str) -> Path:
        """A fresh path ``work_dir/<stem>-<12 hex><suffix>`` for a result file (folder created).

        Args:
            stem: readable start of the file name (``"matches"``).
            suffix: with the dot (``".png"``, ``".json"``, ``".mp4"``).
        """
        self.work_dir.mkdir(parents=True, exist_ok=True)
        return self.work_dir / f"{stem}-{uuid.uuid4().hex[:12]}{suffix}"

    def shorten(self, text: str) -> str:
        """``text`` with the folders of files under :attr:`root` left out (an upload's path
        ``<root>/uploads/3f9a.../photo.png`` reads ``photo.png``)."""
        return re.sub(re.escape(str(self.root)) + r"/(?:[^\s/:]+/)*", "", text)

    def guard(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Wrap an event handler: errors become a readable ``gr.Error``, progress is shown.

        An :class:`~oculi.core.errors.OculiError` shows its own one-line message; any other
        exception shows ``unexpected error (Type): message`` and is logged with its traceback.
        ``gr.Error`` raised by the handler passes through. The wrapper takes a ``gr.Progress``
        (Gradio injects it); a handler with a ``progress`` parameter receives it, others get
        an indeterminate "running" bar that also follows tqdm loops inside the library.
        """
        import gradio as gr

        sig = inspect.signature(fn)
        takes_progress = "progress" in sig.parameters
        params = [p for p in sig.parameters.values() if p.name != "progress"]
        params = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        params.append(
            inspect.Parameter("progress", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                              default=gr.Progress(track_tqdm=True))
        )

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            progress = kwargs.pop("progress", None)
            rest = []
            for arg in args:
                if progress is None and isinstance(arg, gr.Progress):
                    progress = arg
                else:
                    rest.append(arg)
            if takes_progress:
                kwargs["progress"] = progress
            elif progress is not None:
                progress(0, desc="running")
            try:
                return fn(*rest, **kwargs)
            except gr.Error:
                raise
            except OculiError as exc:
                raise gr.Error(self.shorten(error_message(exc)), print_exception=False) from exc
            except Exception as exc:
                log.exception("ui handler %s failed", getattr(fn, "__name__", fn))
                raise gr.Error(self.shorten(error_message(exc)), print_exception=False) from exc

        wrapper.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
        return wrapper


def make_context(work_dir: str | os.PathLike[str] | None = None) -> TabContext:
    """A :class:`TabContext` on ``work_dir`` (default :func:`oculi.ui.default_work_dir`),
    with its folders created."""
    from oculi.ui import default_work_dir

    root = Path(work_dir if work_dir is not None else default_work_dir()).expanduser().resolve()
    for sub in (root, root / "outputs", root / "examples"):
        sub.mkdir(parents=True, exist_ok=True)
    return TabContext(root)
