"""``oculi compress IMAGE -o x.oculi`` / ``oculi decompress x.oculi -o out.png``: a learned codec
(``oculi train compress``) writing and reading real ``.oculi`` bit streams."""

from __future__ import annotations

import time
from pathlib import Path

import typer

_RUN = typer.Option(None, "--run", "--model", help="A run of 'oculi train compress', or a "
                    "folder of runs q1..q8 (default: $OCULI_COMPRESS_RUNS).")
_JSON = typer.Option(None, "--json", help="Write the summary here (JSON).")


def compress(
    image: Path = typer.Argument(..., help="Input image."),
    out: Path = typer.Option(..., "-o", "--out", help="The .oculi file to write (suffix .oculi)."),
    quality: int = typer.Option(None, "--quality", help="Quality level 1..8 (picks the run "
                                "of a folder of runs)."),
    run: Path = _RUN,
    json_path: Path = _JSON,
) -> None:
    """Compress IMAGE to an .oculi file with a learned codec; print bpp and PSNR."""
    import numpy as np

    from oculi.compress import compress_image, decompress_image, find_codec, ms_ssim
    from oculi.core.atomic import atomic_path
    from oculi.io import read_image
    from oculi.restore import psnr
    from oculi.train.metrics.image import MS_SSIM_MIN_SIDE

    if out.suffix.lower() != ".oculi":
        from oculi.core.errors import ParameterError

        raise ParameterError(f"{out}: the compressed file needs the .oculi suffix (decompress "
                             "writes images)")
    picture = read_image(image, mode="rgb")
    model = find_codec(run, quality)
    t0 = time.perf_counter()
    data = compress_image(picture, model)
    seconds = time.perf_counter() - t0
    with atomic_path(out) as tmp:
        Path(tmp).write_bytes(data)
    decoded = decompress_image(data, model, str(out))
    h, w = picture.shape[:2]
    bpp = 8.0 * len(data) / (h * w)
    score = psnr(picture, decoded)
    msssim = ms_ssim(picture, decoded) if min(h, w) >= MS_SSIM_MIN_SIDE else None
    typer.echo(f"{image.name} -> {out} ({len(data)} bytes, {bpp:.3f} bpp, PSNR {score:.2f} dB"
               f"{'' if msssim is None else f', MS-SSIM {msssim:.4f}'}, {seconds:.2f} s)")
    if json_path:
        from oculi.cli._common import write_json

        write_json(json_path, {"image": str(image), "out": str(out), "bytes": len(data),
                               "bpp": bpp, "psnr": score, "ms_ssim": msssim,
                               "quality": int(model.quality), "model": model.kind,
                               "size": [int(h), int(w)], "seconds": round(seconds, 4),
                               "max_abs_error": int(np.abs(picture.astype(int) - decoded).max())})


def decompress(
    file: Path = typer.Argument(..., help="An .oculi file."),
    out: Path = typer.Option(..., "-o", "--out", help="Output image (PNG, ...)."),
    run: Path = _RUN,
    json_path: Path = _JSON,
) -> None:
    """Decode an .oculi file to an image (the run folder it was compressed with, or the
    folder of per-quality runs)."""
    from oculi.compress import find_codec, read_compressed, read_header
    from oculi.core.errors import ParameterError
    from oculi.io import output_format, write_image

    output_format(out)
    header = read_header(file)
    try:
        model = find_codec(run, header.quality or None)
    except ParameterError:  # a single run of another quality: the model id decides
        model = find_codec(run)
    t0 = time.perf_counter()
    decoded = read_compressed(file, model)
    seconds = time.perf_counter() - t0
    write_image(out, decoded)
    bpp = 8.0 * file.stat().st_size / (header.height * header.width)
    typer.echo(f"{file.name} -> {out} ({header.width}x{header.height}, {bpp:.3f} bpp, "
               f"{seconds:.2f} s)")
    if json_path:
        from oculi.cli._common import write_json

        write_json(json_path, {"file": str(file), "out": str(out), "bpp": bpp,
                               "quality": header.quality, "model": header.kind,
                               "size": [header.height, header.width],
                               "seconds": round(seconds, 4)})
