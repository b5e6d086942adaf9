"""``oculi info``, ``oculi convert`` and ``oculi tour``."""

from __future__ import annotations

from pathlib import Path

import typer


def info(
    torch: bool = typer.Option(False, "--torch", help="Also import torch: its threads and "
                               "whether it sees a CUDA device (takes seconds)."),
) -> None:
    """Versions of oculi and its engines, threads, and whether CUDA is available."""
    from oculi.info import collect_info

    for key, value in collect_info(torch=torch).items():
        typer.echo(f"{key:>18}: {value}")


def convert(
    src: Path = typer.Argument(..., help="Input image."),
    dst: Path = typer.Argument(..., help="Output image; the format follows the suffix."),
    max_size: int = typer.Option(
        None, "--max-size", help="Shrink so the longer side is at most N."
    ),
    gray: bool = typer.Option(False, "--gray", help="Convert to grayscale."),
    quality: int = typer.Option(95, "--quality", help="JPEG/WebP quality 1..100."),
) -> None:
    """Convert an image between formats (optionally shrinking it), written atomically."""
    from oculi.core.checks import check_in_range
    from oculi.io import read_image, write_image

    check_in_range(quality, "--quality", 1, 100)
    image = read_image(src, mode="gray" if gray else "unchanged", max_size=max_size)
    write_image(dst, image, quality=quality)
    h, w = image.shape[:2]
    typer.echo(f"{src} -> {dst} ({w}x{h})")


def tour(
    out: Path = typer.Option(Path("out/tour"), "--out", help="Folder for index.html and assets."),
    only: str = typer.Option(None, "--only", help="Comma-separated section names to run."),
    quick: bool = typer.Option(False, "--quick", help="Smaller inputs, for tests."),
) -> None:
    """Run the guided tour on embedded sample data and write an HTML report."""
    from oculi.tour import run_tour

    sections = [s.strip() for s in only.split(",")] if only else None
    page, failed = run_tour(out, sections=sections, quick=quick)
    typer.echo(f"report: {page}")
    if failed:
        typer.echo(f"sections that failed (see the report): {', '.join(failed)}", err=True)
        raise typer.Exit(1)
