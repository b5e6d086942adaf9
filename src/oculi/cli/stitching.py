"""``oculi stitch IMAGES... -o PANO``: N overlapping images (any order) to one panorama."""

from __future__ import annotations

from pathlib import Path

import typer


def stitch(
    images: list[Path] = typer.Argument(..., help="Overlapping images, in any order."),
    output: Path = typer.Option(..., "-o", "--out", "--output",
                                help="Panorama file (PNG/JPEG/...)."),
    projection: str = typer.Option(
        "spherical", "--projection", help="spherical, cylindrical or planar."
    ),
    blend: str = typer.Option("multiband", "--blend", help="multiband, feather or none."),
    crop: bool = typer.Option(False, "--crop", help="Crop to the largest inner rectangle."),
    json_path: Path = typer.Option(
        None, "--json", help="Write META: per-image transforms, left-out images and why, errors."
    ),
    model: str = typer.Option("auto", "--motion", "--model",
                              help="Motion model: auto, rotation or homography (--model is the "
                                   "old name)."),
    features: str = typer.Option(
        None, "--features", help="Feature method (oculi.features), or auto (the default): ORB, "
        "then SIFT when ORB leaves an image unconnected."),
    work_megapix: float = typer.Option(
        None, "--work-megapix",
        help="Registration resolution, megapixels per image (default: the library's, 0.4)."),
    compose_scale: float = typer.Option(1.0, "--compose-scale", help="Output scale vs inputs."),
) -> None:
    """Stitch images into a panorama (registration at work scale, composition at full size).

    Exit codes: 0 every image stitched; 1 a panorama was written but some images were left out
    (unreadable, or not connected to the largest overlapping set; they are listed); 2 nothing
    could be stitched (the message names the images).
    """
    from oculi.cli._common import write_json
    from oculi.core.errors import ImageReadError, NoMatchError
    from oculi.io import output_format, read_image, write_image
    from oculi.stitching import stitch as stitch_images

    output_format(output)  # a name oculi cannot write fails before any work
    arrays, names, unreadable = [], [], {}
    for path in images:
        try:
            arrays.append(read_image(path))
            names.append(str(path))
        except ImageReadError as exc:
            unreadable[str(path)] = f"unreadable: {exc}"
    if len(arrays) < 2:
        bad = "; ".join(f"{k} ({v})" for k, v in unreadable.items())
        raise NoMatchError(
            f"need at least 2 readable images to stitch, got {len(arrays)}"
            + (f" ({', '.join(names)})" if names else "") + (f"; {bad}" if bad else "")
        )
    # unset options take the library's defaults (one default, in oculi.stitching.stitch)
    optional = {k: v for k, v in (("features", features), ("work_megapix", work_megapix))
                if v is not None}
    pano = stitch_images(arrays, names=names, projection=projection, blend=blend, crop=crop,
                         model=model, compose_scale=compose_scale, **optional)
    write_image(output, pano.image)
    left_out = {**unreadable, **pano.excluded}
    meta = pano.as_dict()
    meta["excluded"] = left_out
    h, w = pano.image.shape[:2]
    typer.echo(f"{output}: {w}x{h} from {len(pano.included)}/{len(images)} images, "
               f"{pano.model} model, {pano.projection}, mean reprojection error "
               f"{pano.reprojection_error:.2f} px, {pano.timings['total']:.2f} s")
    if json_path is not None:
        write_json(json_path, meta)
    if left_out:
        for name, reason in left_out.items():
            typer.echo(f"left out {name}: {reason}", err=True)
        raise typer.Exit(1)
