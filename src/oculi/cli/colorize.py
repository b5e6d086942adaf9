"""``oculi colorize IMAGE -o out.png --run RUN``: colourise a photo from its lightness with a
trained run. Training and scoring: ``oculi train colorize`` and ``oculi eval colorize``."""

from __future__ import annotations

import time
from pathlib import Path

import typer


def colorize(
    image: Path = typer.Argument(..., help="Input image (gray or colour: only its lightness is "
                                 "used)."),
    out: Path = typer.Option(..., "-o", "--out", help="Output colour image."),
    run: Path = typer.Option(..., "--run", help="Run folder of oculi train colorize (or its "
                             ".safetensors checkpoint)."),
    temperature: float = typer.Option(None, "--temperature", help="Annealed-mean T of a "
                                      "classification run (default: the run's, 0.38; 1: the "
                                      "mean)."),
    json_path: Path = typer.Option(None, "--json", help="Write the summary here (JSON)."),
) -> None:
    """Colourise IMAGE with a trained colouriser; the output keeps the input's lightness."""
    from oculi.colorize import colorize as run_colorize
    from oculi.colorize import load_colorizer
    from oculi.colorize.metrics import colourfulness
    from oculi.core.checks import check_positive
    from oculi.io import output_format, read_image, write_image

    if temperature is not None:
        check_positive(temperature, "--temperature")
    output_format(out)
    picture = read_image(image, mode="rgb")
    model = load_colorizer(run)
    t0 = time.perf_counter()
    result = run_colorize(picture, model, temperature=temperature)
    seconds = time.perf_counter() - t0
    write_image(out, result)
    summary = {"image": str(image), "out": str(out), "run": str(run), "model": model.kind,
               "colourfulness": round(colourfulness(result), 2), "seconds": round(seconds, 4)}
    typer.echo(f"{image.name} -> {out} ({model.kind}, colourfulness "
               f"{summary['colourfulness']}, {seconds:.2f} s)")
    if json_path:
        from oculi.cli._common import write_json

        write_json(json_path, summary)
