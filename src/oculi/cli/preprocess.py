"""``oculi preprocess clahe|equalize|local-mean|gamma IN... -o OUT``.

Each command reads one or more images (their bit depth and channels kept: gray, RGB, RGBA,
8 or 16 bits), applies one :mod:`oculi.preprocess` function and writes the result. With several
inputs ``-o`` is a folder (a name with an image suffix is refused). Float options must be
finite. A file that fails is skipped, listed at the end, and makes the exit code 2.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import typer

from oculi.cli._common import report_failures, topic_app, write_json

app = topic_app("Contrast and illumination preprocessing: CLAHE, equalisation, local mean, gamma.")

_INPUTS = typer.Argument(..., help="Input image(s).", exists=False)
_OUT = typer.Option(..., "-o", "--out", help="Output image (one input) or folder (several; "
                    "not a name with an image suffix).")
_GRAY = typer.Option(False, "--gray", help="Convert to grayscale first.")
_JSON = typer.Option(None, "--json", help="Write a machine-readable summary here.")


def _parse_tiles(text: str) -> tuple[int, int]:
    from oculi.core.errors import ParameterError

    parts = text.lower().replace("x", ",").split(",")
    try:
        values = [int(p) for p in parts if p.strip()]
    except ValueError as exc:
        raise ParameterError(f"--tiles: expected ROWSxCOLS or N, got {text!r}") from exc
    if len(values) == 1:
        return values[0], values[0]
    if len(values) != 2:
        raise ParameterError(f"--tiles: expected ROWSxCOLS or N, got {text!r}")
    return values[0], values[1]


#: suffixes that make ``-o`` an image file, refused as the folder of several outputs
_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp", ".ppm", ".pgm",
                   ".pnm", ".gif")


def _finite(**options: float | None) -> None:
    """Reject NaN/inf option values (``--clip-limit nan`` ...); the keys are the option names."""
    from oculi.core.checks import check_finite

    for key, value in options.items():
        if value is not None:
            check_finite(value, "--" + key.replace("_", "-"))


def _run(
    name: str,
    inputs: list[Path],
    out: Path,
    gray: bool,
    fn: Callable[[np.ndarray], np.ndarray],
    params: dict,
    json_path: Path | None,
) -> None:
    from oculi.core.errors import OculiError, ParameterError
    from oculi.io import read_image, write_image

    several = len(inputs) > 1 or out.is_dir()
    if several:
        if out.exists() and not out.is_dir():
            raise ParameterError(f"-o: {out} is a file; with several inputs give a folder")
        if not out.exists() and out.suffix.lower() in _IMAGE_SUFFIXES:
            raise ParameterError(
                f"-o: {out} looks like an image file ({out.suffix}); with {len(inputs)} inputs "
                "give a folder (a name without an image suffix)"
            )
        out.mkdir(parents=True, exist_ok=True)
    done, failed = [], []
    for src in inputs:
        dst = out / src.name if several else out
        try:
            image = read_image(src, mode="gray" if gray else "unchanged")
            result = fn(image)
            write_image(dst, result)
        except (OculiError, OSError) as exc:
            failed.append({"input": str(src), "error": " ".join(str(exc).split())})
            continue
        h, w = result.shape[:2]
        done.append({"input": str(src), "output": str(dst), "size": [h, w],
                     "dtype": result.dtype.name})
        typer.echo(f"{name}: {src} -> {dst} ({w}x{h}, {result.dtype.name})")
    if json_path is not None:
        write_json(json_path, {"command": name, "params": params, "done": done, "failed": failed})
    report_failures({f["input"]: f["error"] for f in failed})


@app.command("clahe")
def clahe_cmd(
    inputs: list[Path] = _INPUTS,
    out: Path = _OUT,
    clip_limit: float = typer.Option(2.0, "--clip-limit", help="Contrast limit (OpenCV's)."),
    tiles: str = typer.Option("8x8", "--tiles", help="Tile grid ROWSxCOLS (or N)."),
    gray: bool = _GRAY,
    json_path: Path = _JSON,
) -> None:
    """CLAHE (bit-exact with OpenCV on gray); colour images through L* (hue kept). Exit 2 if any
    file failed."""
    from oculi.preprocess import clahe

    _finite(clip_limit=clip_limit)
    grid = _parse_tiles(tiles)
    _run("clahe", inputs, out, gray, lambda im: clahe(im, clip_limit, grid),
         {"clip_limit": clip_limit, "tiles": list(grid)}, json_path)


@app.command("equalize")
def equalize_cmd(
    inputs: list[Path] = _INPUTS,
    out: Path = _OUT,
    gray: bool = _GRAY,
    json_path: Path = _JSON,
) -> None:
    """Global histogram equalisation (colour through L*). Exit 2 if any file failed."""
    from oculi.preprocess import equalize_hist

    _run("equalize", inputs, out, gray, equalize_hist, {}, json_path)


@app.command("local-mean")
def local_mean_cmd(
    inputs: list[Path] = _INPUTS,
    out: Path = _OUT,
    sigma: float = typer.Option(None, "--sigma", help="Gaussian sigma in pixels (default W/30)."),
    size: int = typer.Option(None, "--size", help="Box window side (with --window box)."),
    window: str = typer.Option("gaussian", "--window", help="gaussian or box."),
    alpha: float = typer.Option(4.0, "--alpha", help="Detail gain: alpha*(I - blur(I)) + offset."),
    offset: float = typer.Option(128.0, "--offset", help="Grey level of 'no detail' (0..255)."),
    gray: bool = _GRAY,
    json_path: Path = _JSON,
) -> None:
    """Local-mean subtraction, 4*I - 4*blur(I) + 128 by default (Graham's retina recipe).
    Exit 2 if any file failed."""
    from oculi.core.checks import check_in_range
    from oculi.preprocess import subtract_local_mean

    _finite(sigma=sigma, alpha=alpha, offset=offset)
    check_in_range(offset, "--offset", 0, 255)

    def fn(im: np.ndarray) -> np.ndarray:
        return subtract_local_mean(im, sigma=sigma, size=size, window=window, style="retina",
                                   alpha=alpha, offset=offset)

    _run("local-mean", inputs, out, gray, fn,
         {"sigma": sigma, "size": size, "window": window, "alpha": alpha, "offset": offset},
         json_path)


@app.command("gamma")
def gamma_cmd(
    inputs: list[Path] = _INPUTS,
    out: Path = _OUT,
    gamma: float = typer.Option(..., "--gamma", help="Exponent: < 1 brightens, > 1 darkens."),
    gain: float = typer.Option(1.0, "--gain", help="Multiplier after the power."),
    gray: bool = _GRAY,
    json_path: Path = _JSON,
) -> None:
    """Gamma correction gain * I**gamma on [0, 1] intensities. Exit 2 if any file failed."""
    from oculi.preprocess import gamma as gamma_fn

    _finite(gamma=gamma, gain=gain)
    _run("gamma", inputs, out, gray, lambda im: gamma_fn(im, gamma, gain),
         {"gamma": gamma, "gain": gain}, json_path)
