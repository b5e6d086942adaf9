"""``oculi upscale`` / ``oculi denoise`` / ``oculi enhance``: image restoration, one image in, one
out. Inputs are read as stored (gray, RGB or RGBA; 8 or 16 bits) and written in the same layout
and depth (see :mod:`oculi.restore._common`: 16-bit is processed as float, alpha is kept aside)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import typer

from oculi.cli._common import names_of

_JSON = typer.Option(None, "--json", help="Write the summary here (JSON).")
_OUT = typer.Option(..., "-o", "--out", help="Output image (PNG/TIFF keep 16 bits and alpha).")


def _finish(image: Path, out: Path, result: Any, summary: dict[str, Any], json_path: Path | None,
            seconds: float) -> None:
    from oculi.io import write_image

    write_image(out, result)
    summary.update({"image": str(image), "out": str(out), "seconds": round(seconds, 4),
                    "size": [int(result.shape[0]), int(result.shape[1])]})
    extra = "".join(f", {k} {v}" for k, v in summary.items()
                    if k in ("method", "scale", "sigma") and v is not None)
    typer.echo(f"{image.name} -> {out} ({result.shape[1]}x{result.shape[0]}{extra}, "
               f"{seconds:.2f} s)")
    if json_path:
        from oculi.cli._common import write_json

        write_json(json_path, summary)


def _read(image: Path, out: Path) -> Any:
    from oculi.io import output_format, read_image

    output_format(out)
    return read_image(image, mode="unchanged")


def upscale(
    image: Path = typer.Argument(..., help="Input image."),
    scale: int = typer.Option(..., "--scale", help="Integer factor: 2, 3 or 4 (bicubic and "
                              "lanczos take any)."),
    method: str = typer.Option(None, "--method", help=f"Upscaler: "
                               f"{names_of('oculi.restore:upscalers')} (default: read from "
                               "the --model file name, else bicubic)."),
    model: Path = typer.Option(None, "--model", help="dnn_superres .pb file (e.g. "
                               "ESPCN_x2.pb); its scale must equal --scale."),
    run_dir: Path = typer.Option(None, "--run", help="Run folder of oculi train restore "
                                 "(srcnn, fsrcnn, espcn, edsr trained in oculi)."),
    tile: int = typer.Option(None, "--tile", help="Tile side in input pixels (default: whole "
                             "image up to 1 MP, 512 above; 0: never tile)."),
    blur: float = typer.Option(None, "--blur", help="srmd runs (non-blind): the Gaussian blur "
                               "width of the input's degradation, HR pixels (0: plain "
                               "bicubic)."),
    kernel: Path = typer.Option(None, "--kernel", help="srmd runs: the blur kernel instead, a "
                                ".npy or text file holding an odd-sided square array."),
    noise: float = typer.Option(None, "--noise", help="srmd runs: the input's noise standard "
                                "deviation, 8-bit grey levels (default: estimated)."),
    out: Path = _OUT,
    json_path: Path = _JSON,
) -> None:
    """Upscale IMAGE by --scale: classical, OpenCV dnn_superres, or a network trained in oculi."""
    from oculi.restore import model_file_info
    from oculi.restore import upscale as run

    if method is None and run_dir is None:
        method = (model_file_info(model)[0] if model else None) or "bicubic"
    weights = _read_kernel(kernel) if kernel is not None else None
    picture = _read(image, out)
    t0 = time.perf_counter()
    result = run(picture, scale, method, model, run=run_dir, tile=tile, blur=blur,
                 kernel=weights, noise=noise)
    _finish(image, out, result, {"method": method, "scale": scale,
                                 "model": str(model) if model else None,
                                 "run": str(run_dir) if run_dir else None,
                                 "blur": blur, "kernel": str(kernel) if kernel else None,
                                 "noise": noise},
            json_path, time.perf_counter() - t0)


def _read_kernel(path: Path) -> Any:
    """A kernel array from a ``.npy`` or whitespace/comma-separated text file."""
    import numpy as np

    from oculi.core.checks import check_path
    from oculi.core.errors import ParameterError

    check_path(path, "kernel")
    try:
        if path.suffix.lower() == ".npy":
            return np.load(path, allow_pickle=False)
        return np.loadtxt(path, delimiter="," if "," in path.read_text() else None, ndmin=2)
    except (ValueError, OSError, EOFError) as exc:  # EOFError: an empty .npy
        raise ParameterError(f"{path}: not a kernel array ({exc})") from exc


def denoise(
    image: Path = typer.Argument(..., help="Input image."),
    sigma: float = typer.Option(None, "--sigma", help="Noise standard deviation in 8-bit grey "
                                "levels (0..255), whatever the file's depth."),
    auto: bool = typer.Option(False, "--auto", help="Estimate sigma (wavelet MAD; the default "
                              "when --sigma is not given)."),
    method: str = typer.Option(None, "--method", help=f"Denoiser: "
                               f"{names_of('oculi.restore:denoisers')} (default: nlm; dncnn "
                               "with --run)."),
    run_dir: Path = typer.Option(None, "--run", help="Run folder of oculi train restore "
                                 "--problem denoise (a blind DnCNN: no sigma needed)."),
    out: Path = _OUT,
    json_path: Path = _JSON,
) -> None:
    """Remove Gaussian noise from IMAGE (non-local means, BM3D or a DnCNN trained in oculi)."""
    from oculi.core.errors import ParameterError
    from oculi.restore import denoise as run
    from oculi.restore import estimate_noise

    if auto and sigma is not None:
        raise ParameterError("--sigma and --auto: give one of them")
    picture = _read(image, out)
    t0 = time.perf_counter()
    estimated = sigma is None and run_dir is None
    if estimated:
        sigma = estimate_noise(picture)
    result = run(picture, sigma, method, run=run_dir)
    _finish(image, out, result, {"method": method or ("dncnn" if run_dir else "nlm"),
                                 "sigma": None if sigma is None else round(float(sigma), 3),
                                 "sigma_estimated": estimated,
                                 "run": str(run_dir) if run_dir else None},
            json_path, time.perf_counter() - t0)


def enhance(
    image: Path = typer.Argument(..., help="Input (low-light) image."),
    method: str = typer.Option(None, "--method", help=f"Enhancer: "
                               f"{names_of('oculi.restore:enhancers')}, sid (default: lime; "
                               "the run's network with --run)."),
    model: Path = typer.Option(None, "--model", help="Weights file for zero-dce / zero-dce++ "
                               "(the published .pth state dict; nothing is downloaded)."),
    run_dir: Path = typer.Option(None, "--run", help="Run folder of oculi train lowlight "
                                 "(zero-dce / zero-dce++ trained in oculi) or of oculi train sid."),
    ratio: float = typer.Option(None, "--ratio", help="sid: the exposure ratio (e.g. 100, 300); "
                                "IMAGE: a .npy RGGB Bayer raw, or a photo made dark first."),
    black_level: float = typer.Option(0.0, "--black-level", help="sid .npy raws: black level."),
    white_level: float = typer.Option(None, "--white-level", help="sid .npy raws: white level "
                                      "(default: the dtype's maximum; 1 for floats)."),
    out: Path = _OUT,
    json_path: Path = _JSON,
) -> None:
    """Brighten a low-light IMAGE (or restore a dark raw with --method sid)."""
    from oculi.restore import enhance as run

    raw_options = [name for name, given in (("--ratio", ratio is not None),
                                            ("--black-level", black_level != 0.0),
                                            ("--white-level", white_level is not None)) if given]
    if method != "sid" and raw_options:
        from oculi.core.errors import ParameterError

        raise ParameterError(f"{raw_options[0]}: only --method sid takes it (got method "
                             f"{method or 'lime'})")
    if method == "sid":
        from oculi.restore.sid_net import sid_enhance_file

        t0 = time.perf_counter()
        result, summary = sid_enhance_file(image, run_dir, ratio, black_level, white_level)
        return _finish(image, out, result, summary, json_path, time.perf_counter() - t0)
    picture = _read(image, out)
    t0 = time.perf_counter()
    result = run(picture, method if method or run_dir else "lime", model, run=run_dir)
    _finish(image, out, result, {"method": method or ("lime" if run_dir is None else None),
                                 "model": str(model) if model else None,
                                 "run": str(run_dir) if run_dir else None},
            json_path, time.perf_counter() - t0)
