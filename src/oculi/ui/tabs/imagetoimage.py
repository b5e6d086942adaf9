"""Image-to-image tab: an image restyled by another (Gatys optimisation, as ``oculi stylize``),
compressed by a classic codec at a target bit rate (JPEG/WebP/AVIF, as the baselines of
``oculi eval compress``), or translated by a pix2pix / CycleGAN run (as ``oculi generate RUN --input
IMAGE``)."""

from __future__ import annotations

from pathlib import Path

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
    save_json,
    table_output,
)

NAME = "img2img"
#: what the run button does (the first is the default)
ACTIONS = ("style transfer", "compression", "translation")
#: the classic codecs offered (those this Pillow writes are usable)
CODECS = ("jpeg", "webp", "avif")
#: the table: one measured quantity per row
HEADERS = ("quantity", "value")
#: the defaults: the content's longer side (px) and L-BFGS loss evaluations — seconds on a CPU
SIZE, STEPS = 128, 10


def style_transfer(content_path: str, style_path: str, size: float, steps: float,
                   keep_colour: bool, ctx: TabContext) -> tuple:
    """:func:`oculi.stylize.stylize` (Gatys, L-BFGS) of the content with the style; colour
    preservation by luminance transfer. Returns the picture, table rows and files."""
    from oculi.io import read_image
    from oculi.stylize import stylize

    content = read_image(content_path, mode="rgb")
    style = read_image(style_path, mode="rgb")
    result = stylize(content, style, image_size=int(size or 0), steps=int(steps or 0),
                     preserve_color="luminance" if keep_colour else None, progress=False)
    summary = result.summary()
    rows = [["method", result.method], ["size (WxH)", f"{result.image.shape[1]}x"
                                                      f"{result.image.shape[0]}"],
            ["loss evaluations", summary["evaluations"]], ["seconds", summary["seconds"]]]
    rows += [[f"{k} loss", round(v, 6)] for k, v in result.losses.items()]
    saved = save_image(ctx, "stylized", result.image)
    summary.update(content=Path(content_path).name, style=Path(style_path).name,
                   preserve_color=bool(keep_colour), out=saved.name)
    return str(saved), rows, [str(saved), str(save_json(ctx, "stylized", summary))]


def compression(path: str, codec: str, bpp: float, ctx: TabContext) -> tuple:
    """:func:`oculi.compress.at_bpp` (the quality closest to ``bpp`` bits per pixel); the
    decoded picture, its bit rate, PSNR and MS-SSIM (empty below 176 px a side), the file."""
    from oculi.compress import at_bpp, ms_ssim
    from oculi.core.atomic import write_bytes_atomic
    from oculi.io import read_image
    from oculi.restore import psnr
    from oculi.train.metrics.image import MS_SSIM_MIN_SIDE

    image = read_image(path, mode="rgb")
    point = at_bpp(codec, image, bpp)
    score = psnr(image, point.image)
    msssim = ms_ssim(image, point.image) if min(image.shape[:2]) >= MS_SSIM_MIN_SIDE else None
    rows = [["codec", codec], ["quality", point.quality], ["bpp", round(point.bpp, 4)],
            ["PSNR (dB)", round(score, 3)], ["MS-SSIM", "" if msssim is None else round(msssim, 5)]]
    coded = write_bytes_atomic(ctx.output_path(codec, f".{codec}"), point.data)
    saved = save_image(ctx, f"{codec}-decoded", point.image)
    summary = {"image": Path(path).name, "codec": codec, "target_bpp": bpp,
               "quality": point.quality, "bpp": point.bpp, "psnr": score, "ms_ssim": msssim,
               "file": coded.name, "out": saved.name}
    return str(saved), rows, [str(coded), str(saved), str(save_json(ctx, codec, summary))]


def translation(path: str, run_folder: str, ctx: TabContext) -> tuple:
    """:func:`oculi.generate.img2img_apply.translate` of the image by the generator of a run of
    ``oculi train pix2pix`` / ``cyclegan`` (A -> B, at the input's size)."""
    from oculi.core.errors import ParameterError
    from oculi.generate.img2img_apply import load_img2img, translate
    from oculi.io import read_image

    if not run_folder.strip():
        raise ParameterError("run: translation needs the run folder of oculi train pix2pix or "
                             "cyclegan")
    image = read_image(path, mode="rgb")
    result = translate(load_img2img(run_folder.strip()), image)
    saved = save_image(ctx, "translated", result)
    size = f"{image.shape[1]}x{image.shape[0]}"
    summary = {"image": Path(path).name, "run": run_folder.strip(), "size": size,
               "out": saved.name}
    return str(saved), [["size (WxH)", size]], [str(saved),
                                               str(save_json(ctx, "translated", summary))]


def run(content: str | None, style: str | None, action: str, size: float, steps: float,
        keep_colour: bool, codec: str, bpp: float, ctx: TabContext,
        run_folder: str = "") -> tuple:
    """The chosen action on the uploads (the style image only for style transfer)."""
    from oculi.core.errors import ParameterError

    if not content:
        raise ParameterError(f"{NAME}: upload an image (or click an example)")
    if action == "compression":
        return compression(content, codec, bpp, ctx)
    if action == "translation":
        return translation(content, run_folder, ctx)
    if action != "style transfer":
        raise ParameterError(f"action: expected one of {', '.join(ACTIONS)}, got {action!r}")
    if not style:
        raise ParameterError(f"{NAME}: style transfer needs a style image (the second upload)")
    return style_transfer(content, style, size, steps, keep_colour, ctx)


@tabs.register(NAME, help="An image → restyled by a second image (Gatys et al. optimisation "
               "on EfficientNet-Lite0 features, small and few steps so it takes seconds; "
               "optionally keeping the content's colours), or compressed by JPEG/WebP at a "
               "target bits per pixel, with the decoded picture, PSNR and MS-SSIM, or translated "
               "by a run of `oculi train pix2pix` / `cyclegan`.", order=115,
               title="Style & compression")
def build(ctx: TabContext) -> None:
    """The content and style uploads, the action and its settings; the result, table, files."""
    with gr.Row():
        content = image_input(NAME, 1, "image (content)")
        style = image_input(NAME, 2, "style image (style transfer only)")
    with gr.Row():
        action = gr.Radio(list(ACTIONS), value=ACTIONS[0], label="action",
                          elem_id=f"{NAME}-action")
        size = gr.Number(SIZE, precision=0, label="style: longer side (px)",
                         elem_id=f"{NAME}-size")
        steps = gr.Number(STEPS, precision=0, label="style: L-BFGS steps", elem_id=f"{NAME}-steps")
        colour = gr.Checkbox(False, label="style: keep the content's colours",
                             elem_id=f"{NAME}-color")
        codec = gr.Dropdown(list(CODECS), value="jpeg", label="compression: codec",
                            elem_id=f"{NAME}-codec")
        bpp = gr.Number(0.5, label="compression: target bits per pixel", elem_id=f"{NAME}-bpp")
        trained = gr.Textbox(label="translation: run folder of oculi train pix2pix / cyclegan",
                             elem_id=f"{NAME}-trained")
    examples(ctx, [content, style], [["chelsea", "coffee"], ["astronaut", "chelsea"],
                                     ["coffee", "astronaut"]])
    go = run_button(NAME, "Run")
    out = image_output(NAME, "result")
    table = table_output(NAME, HEADERS)
    files = files_output(NAME)
    go.click(ctx.guard(lambda c, s, a, si, st, k, co, b, r:
                       run(c, s, a, si, st, k, co, b, ctx, r)),
             [content, style, action, size, steps, colour, codec, bpp, trained],
             [out, table, files])
