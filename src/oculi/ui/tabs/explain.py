"""Explain tab: one image and a method picker -> heatmaps of what the classifier looked at."""

from __future__ import annotations

import gradio as gr

from oculi.ui.context import TabContext
from oculi.ui.tabs import tabs
from oculi.ui.tabs.classify import DEFAULT_MODEL, model
from oculi.ui.tabs.widgets import (
    examples,
    files_output,
    image_input,
    run_button,
    save_image,
    save_json,
    table_output,
)

NAME = "explain"
#: the table's columns: one row per method
HEADERS = ("method", "class", "index", "probability", "score (logit)", "layer")


def explain(path: str | None, names: list[str] | str | None, target: str, alpha: float,
            model_name: str, ctx: TabContext) -> tuple:
    """:func:`oculi.explain.explain` with each chosen method; overlays, table and files."""
    import numpy as np

    from oculi.core.atomic import atomic_path
    from oculi.core.errors import ParameterError
    from oculi.explain import explain as run_method
    from oculi.explain.run import label, resolve_target
    from oculi.explain.visual import overlay
    from oculi.io import read_image

    if not path:
        raise ParameterError("explain: upload an image (or click an example)")
    chosen = [names] if isinstance(names, str) else list(names or [])
    if not chosen:
        raise ParameterError("explain: pick at least one method")
    net = model(model_name or DEFAULT_MODEL)
    x = net.preprocess(read_image(path))
    tgt = resolve_target(net, target.strip() or None)
    image = x[0].permute(1, 2, 0).numpy()
    gallery, rows, files, maps = [], [], [], {}
    for name in chosen:
        e = run_method(name, net, x, tgt)
        t = int(e.targets[0])
        shown = overlay(image, e.maps[0], alpha=alpha)
        gallery.append((shown, f"{name}: {label(net, t)}"))
        rows.append([name, label(net, t), t, round(float(e.probs[0]), 4),
                     round(float(e.scores[0]), 4), e.layer or ""])
        files.append(save_image(ctx, f"explain-{name}", shown))
        maps[name] = e.maps[0].numpy()
    npy = ctx.output_path("explain-maps", ".npz")
    with atomic_path(npy) as tmp:
        np.savez_compressed(tmp, **maps)
    files += [npy, save_json(ctx, "explain", {"model": model_name, "rows": [
        dict(zip(HEADERS, r, strict=True)) for r in rows]})]
    return gallery, rows, [str(f) for f in files]


@tabs.register(NAME, help="One image → heatmaps of the evidence for a class (Grad-CAM and the "
               "other CAM and gradient methods), over the classifier's input crop.", order=50,
               title="Explain")
def build(ctx: TabContext) -> None:
    """An image, methods, an optional target class; the overlays, a table, the files."""
    from oculi.explain import methods

    with gr.Row():
        image = image_input(NAME, 1, "image")
        with gr.Column():
            chosen = gr.Dropdown(methods.names(), value=["gradcam"], multiselect=True,
                                 label="methods", elem_id=f"{NAME}-method")
            target = gr.Textbox("", label="target class (index or name; empty: the top class)",
                                elem_id=f"{NAME}-target")
            alpha = gr.Slider(0.0, 1.0, value=0.5, step=0.05, label="heatmap opacity",
                              elem_id=f"{NAME}-alpha")
            name = gr.Dropdown([DEFAULT_MODEL], value=DEFAULT_MODEL, allow_custom_value=True,
                               label="model", elem_id=f"{NAME}-model")
    examples(ctx, [image], [["chelsea"], ["astronaut"]])
    run = run_button(NAME, "Explain")
    out = gr.Gallery(label="heatmaps", columns=3, height="auto", elem_id=f"{NAME}-out")
    table = table_output(NAME, HEADERS)
    files = files_output(NAME)
    run.click(ctx.guard(lambda p, m, t, a, n: explain(p, m, t, a, n, ctx)),
              [image, chosen, target, alpha, name], [out, table, files])
