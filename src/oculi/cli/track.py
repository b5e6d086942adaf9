"""``oculi track VIDEO --init x,y,w,h``: follow one object through a video (or a folder of frames)
and draw it; ``oculi track eval SEQUENCE...``: the OTB one-pass table of several trackers."""

from __future__ import annotations

from pathlib import Path

import typer

from oculi.cli._common import names_of, report_failures, topic_app, write_json

app = topic_app(
    "Single-object tracking: follow a box through a video, or evaluate trackers on OTB/VOT "
    "sequences.",
    default_command=True,
)

_METHODS = names_of("oculi.track:single_trackers")


def _options(method: str, model_dir: Path | None) -> dict[str, object]:
    """``--model-dir`` goes to the trackers that need model files (``needs`` metadata)."""
    from oculi.track import single_trackers

    if model_dir is None:
        return {}
    return {"model_dir": model_dir} if "onnx" in single_trackers.entry(method).meta.get(
        "needs", ()) else {}


@app.command("default", hidden=True)
def track(
    source: Path = typer.Argument(..., help="Video file or folder of frames."),
    init: str = typer.Option(..., "--init", help="The object on the first frame: x,y,w,h "
                             "(top-left corner, width, height; 0-based pixels)."),
    method: str = typer.Option("csrt", "--method", help=f"Tracker: {_METHODS}."),
    out: Path = typer.Option(None, "--out", "-o", help="Annotated video (.mp4): the box in "
                             "green, red when the tracker reports it lost."),
    model_dir: Path = typer.Option(None, "--model-dir", help="Folder of the ONNX files of "
                                   "trackers that need them (nanotrack)."),
    json_path: Path = typer.Option(None, "--json", help="Per-frame boxes (xyxy) as JSON."),
) -> None:
    """Track the box given on the first frame through every frame; prints the frame count, the
    lost frames and the tracker's speed. Frames that cannot be decoded are skipped and listed
    (exit 2)."""
    from oculi.track.run import parse_box, track_object

    run = track_object(source, parse_box(init), method=method, out=out,
                      options=_options(method, model_dir))
    r = run.result
    typer.echo(f"{source}: {len(r.boxes)} frames, {method}, lost on {int(r.lost.sum())}, "
               f"{r.fps:.1f} fps (tracker only)" + (f"; wrote {run.out}" if run.out else ""))
    if json_path:
        write_json(json_path, run.as_dict())
    report_failures({f"frame {i}": msg for i, msg in r.skipped.items()}, what="frame")


@app.command("eval")
def evaluate(
    sequences: list[Path] = typer.Argument(..., help="OTB or VOT sequence folders."),
    methods: str = typer.Option("csrt,kcf", "--methods", help=f"Comma-separated trackers: "
                                f"{_METHODS}."),
    out: Path = typer.Option(None, "--out", "-o", help="Success and precision plots (PNG)."),
    model_dir: Path = typer.Option(None, "--model-dir", help="Folder of the ONNX files of "
                                   "trackers that need them (nanotrack)."),
    json_path: Path = typer.Option(None, "--json", help="Scores per tracker and sequence."),
) -> None:
    """Evaluate trackers on OTB/VOT sequences (one-pass evaluation).

    Each tracker starts from the first ground-truth box of each sequence; prints AUC of the
    success plot, precision at 20 px, normalised precision and FPS. Frames that cannot be
    decoded are skipped and listed (exit 2)."""
    from oculi.track.datasets import load_sequence
    from oculi.track.evaluate import evaluate_trackers, success_plot

    names = [m.strip() for m in methods.split(",") if m.strip()]
    seqs = [load_sequence(p) for p in sequences]
    options = {n: _options(n, model_dir) for n in names}
    comparison = evaluate_trackers(names, seqs, options=options)
    typer.echo(f"{len(seqs)} sequence(s), {sum(len(s) for s in seqs)} frames: "
               + ", ".join(s.name for s in seqs))
    typer.echo(comparison.format_table())
    if out:
        success_plot(comparison, out)
        typer.echo(f"wrote {out}")
    if json_path:
        write_json(json_path, comparison.as_dict())
    failed = {f"{s}: frame {i}": msg for per in comparison.results.values()
              for s, res in per.items() for i, msg in res.skipped.items()}
    report_failures(failed, what="frame")
