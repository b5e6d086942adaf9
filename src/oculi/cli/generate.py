"""``oculi generate RUN -n 64 -o grid.png``: draw images from a trained generator run (any task
in :data:`oculi.generate.generators`: ``oculi train gan``, ...) and write them as one grid.
Training and evaluation: ``oculi train gan`` / ``oculi eval gan``."""

from __future__ import annotations

from pathlib import Path

import typer


def _parse_labels(text: str | None) -> list[int] | None:
    from oculi.core.errors import ParameterError

    if text is None:
        return None
    try:
        return [int(v) for v in text.replace(" ", "").split(",") if v != ""]
    except ValueError:
        raise ParameterError(f"--labels: expected class indices separated by commas, got "
                             f"{text!r}") from None


def generate(
    run: Path = typer.Argument(..., help="Run folder of a generator (oculi train gan ...)."),
    n: int = typer.Option(64, "-n", "--count", help="Images to draw."),
    out: Path = typer.Option(..., "-o", "--out", help="Grid image to write (PNG, ...)."),
    seed: int = typer.Option(0, "--seed", help="Noise seed (same seed, same images)."),
    labels: str = typer.Option(None, "--labels", help="Conditional models: the class of each "
                               "image, e.g. 0,1,2 (repeated to -n images); default: classes "
                               "in turn."),
    columns: int = typer.Option(None, "--columns", help="Images per grid row (default: a "
                                "square-ish grid)."),
    json_path: Path = typer.Option(None, "--json", help="Write a summary here (JSON)."),
    inputs: Path = typer.Option(None, "--input", help="pix2pix/CycleGAN runs: translate this "
                                "image (-o: the output image) or every image of this folder "
                                "(-o: the output folder)."),
) -> None:
    """Draw -n images from RUN and write them as one grid image (or translate --input)."""
    import time

    if inputs is not None:
        grid = [name for name, given in (("-n", n != 64), ("--seed", seed != 0),
                                         ("--labels", labels is not None),
                                         ("--columns", columns is not None),
                                         ("--json", json_path is not None)) if given]
        if grid:
            from oculi.core.errors import ParameterError

            raise ParameterError(f"{grid[0]}: a grid option, not used with --input "
                                 "(translation writes one image per input)")
        _translate(run, inputs, out)
        return

    from oculi.core.checks import check_positive
    from oculi.generate import generate as draw
    from oculi.generate import run_task_name
    from oculi.generate.gan_sample import grid
    from oculi.generate.sample import MAX_IMAGES
    from oculi.io import output_format, write_image

    check_positive(n, "-n")
    if n > MAX_IMAGES:
        from oculi.core.errors import ParameterError

        raise ParameterError(f"-n: at most {MAX_IMAGES} images per call, got {n} — for more, "
                             "call again with other --seed values")
    if columns is not None:
        check_positive(columns, "--columns")
    output_format(out)
    task = run_task_name(run)
    wanted = _parse_labels(labels)
    if wanted is not None:
        if not wanted:
            from oculi.core.errors import ParameterError

            raise ParameterError("--labels: expected at least one class index")
        wanted = [wanted[i % len(wanted)] for i in range(n)]
    t0 = time.perf_counter()
    images = draw(run, n, seed=seed, labels=wanted)
    picture = grid(images, columns)
    write_image(out, picture)
    seconds = time.perf_counter() - t0
    typer.echo(f"{run} ({task}): {n} images -> {out} ({picture.shape[1]}x{picture.shape[0]}, "
               f"seed {seed}, {seconds:.2f} s)")
    if json_path:
        from oculi.cli._common import write_json

        write_json(json_path, {"run": str(run), "task": task, "n": n, "seed": seed,
                               "labels": wanted, "out": str(out), "seconds": round(seconds, 4),
                               "image_shape": list(images.shape[1:])})


def _translate(run: Path, inputs: Path, out: Path) -> None:
    from oculi.cli._common import report_failures
    from oculi.core.errors import DataError
    from oculi.generate.img2img_apply import translate_files
    from oculi.io import IMAGE_SUFFIXES

    if not inputs.exists():
        raise DataError(f"{inputs}: no such file or folder")
    files = ([p for p in sorted(inputs.iterdir()) if p.suffix.lower() in IMAGE_SUFFIXES]
             if inputs.is_dir() else [inputs])
    if not files:
        raise DataError(f"{inputs}: no images in the folder")
    done, failed = translate_files(run, files, out, into_folder=inputs.is_dir())
    typer.echo(f"{run}: {len(done)} image(s) translated -> {out}")
    report_failures(failed)
