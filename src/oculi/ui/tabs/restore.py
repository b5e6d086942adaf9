"""Restoration tab: an image -> upscaled, denoised or brightened, before and after, as
``oculi upscale|denoise|enhance IMAGE --method M -o out.png``."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np

from oculi.ui.context import TabContext
from oculi.ui.examples import examples as example_files
from oculi.ui.tabs import tabs
from oculi.ui.tabs.widgets import (
    files_output,
    image_input,
    image_output,
    run_button,
    save_image,
    save_json,
    table_output,
)

NAME = "restore"
PROBLEMS = ("upscale", "denoise", "enhance")
#: the default method of each problem (the CLI's)
DEFAULTS = {"upscale": "bicubic", "denoise": "nlm", "enhance": "lime"}
HEADERS = ("problem", "method", "input (WxH)", "output (WxH)", "sigma")


@cache
def _crop(name: str, y: int, x: int, size: int) -> np.ndarray:
    from oculi.data import load

    return load(name, mode="rgb")[y:y + size, x:x + size]


def _writer(make: Any) -> Any:
    def _write(path: Path) -> None:
        from oculi.io import write_image

        write_image(path, make())

    return _write


def small_example() -> np.ndarray:
    """The astronaut's face, 256 px, halved by MATLAB-style bicubic (the SR literature's
    degradation): 128x128 uint8 RGB."""
    from oculi.restore import imresize

    return imresize(_crop("astronaut", 0, 120, 256), 0.5)


def noisy_example() -> np.ndarray:
    """The cat's face, 160 px, with Gaussian noise of sigma 25 grey levels (seed 0), as the
    tour makes it: 160x160 uint8 RGB."""
    clean = _crop("chelsea", 60, 150, 160)
    noise = np.random.default_rng(0).normal(0, 25, clean.shape)
    return np.clip(np.rint(clean + noise), 0, 255).astype(np.uint8)


def dark_example() -> np.ndarray:
    """The coffee cup, 160 px, darkened as the tour does (gamma 2.2, gain 0.3): uint8 RGB."""
    return np.rint(255 * (_crop("coffee", 100, 200, 160) / 255.0) ** 2.2 * 0.3).astype(np.uint8)


for _name, _make, _help in (("restore-small", small_example, "a face at half size"),
                            ("restore-noisy", noisy_example, "a cat with sigma 25 noise"),
                            ("restore-dark", dark_example, "a low-light photo")):
    example_files.register(_name, _writer(_make), help=_help, suffix=".png")


def methods(problem: str) -> list[str]:
    """The registry names of ``problem``'s methods."""
    from oculi.restore import denoisers, enhancers, upscalers

    return {"upscale": upscalers, "denoise": denoisers, "enhance": enhancers}[problem].names()


def run(path: str | None, problem: str, method: str, scale: float, sigma: float | None,
        model: str, run_folder: str, ctx: TabContext, blur: float | None = None,
        noise: float | None = None) -> tuple:
    """Read the image as stored, run :func:`oculi.restore.upscale` / ``denoise`` / ``enhance``
    and save the result (PNG keeps 16 bits and alpha) with a JSON summary.

    ``run_folder`` is a run of ``oculi train restore`` (upscale, denoise) or ``oculi train
    lowlight`` (enhance); with it the problem's default method means the run's own network.
    ``blur`` (Gaussian sigma, HR pixels) and ``noise`` (8-bit sigma; None: estimated) describe
    the input's degradation for an SRMD run, as ``oculi upscale --blur/--noise``."""
    from oculi.core.errors import ParameterError
    from oculi.io import read_image
    from oculi.restore import denoise, enhance, estimate_noise, upscale

    if not path:
        raise ParameterError("restore: upload an image (or click an example)")
    image = read_image(path, mode="unchanged")
    model_path = model.strip() or None
    trained = run_folder.strip() or None
    if trained is not None and method == DEFAULTS[problem]:
        method = None  # the run's network, as the CLI's --run without --method
    if problem == "upscale":
        result = upscale(image, int(scale or 0), method, model_path, run=trained, blur=blur,
                         noise=noise)
    elif problem == "denoise":
        sigma = sigma or None  # an empty field reads 0
        if sigma is None and trained is None:
            sigma = estimate_noise(image)
        result = denoise(image, sigma, method, run=trained)
    else:
        result = enhance(image, method, model_path, run=trained)
    saved = save_image(ctx, problem, result)
    row = [problem, method or "the run's", f"{image.shape[1]}x{image.shape[0]}",
           f"{result.shape[1]}x{result.shape[0]}",
           "" if problem != "denoise" or sigma is None else round(float(sigma), 3)]
    summary = {"image": Path(path).name, **dict(zip(HEADERS, row, strict=True)),
               "model": model_path, "run": trained, "out": saved.name}
    if problem == "upscale" and (blur is not None or noise is not None):
        summary.update(blur=blur, noise=noise)
    return str(saved), path, [row], [str(saved), str(save_json(ctx, problem, summary))]


@tabs.register(NAME, help="An image → upscaled (bicubic, Lanczos, OpenCV's super-resolution "
               "networks from a .pb file, or a run of `oculi train restore`), denoised "
               "(non-local means with the noise level estimated, BM3D, a trained DnCNN) or "
               "brightened (gamma, CLAHE, LIME, MSRCR, Zero-DCE from its weights file or a run "
               "of `oculi train lowlight`); after and before.", order=110, title="Restoration")
def build(ctx: TabContext) -> None:
    """The upload, the problem and its method and options; after, before, the table, files."""
    image = image_input(NAME)
    with gr.Row():
        problem = gr.Radio(list(PROBLEMS), value="denoise", label="problem",
                           elem_id=f"{NAME}-problem")
        method = gr.Dropdown(methods("denoise"), value="nlm", label="method",
                             elem_id=f"{NAME}-method")
        scale = gr.Number(value=2, precision=0, label="upscale: factor", elem_id=f"{NAME}-scale")
        sigma = gr.Number(value=None, label="denoise: sigma in grey levels (0 or empty: estimated)",
                          elem_id=f"{NAME}-sigma")
    with gr.Row():
        model = gr.Textbox(label="model file (.pb of espcn/fsrcnn/lapsrn; .pth of zero-dce)",
                           elem_id=f"{NAME}-model")
        run_folder = gr.Textbox(label="run folder of oculi train restore (upscale, denoise) "
                                "or oculi train lowlight (enhance)", elem_id=f"{NAME}-trained")
        blur = gr.Number(value=None, label="srmd run: blur sigma in HR pixels (0: bicubic)",
                         elem_id=f"{NAME}-blur")
        noise = gr.Number(value=None, label="srmd run: noise sigma in grey levels (empty: "
                          "estimated)", elem_id=f"{NAME}-noise")
    gr.Examples([[str(ctx.example("restore-noisy")), "denoise"],
                 [str(ctx.example("restore-small")), "upscale"],
                 [str(ctx.example("restore-dark")), "enhance"]],
                [image, problem], label="examples")
    go = run_button(NAME, "Restore")
    with gr.Row():
        out = image_output(NAME, "after")
        before = image_output(NAME, "before", 2)
    table = table_output(NAME, HEADERS)
    files = files_output(NAME)
    problem.change(lambda p: gr.Dropdown(choices=methods(p), value=DEFAULTS[p]), [problem],
                   [method])
    go.click(ctx.guard(lambda p, pr, m, sc, si, mo, r, b, n:
                       run(p, pr, m, sc, si, mo, r, ctx, b, n)),
             [image, problem, method, scale, sigma, model, run_folder, blur, noise],
             [out, before, table, files])
