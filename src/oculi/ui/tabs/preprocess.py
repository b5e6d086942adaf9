"""Preprocess tab: CLAHE, histogram equalisation, gamma and ZCA/PCA whitening previews."""

from __future__ import annotations

import gradio as gr

from oculi.ui.context import TabContext
from oculi.ui.tabs import tabs
from oculi.ui.tabs.widgets import (
    examples,
    files_output,
    image_input,
    image_output,
    run_button,
    save_image,
    table_output,
)

NAME = "preprocess"
#: the operations offered (the first is the default)
OPERATIONS = ("clahe", "equalize", "gamma", "zca whitening", "pca whitening")
#: the table's columns: the input and the result, side by side
HEADERS = ("image", "dtype", "shape", "mean", "std", "min", "max")
#: whitening patch side, pixels
PATCH = 8


def _stats(name: str, image) -> list:
    import numpy as np

    f = np.asarray(image, dtype=np.float64)
    return [name, str(image.dtype), "x".join(map(str, image.shape)), round(float(f.mean()), 4),
            round(float(f.std()), 4), round(float(f.min()), 4), round(float(f.max()), 4)]


def whitened(gray, kind: str, epsilon: float):
    """``gray`` whitened patch by patch (non-overlapping ``PATCH`` squares) by a
    :class:`~oculi.preprocess.ZCAWhitening` (or PCA, all components) fitted on its own patches;
    float32, cropped to whole patches, values clipped to ±3 for display."""
    import numpy as np

    from oculi.preprocess import PCAWhitening, ZCAWhitening, extract_patches

    h, w = (gray.shape[0] // PATCH) * PATCH, (gray.shape[1] // PATCH) * PATCH
    patches = extract_patches(gray[:h, :w], PATCH)
    model = (ZCAWhitening if kind == "zca whitening" else PCAWhitening)(epsilon=epsilon)
    white = model.fit(patches).transform(patches)
    tiles = white.reshape(h // PATCH, w // PATCH, PATCH, PATCH)
    return np.clip(tiles.transpose(0, 2, 1, 3).reshape(h, w), -3, 3).astype(np.float32)


def preprocess(path: str | None, operation: str, clip_limit: float, tiles: int, gamma: float,
               epsilon: float, ctx: TabContext) -> tuple:
    """One :mod:`oculi.preprocess` operation on the image; the result, its statistics, PNG."""
    from oculi.core.errors import ParameterError
    from oculi.io import read_image
    from oculi.preprocess import clahe, equalize_hist
    from oculi.preprocess import gamma as apply_gamma

    if not path:
        raise ParameterError("preprocess: upload an image (or click an example)")
    if operation in ("zca whitening", "pca whitening"):
        image = read_image(path, mode="gray")
        raw = whitened(image, operation, epsilon)
        result = (raw + 3.0) / 6.0  # [-3, 3] -> [0, 1] for display
    else:
        image = read_image(path)
        if operation == "clahe":
            raw = result = clahe(image, clip_limit=clip_limit, tiles=int(tiles))
        elif operation == "equalize":
            raw = result = equalize_hist(image)
        elif operation == "gamma":
            raw = result = apply_gamma(image, gamma)
        else:
            raise ParameterError(f"operation: expected one of {', '.join(OPERATIONS)}, "
                                 f"got {operation!r}")
    rows = [_stats("input", image), _stats(operation, raw)]
    return result, rows, [str(save_image(ctx, operation.replace(" ", "-"), result))]


@tabs.register(NAME, help="One image → a preprocessing step previewed: CLAHE (contrast-limited "
               "adaptive equalisation), histogram equalisation, gamma, ZCA/PCA whitening of "
               f"{PATCH}x{PATCH} patches.", order=60, title="Preprocess")
def build(ctx: TabContext) -> None:
    """An image, the operation and its settings; the result, statistics and the PNG."""
    with gr.Row():
        image = image_input(NAME, 1, "image")
        with gr.Column():
            operation = gr.Radio(list(OPERATIONS), value=OPERATIONS[0], label="operation",
                                 elem_id=f"{NAME}-operation")
            clip = gr.Slider(0.0, 10.0, value=2.0, step=0.5, label="CLAHE clip limit",
                             elem_id=f"{NAME}-clip")
            grid = gr.Slider(1, 32, value=8, step=1, label="CLAHE tiles (rows = columns)",
                             elem_id=f"{NAME}-tiles")
            gam = gr.Slider(0.2, 3.0, value=0.5, step=0.05, label="gamma",
                            elem_id=f"{NAME}-gamma")
            eps = gr.Number(0.01, label="whitening epsilon", elem_id=f"{NAME}-epsilon")
    examples(ctx, [image], [["page"], ["coins"], ["chelsea"]])
    run = run_button(NAME, "Apply")
    out = image_output(NAME, "result")
    table = table_output(NAME, HEADERS, label="statistics")
    files = files_output(NAME)
    run.click(ctx.guard(lambda p, o, c, t, g, e: preprocess(p, o, c, t, g, e, ctx)),
              [image, operation, clip, grid, gam, eps], [out, table, files])
