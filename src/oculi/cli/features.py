"""``oculi features detect|match|compare``: keypoints, matches and the measured comparison table."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from oculi.cli._common import names_of, topic_app, write_json

app = topic_app("Feature detection, description, matching and the measured comparison table.")


@app.command()
def detect(
    image: Path = typer.Argument(..., help="Input image (grayscale or colour)."),
    method: str = typer.Option("sift", "--method", "-m", help="Method: "
                               f"{names_of('oculi.features:feature_methods')}."),
    out: Path = typer.Option(None, "-o", "--out", help="Write a keypoint overlay (PNG/JPEG)."),
    json_out: Path = typer.Option(None, "--json", help="Write keypoints and facts as JSON."),
    max_draw: int = typer.Option(1000, "--max-draw", help="Draw at most N strongest keypoints."),
) -> None:
    """Detect (and describe) keypoints in one image."""
    from oculi.core.checks import check_positive
    from oculi.features import detect_and_describe
    from oculi.io import read_image

    check_positive(max_draw, "--max-draw", allow_zero=True)
    img = read_image(image)
    t0 = time.perf_counter()
    feats = detect_and_describe(img, method)
    ms = (time.perf_counter() - t0) * 1e3
    if out is not None:
        from oculi.features.draw import draw_keypoints
        from oculi.io import write_image

        write_image(out, draw_keypoints(img, feats, max_keypoints=max_draw))
    if json_out is not None:
        write_json(json_out, {**feats.summary(), "ms": ms, "keypoints": feats.keypoints.as_dict()})
    desc = "no descriptors" if feats.kind is None else (
        f"{feats.descriptors.shape[1]}-d {feats.kind} ({feats.norm})")  # type: ignore[union-attr]
    typer.echo(f"{image}: {len(feats)} keypoints, {desc}, {ms:.1f} ms ({feats.method})")


@app.command()
def match(
    image1: Path = typer.Argument(..., help="First image."),
    image2: Path = typer.Argument(..., help="Second image."),
    method: str = typer.Option("sift", "--method", "-m", help="A method with descriptors."),
    matcher: str = typer.Option("bf", "--matcher", help="bf (brute force) or flann."),
    ratio: float = typer.Option(0.8, "--ratio", help="Lowe's ratio; 1 turns the test off."),
    mutual: bool = typer.Option(True, "--mutual/--no-mutual", help="Mutual nearest neighbours."),
    out: Path = typer.Option(None, "-o", "--out", help="Write the match lines (PNG/JPEG)."),
    json_out: Path = typer.Option(None, "--json", help="Write matches and homography as JSON."),
) -> None:
    """Match two images; lines are green for homography inliers (MAGSAC++, 3 px), red otherwise."""
    from oculi.features.pipeline import match_images
    from oculi.io import read_image

    a, b = read_image(image1), read_image(image2)
    res = match_images(a, b, method, matcher=matcher, ratio=None if ratio >= 1 else ratio,
                       mutual=mutual)
    if out is not None:
        from oculi.features.draw import draw_matches
        from oculi.io import write_image

        write_image(out, draw_matches(a, b, res.features1, res.features2, res.matches,
                                      inliers=res.inliers))
    s = res.summary()
    if json_out is not None:
        write_json(json_out, {**s, "matches_list": res.matches.as_dict(),
                              "inlier_mask": res.inliers.tolist()})
    typer.echo(f"{method}: {s['keypoints1']} / {s['keypoints2']} keypoints, {s['matches']} matches,"
               f" {s['inliers']} homography inliers")


@app.command()
def compare(
    dirs: list[Path] = typer.Argument(..., help="Folders in HPatches (1.png, H_1_2, ..), Oxford "
                                      "(img1.png, H1to2p, ..) or pairs (1/, 2/, h/) layout."),
    methods: str = typer.Option(None, "--methods", help="Comma-separated method names "
                                f"({names_of('oculi.features:feature_methods')}) or pair "
                                f"matchers ({names_of('oculi.features:pair_matchers')}); default: "
                                f"{names_of('oculi.features:DEFAULT_METHODS')}."),
    max_size: int = typer.Option(None, "--max-size", help="Shrink images to this longer side."),
    max_keypoints: int = typer.Option(None, "--max-keypoints",
                                      help="Evaluate the N strongest keypoints per image."),
    json_out: Path = typer.Option(None, "--json", help="Write the table and per-pair results."),
    report: Path = typer.Option(None, "--report", help="Write an HTML report into this folder."),
) -> None:
    """Measure every method on image pairs with ground-truth homographies and print the table.

    Folders that cannot be read are listed at the end and the exit code is 2 (the others are
    still measured).
    """
    from oculi.core.errors import OculiError
    from oculi.features import DEFAULT_METHODS, compare_methods, format_table, load_pairs
    from oculi.features.compare import TABLE_HEADERS, table_rows

    pairs, failed = [], []
    for d in dirs:
        try:
            pairs.extend(load_pairs(d))
        except OculiError as exc:
            failed.append(f"{d}: {exc}")
    names = ([m.strip() for m in methods.split(",") if m.strip()] if methods
             else list(DEFAULT_METHODS))
    if pairs:
        res = compare_methods(pairs, names, max_size=max_size, max_keypoints=max_keypoints,
                              progress=lambda m: typer.echo(m, err=True))
        typer.echo(f"{len(pairs)} pairs from {len(dirs) - len(failed)} folder(s)")
        typer.echo(format_table(res))
        if json_out is not None:
            write_json(json_out, {"pairs": [p.name for p in pairs],
                                  "methods": [s.as_dict() for s in res]})
        if report is not None:
            from oculi.report import Report

            rep = Report("oculi features compare", f"{len(pairs)} pairs: "
                         + ", ".join(p.name for p in pairs))
            rep.section("Comparison table").table(TABLE_HEADERS, table_rows(res))
            typer.echo(f"report: {rep.write(report)}")
    if failed:
        typer.echo("failed folders:\n  " + "\n  ".join(failed), err=True)
        raise typer.Exit(2)
