"""``oculi eval TASK ...``: evaluate trained models (classification here; detection and
segmentation add ``detect`` and ``segment`` to this group)."""

from __future__ import annotations

from pathlib import Path

import typer

from oculi.cli import detect, segment
from oculi.cli._common import topic_app, write_json

app = topic_app("Evaluate trained models: classify (other tasks add their commands).")


@app.command("classify")
def classify(
    run: Path = typer.Argument(..., help="Run folder (its best.safetensors) or a checkpoint."),
    data: Path = typer.Argument(..., help="Split folder with <class>/<image>, e.g. DATA/val."),
    batch_size: int = typer.Option(32, "--batch-size", help="Images per forward pass."),
    out: Path = typer.Option(None, "--out", "-o",
                             help="Folder for confusion_matrix.png/.json."),
    json_path: Path = typer.Option(None, "--json", help="Write all metrics as JSON."),
) -> None:
    """Top-1, top-5, per-class precision/recall and the confusion matrix."""
    from oculi.train import evaluate_classifier
    from oculi.train.evaluate import write_evaluation

    r = evaluate_classifier(run, data, batch_size=batch_size)
    typer.echo(f"{r['n']} images  top-1 {r['val_top1']:.4f}  top-5 {r['val_top5']:.4f}  "
               f"loss {r['val_loss']:.4f}")
    width = max(len(c) for c in r["classes"])
    typer.echo(f"  {'class':<{width}}  precision  recall")
    for c, p, rc in zip(r["classes"], r["precision"], r["recall"], strict=True):
        typer.echo(f"  {c:<{width}}  {p:9.3f}  {rc:6.3f}")
    typer.echo("confusion (rows true, columns predicted):")
    for c, row in zip(r["classes"], r["confusion"], strict=True):
        typer.echo(f"  {c:<{width}}  " + " ".join(f"{v:5d}" for v in row))
    if r["skipped"]:
        typer.echo(f"skipped {len(r['skipped'])} unreadable file(s)", err=True)
    if out:
        write_evaluation(r, out)
    if json_path:
        write_json(json_path, r)


# the other tasks' commands live with their topics (light modules: heavy imports are inside)
app.command("segment")(segment.eval_command)
app.command("detect")(detect.eval_command)
