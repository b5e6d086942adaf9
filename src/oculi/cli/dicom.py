"""``oculi dicom info FILE`` and ``oculi dicom convert FILE -o OUT.png [--window ...]``."""

from __future__ import annotations

from pathlib import Path

import typer

from oculi.cli._common import names_of, topic_app, write_json

app = topic_app("DICOM: metadata and pixel statistics, windowed conversion to 8-bit PNG.")


@app.command("info")
def info(
    file: Path = typer.Argument(..., help="A DICOM file."),
    json_path: Path = typer.Option(None, "--json", help="Write the full result as JSON."),
) -> None:
    """Shape, frames, units (HU for CT), value range and selected metadata (no patient data)."""
    from oculi.preprocess import dicom_info

    result = dicom_info(file)
    meta = result["meta"]
    typer.echo(f"file        : {result['file']}")
    typer.echo(f"modality    : {meta.get('Modality', '?')}  "
               f"({meta.get('PhotometricInterpretation', '?')})")
    typer.echo(f"shape       : {' x '.join(map(str, result['shape']))}  "
               f"frames: {result['frames']}")
    if result["min"] is not None:
        typer.echo(f"values      : {result['min']:g} .. {result['max']:g} "
                   f"(mean {result['mean']:.4g}) {result['units']}")
    typer.echo(f"padding     : {result['padding_pixels']} pixel(s)")
    if "WindowCenter" in meta:
        typer.echo(f"file window : centre {meta['WindowCenter']} width {meta.get('WindowWidth')}")
    typer.echo(f"transfer    : {meta.get('TransferSyntaxUID', '?')}")
    if json_path is not None:
        write_json(json_path, result)


@app.command("convert")
def convert(
    file: Path = typer.Argument(..., help="A DICOM file."),
    out: Path = typer.Option(..., "-o", "--out", help="Output image (.png keeps it lossless)."),
    window: str = typer.Option(
        "auto", "--window",
        help="auto (file's window, else min-max), file, minmax, a preset "
             f"({names_of('oculi.preprocess.dicom:WINDOW_PRESETS')}) or CENTRE,WIDTH.",
    ),
    frame: int = typer.Option(None, "--frame", help="One frame of a multi-frame file, "
                              "counted from 0; a negative index counts from the end (-1: the "
                              "last frame). Default: a montage of all frames."),
    json_path: Path = typer.Option(None, "--json", help="Write a summary as JSON."),
) -> None:
    """Window a DICOM image and write it as 8-bit (MONOCHROME1 inverted, padding black)."""
    from oculi.preprocess import convert_dicom

    result = convert_dicom(file, out, window, frame=frame)
    shape = "x".join(map(str, result["shape"]))
    typer.echo(f"{file} -> {out} ({shape}, window {window}, {result['frames']} frame(s))")
    if json_path is not None:
        write_json(json_path, result)
