"""Classify tab: one image -> the top-5 classes of an ImageNet model (offline weights)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import gradio as gr

from oculi.ui.context import TabContext
from oculi.ui.tabs import tabs
from oculi.ui.tabs.widgets import (
    examples,
    files_output,
    image_input,
    run_button,
    save_json,
    table_output,
)

NAME = "classify"
#: the model offered first (its weights ship with oculi's dependencies)
DEFAULT_MODEL = "efficientnet_lite0"
#: the table's columns
HEADERS = ("rank", "class", "index", "probability")


@lru_cache(maxsize=2)
def model(name: str) -> Any:
    """The zoo classifier ``name`` with its offline weights, loaded once per app."""
    from oculi.classify import get_model

    return get_model(name.strip(), allow_download=False)


def classify(path: str | None, name: str, ctx: TabContext) -> tuple:
    """:func:`oculi.classify.classify` on the image: label scores, table, JSON."""
    from oculi.classify import classify as classify_images
    from oculi.core.errors import ParameterError
    from oculi.io import read_image

    if not path:
        raise ParameterError("classify: upload an image (or click an example)")
    image = read_image(path)
    (preds,) = classify_images(image, model(name or DEFAULT_MODEL), top=5)
    label = {p.label: p.probability for p in preds}
    rows = [[rank, p.label, p.index, round(p.probability, 4)]
            for rank, p in enumerate(preds, 1)]
    out = save_json(ctx, "classify", {"model": name, "predictions": [p.as_dict() for p in preds]})
    return label, rows, [str(out)]


@tabs.register(NAME, help="One image → the five most likely ImageNet classes (the model's "
               "offline pretrained weights; nothing is downloaded).", order=40,
               title="Classify")
def build(ctx: TabContext) -> None:
    """An image and a model name; the top-5 as labels and as a table, the JSON."""
    with gr.Row():
        image = image_input(NAME, 1, "image")
        with gr.Column():
            name = gr.Dropdown([DEFAULT_MODEL], value=DEFAULT_MODEL, allow_custom_value=True,
                               label="model (any zoo name with offline weights: oculi models "
                               "list)", elem_id=f"{NAME}-model")
            examples(ctx, [image], [["chelsea"], ["astronaut"], ["coffee"]])
            run = run_button(NAME, "Classify")
    out = gr.Label(num_top_classes=5, label="top 5", elem_id=f"{NAME}-out")
    table = table_output(NAME, HEADERS, label="top 5")
    files = files_output(NAME)
    run.click(ctx.guard(lambda p, m: classify(p, m, ctx)), [image, name], [out, table, files])
