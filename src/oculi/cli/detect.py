"""``oculi detect IMAGE... --model RUN_OR_NAME`` and ``oculi detect list``."""

from __future__ import annotations

from pathlib import Path

import typer

from oculi.cli._common import report_failures, topic_app, write_json

app = topic_app("Object detection: classical detectors by name, trained runs by folder.",
                default_command=True)


@app.command("default", hidden=True)
def default(
    images: list[Path] = typer.Argument(..., help="Image files."),
    model: str = typer.Option(..., "--model", "--run", "-m",
                              help="hog-people, yunet, haar-face, lbp-face (names), or a trained "
                                   "run folder / checkpoint."),
    weights: Path = typer.Option(None, "--weights",
                                 help="Model file of a classical face detector: yunet's ONNX "
                                      "(required), haar-face's or lbp-face's cascade XML."),
    score_threshold: float = typer.Option(
        None, "--score-threshold", "--score",
        help="Minimum score (trained: 0.5, yolo 0.25; hog-people: SVM margin 0.5; yunet 0.6; "
             "cascades: all)."),
    out: Path = typer.Option(None, "--out", "-o",
                             help="Overlay image; with several inputs the image name is added "
                                  "(overlay_<name>.png)."),
    json_path: Path = typer.Option(None, "--json", help="Write the detections as JSON."),
) -> None:
    """Detect objects in each image and print one line per box (xyxy pixels). Unreadable files
    are listed at the end and make the exit code 2."""
    import warnings

    from oculi.core.checks import check_finite
    from oculi.detect import detect_files, draw_detections
    from oculi.io import output_format, write_image

    if score_threshold is not None:
        check_finite(score_threshold, "--score-threshold")
    if out is not None and (out.suffix or len(images) == 1):
        output_format(out)  # a name oculi cannot write fails before any work
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DeprecationWarning)
        results, failures = detect_files(images, model, score_threshold=score_threshold,
                                         weights=weights)
    for msg in dict.fromkeys(str(w.message) for w in caught
                             if issubclass(w.category, DeprecationWarning)):
        typer.echo(f"oculi: warning: {msg}", err=True)
    for name, (image, dets) in results.items():
        path = Path(name)
        typer.echo(f"{path}: {len(dets)} object(s)")
        for d in dets.to_dict():
            x0, y0, x1, y1 = d["box"]
            typer.echo(f"  {d['name']:<12} {d['score']:7.3f}  {x0:7.1f} {y0:7.1f} {x1:7.1f} "
                       f"{y1:7.1f}")
        if out is not None:
            target = out if len(images) == 1 else out.with_name(
                f"{out.stem}_{path.stem}{out.suffix or '.png'}")
            labels = [f"{n} {s:.2f}" for n, s in zip(dets.names, dets.scores, strict=True)]
            write_image(target, draw_detections(image, dets.boxes, labels=labels))
    if json_path:
        write_json(json_path, {"model": str(model), "results": {
            p: d.to_dict() for p, (_, d) in results.items()}, "failures": failures})
    report_failures(failures)


@app.command("list")
def list_() -> None:
    """The detectors: name, family, implementation."""
    from oculi.detect import detectors

    for e in detectors.entries():
        typer.echo(f"{e.name:<11} {e.meta['family']:<13} {e.help}")
