"""``oculi homography IMG1 IMG2``: the homography between two overlapping images."""

from __future__ import annotations

from pathlib import Path

import typer

from oculi.cli._common import names_of


def homography(
    image1: Path = typer.Argument(..., help="First image (the homography maps it to the second)."),
    image2: Path = typer.Argument(..., help="Second image."),
    json_path: Path = typer.Option(None, "--json", help="Write the estimate as JSON."),
    output: Path = typer.Option(
        None, "-o", "--out", "--output",
        help="Write image 1 warped into image 2's frame (PNG/JPEG).",
    ),
    features: str = typer.Option(
        "sift", "--features",
        help="Feature method or pair matcher: "
        f"{names_of('oculi.features:matcher_names')}. asift: affine view simulation, for "
        "extreme viewpoint changes (slow); *-lightglue: learned, extra 'learned'.",
    ),
    threshold: float = typer.Option(3.0, "--threshold", help="RANSAC inlier threshold, pixels."),
    ratio: float = typer.Option(0.8, "--ratio", help="Lowe's ratio test."),
    refine: bool = typer.Option(
        False, "--refine",
        help="Then refine the homography by rectify and re-match (warp each image into the "
        "other's frame with it, re-detect SIFT, match near the predicted positions, re-fit "
        "with the first matches; 3 rounds): for extreme viewpoint changes, where the first "
        "fit is pixels off.",
    ),
) -> None:
    """Match two images and fit a robust homography (LO-RANSAC + Levenberg-Marquardt).

    Exit code 2 with a one-line message when no homography can be found.
    """
    import numpy as np

    from oculi.cli._common import write_json
    from oculi.core.checks import check_finite, check_positive
    from oculi.core.errors import NoMatchError
    from oculi.geometry import warp_image
    from oculi.io import read_image, write_image
    from oculi.stitching.registration import register_pair

    check_positive(check_finite(threshold, "--threshold"), "--threshold")
    im1, im2 = read_image(image1), read_image(image2)
    try:
        reg = register_pair(im1, im2, features=features, ratio=ratio, threshold=threshold)
    except NoMatchError as exc:
        raise NoMatchError(f"{image1} and {image2}: {exc}") from exc
    est = reg.estimate
    h = est.model
    typer.echo(f"{image1} -> {image2}: {est.n_inliers}/{len(est.inliers)} inliers, "
               f"rms {est.rms:.2f} px, {est.iterations} hypotheses")
    result = reg.as_dict()
    if refine:
        from oculi.features.refine import refine_by_rectification

        try:
            ref = refine_by_rectification(im1, im2, h, seed_xy=(reg.xy1, reg.xy2))
        except NoMatchError as exc:
            raise NoMatchError(f"{image1} and {image2}: {exc}") from exc
        h = ref.model
        typer.echo(f"refined: {ref.n_inliers}/{len(ref.xy1)} inliers of the re-matched points "
                   f"({len(ref.rounds)} rounds, {ref.seconds:.1f} s)")
        result = {**result, "initial_model": result["model"], "model": h.tolist(),
                  "refinement": ref.as_dict()}
    text = np.array2string(h, precision=6, suppress_small=True)
    typer.echo("H = " + text.replace("\n", "\n    "))
    if json_path is not None:
        write_json(json_path, {"image1": str(image1), "image2": str(image2), **result})
    if output is not None:
        write_image(output, warp_image(im1, h, im2.shape[:2]))
        typer.echo(f"warped image 1 -> {output}")
