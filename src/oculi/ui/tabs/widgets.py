"""Components with the element ids of the tab contract (see :mod:`oculi.ui.tabs`).

``elem_id(tab, role, index)`` spells the ids: ``features-in``, ``features-in2``,
``features-run``, ``features-out``, ``features-table``, ``features-files``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import gradio as gr

from oculi.ui.context import TabContext


def elem_id(tab: str, role: str, index: int = 1) -> str:
    """``"<tab>-<role>"`` for the first of a kind, ``"<tab>-<role><index>"`` for the others."""
    return f"{tab}-{role}" if index == 1 else f"{tab}-{role}{index}"


def _path_image_class() -> type[gr.Image]:
    """``gr.Image`` whose upload reaches the handler as the file's path, unopened.

    ``gr.Image`` opens uploads with PIL before the handler runs, so a broken file would fail
    with Gradio's bare "Error"; this one passes the path on and oculi's reader opens it inside
    ``ctx.guard``, so the user reads oculi's message (``x.png: not an image``). It is a class,
    not a patched instance, because Gradio rebuilds a component from its class when an event
    (an example click) updates its properties. ``is_template`` makes the page draw it as a
    plain ``image``. Gradio writes a ``.pyi`` stub next to the module of every Component
    subclass at class creation; that hook is switched off while this class is made, so nothing
    is written into oculi's package.
    """
    from gradio import component_meta

    def preprocess(self: gr.Image, payload: Any) -> str | None:
        return None if payload is None else str(payload.path)

    write_stub = component_meta.create_or_modify_pyi
    component_meta.create_or_modify_pyi = lambda *args, **kwargs: None
    try:
        return component_meta.ComponentMeta(
            "PathImage", (gr.Image,), {"is_template": True, "preprocess": preprocess,
                                       "__module__": __name__})
    finally:
        component_meta.create_or_modify_pyi = write_stub


#: the upload class of :func:`image_input`
PathImage = _path_image_class()


def image_input(tab: str, index: int = 1, label: str = "image", **kw: Any) -> gr.Image:
    """An upload for one image, handed to the handler as the uploaded file's path (or None),
    unopened: oculi's reader opens it, so a broken upload reads as oculi's error (see
    :data:`PathImage`)."""
    kw.setdefault("sources", ["upload", "clipboard"])
    return PathImage(label=label, type="filepath", elem_id=elem_id(tab, "in", index), **kw)


def run_button(tab: str, label: str = "Run") -> gr.Button:
    """The primary button ``<tab>-run``."""
    return gr.Button(label, variant="primary", elem_id=elem_id(tab, "run"))


def image_output(tab: str, label: str = "result", index: int = 1, **kw: Any) -> gr.Image:
    """A result picture ``<tab>-out`` (``-out2``, ...); give it an array (RGB uint8) or a path."""
    kw.setdefault("format", "png")
    return gr.Image(label=label, interactive=False, elem_id=elem_id(tab, "out", index), **kw)


def table_output(tab: str, headers: Sequence[str], label: str = "results",
                 **kw: Any) -> gr.Dataframe:
    """A read-only table ``<tab>-table``."""
    return gr.Dataframe(headers=list(headers), label=label, interactive=False,
                        elem_id=elem_id(tab, "table"), **kw)


def files_output(tab: str, label: str = "result files") -> gr.File:
    """The downloadable result files ``<tab>-files`` (a list of paths in ``ctx.work_dir``)."""
    return gr.File(label=label, file_count="multiple", interactive=False,
                   elem_id=elem_id(tab, "files"))


def examples(ctx: TabContext, inputs: Sequence[gr.components.Component],
             rows: Sequence[Sequence[str | Sequence[str] | None]],
             label: str = "examples") -> gr.Examples:
    """Clickable example rows: each row names one :mod:`oculi.ui.examples` entry per input
    (a list of names for a several-files input; None leaves that input empty). A click fills
    the inputs (it does not run). Element id ``<tab>-examples``, the tab's name read from the
    first input's id (``flow-in`` -> ``flow-examples``)."""

    def _value(name: str | Sequence[str] | None) -> str | list[str] | None:
        if name is None or isinstance(name, str):
            return None if name is None else str(ctx.example(name))
        return [str(ctx.example(n)) for n in name]

    table = [[_value(name) for name in row] for row in rows]
    first = str(getattr(inputs[0], "elem_id", None) or "") if inputs else ""
    tab = first.rsplit("-in", 1)[0] if "-in" in first else None
    return gr.Examples(examples=table, inputs=list(inputs), label=label, cache_examples=False,
                       elem_id=elem_id(tab, "examples") if tab else None)


def files_input(tab: str, index: int = 1, label: str = "images",
                file_types: Sequence[str] | None = ("image",), **kw: Any) -> gr.File:
    """An upload of several files ``<tab>-in`` (``-in2``, ...), handed over as a list of paths."""
    return gr.File(label=label, file_count="multiple", type="filepath",
                   file_types=list(file_types) if file_types else None,
                   elem_id=elem_id(tab, "in", index), **kw)


def file_input(tab: str, index: int = 1, label: str = "file",
               file_types: Sequence[str] | None = None, **kw: Any) -> gr.File:
    """An upload of one file (any type unless ``file_types``), handed over as a path or None."""
    return gr.File(label=label, file_count="single", type="filepath",
                   file_types=list(file_types) if file_types else None,
                   elem_id=elem_id(tab, "in", index), **kw)


def save_image(ctx: TabContext, stem: str, image: Any) -> Path:
    """Write ``image`` (HxW or HxWx3 RGB, uint8 or float in [0, 1]) as a PNG in ``ctx.work_dir``."""
    from oculi.io import write_image

    return write_image(ctx.output_path(stem, ".png"), image)


def save_json(ctx: TabContext, stem: str, obj: Any) -> Path:
    """Write ``obj`` as strict JSON (NaN -> null) in ``ctx.work_dir``."""
    from oculi.core.atomic import write_json_atomic

    return write_json_atomic(ctx.output_path(stem, ".json"), obj)
