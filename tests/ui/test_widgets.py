"""The contract's widgets without a browser: image uploads reach handlers as unopened paths, also
after Gradio rebuilt the component (an example click updates its properties)."""

from __future__ import annotations

from pathlib import Path

import pytest


def test_image_input_hands_over_the_unopened_path_even_when_rebuilt(tmp_path) -> None:
    gr = pytest.importorskip("gradio")
    from gradio.data_classes import FileData

    from oculi.ui.tabs import widgets

    bad = tmp_path / "letter.png"
    bad.write_text("not a picture\n")
    with gr.Blocks():
        comp = widgets.image_input("demo", 2, "frame")
    assert comp.elem_id == "demo-in2" and isinstance(comp, gr.Image)
    assert comp.get_block_name() == "image"  # the page draws a plain image upload
    # what gradio does on a property update: a new instance of the class from its arguments
    rebuilt = comp.__class__(**comp.constructor_args)
    for c in (comp, rebuilt):
        assert c.preprocess(FileData(path=str(bad))) == str(bad)  # PIL never opened it
        assert c.preprocess(None) is None
    assert not list(Path(widgets.__file__).parent.glob("*.pyi"))  # no stub written


def test_examples_get_the_tabs_element_id(tmp_path) -> None:
    gr = pytest.importorskip("gradio")
    from oculi.ui.context import make_context
    from oculi.ui.tabs import widgets

    ctx = make_context(tmp_path)
    with gr.Blocks():
        image = widgets.image_input("demo")
        ex = widgets.examples(ctx, [image], [["chelsea"]])
        plain = widgets.examples(ctx, [gr.Image(type="filepath")], [["coins"]])
    assert ex.dataset.elem_id == "demo-examples"
    assert plain.dataset.elem_id is None
    assert ex.examples == [[str(ctx.example("chelsea"))]]
