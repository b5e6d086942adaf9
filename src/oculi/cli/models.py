"""``oculi models list`` and ``oculi classify IMAGE...``."""

from __future__ import annotations

from pathlib import Path

import typer

from oculi.cli._common import report_failures, topic_app, write_json

app = topic_app("The CNN zoo: names, libraries, parameters, ImageNet top-1, offline weights.")


@app.command("list")
def list_(
    pattern: str = typer.Argument("*", help="Shell-style filter on oculi names, e.g. 'resnet*'."),
    available: bool = typer.Option(False, "--available", help="Hide unavailable names."),
    json_path: Path = typer.Option(None, "--json", help="Write the table as JSON."),
) -> None:
    """Print the zoo table: common name, library model, parameters, top-1, offline weights."""
    from rich.console import Console
    from rich.table import Table

    from oculi.models import list_models

    rows = list_models(pattern, available_only=available)
    table = Table("oculi name", "common name", "library", "library name", "params (M)",
                  "top-1 %", "weights offline")
    for r in rows:
        table.add_row(r.name, r.common_name, r.library, r.lib_name or r.note[:60],
                      f"{r.params_m:.2f}" if r.params_m else "-",
                      f"{r.top1:.2f}" if r.top1 is not None else "-", r.weights_offline)
    Console(width=160).print(table)
    if json_path:
        write_json(json_path, [r.as_dict() for r in rows])


def classify(
    images: list[Path] = typer.Argument(..., help="Image files."),
    model: str = typer.Option("efficientnet_lite0", "--model", "-m", help="Zoo model name."),
    weights: Path = typer.Option(None, "--weights", help="Weights file (state dict or oculi "
                                 "checkpoint); default: the model's offline pretrained weights."),
    top: int = typer.Option(5, "--top", help="Classes per image."),
    batch_size: int = typer.Option(16, "--batch-size", help="Images per forward pass."),
    json_path: Path = typer.Option(None, "--json", help="Write results as JSON."),
    download: bool = typer.Option(False, "--download", help="Without offline weights, fetch "
                                  "them from the library hub (default: fail at once and name "
                                  "the file to pass with --weights)."),
) -> None:
    """Top-k ImageNet (or checkpoint) classes for each image. Unreadable files are listed at the
    end and make the exit code 2."""
    from oculi.classify import classify_files

    results, failures = classify_files(images, model, top=top, weights=weights,
                                       batch_size=batch_size, allow_download=download)
    for path, preds in results.items():
        typer.echo(path)
        for p in preds:
            typer.echo(f"  {p.probability:6.3f}  {p.index:4d}  {p.label}")
    if json_path:
        write_json(json_path, {"model": model, "results": {
            k: [p.as_dict() for p in v] for k, v in results.items()}, "failures": failures})
    report_failures(failures)
