"""``oculi train TASK ...``: one command per task (classification here; detection and
segmentation add ``detect`` and ``segment`` to this group)."""

from __future__ import annotations

from pathlib import Path

import typer

from oculi.cli import detect, segment
from oculi.cli._common import topic_app, write_json

app = topic_app("Train models: classify (detection and segmentation add their commands).")


@app.command("classify")
def classify(
    data: Path = typer.Argument(..., help="ImageFolder root with train/<class>/ and val/<class>/."),
    out: Path = typer.Option(..., "--out", "-o", help="Run folder."),
    model: str = typer.Option(None, "--model", "-m", help="Zoo model name."),
    pretrained: bool = typer.Option(None, "--pretrained/--scratch",
                                    help="Start from offline ImageNet weights (default) or not."),
    epochs: int = typer.Option(None, "--epochs", help="Epochs."),
    batch_size: int = typer.Option(None, "--batch-size", help="Batch size per process."),
    lr: float = typer.Option(None, "--lr", help="Learning rate."),
    image_size: int = typer.Option(None, "--image-size", help="Training crop size (pixels)."),
    val_split: float = typer.Option(None, "--val-split",
                                    help="Hold out this fraction of train when val/ is absent."),
    plain: bool = typer.Option(False, "--plain", help="Baseline recipe: no EMA, mixing, label "
                               "smoothing or clipping; constant LR."),
    config: Path = typer.Option(None, "--config", help="run.yaml; keys = TrainConfig fields."),
    resume: bool = typer.Option(False, "--resume", help="Continue the run in --out."),
    seed: int = typer.Option(None, "--seed", help="Random seed."),
    workers: int = typer.Option(None, "--workers", help="Data-loading processes."),
    threads: int = typer.Option(None, "--threads", help="torch threads per process."),
    save_all_ranks: bool = typer.Option(False, "--save-all-ranks", hidden=True,
                                        help="Under torchrun, every rank saves its weights."),
    json_path: Path = typer.Option(None, "--json", help="Write the result summary as JSON."),
) -> None:
    """Fine-tune a zoo model on an ImageFolder; writes config, metrics.jsonl, best checkpoint,
    confusion matrix and curves to --out. Runs under torchrun for DDP."""
    from oculi.train import TrainConfig, train_classifier

    overrides = {"model": model, "pretrained": pretrained, "epochs": epochs,
                 "batch_size": batch_size, "lr": lr, "image_size": image_size,
                 "val_split": val_split, "seed": seed, "workers": workers, "threads": threads}
    overrides = {k: v for k, v in overrides.items() if v is not None}
    if config is not None:
        cfg = TrainConfig.from_yaml(config, **overrides)
    elif plain:
        cfg = TrainConfig.plain(**overrides)
    else:
        cfg = TrainConfig(**overrides)
    result = train_classifier(data, cfg, out, resume=resume, save_all_ranks=save_all_ranks)
    typer.echo(f"best {result.monitor} {result.best_metric:.4f} at epoch {result.best_epoch + 1}"
               f" -> {result.best_checkpoint}")
    if json_path:
        write_json(json_path, result.as_dict())


# the other tasks' commands live with their topics (light modules: heavy imports are inside)
app.command("segment")(segment.train_command)
app.command("detect")(detect.train_command)
