"""``oculi explain IMAGE... --method M`` and ``oculi explain eval IMAGES... --method M``."""

from __future__ import annotations

from pathlib import Path

import typer

from oculi.cli._common import names_of, report_failures, topic_app, write_json

app = topic_app(
    "Explain a CNN's predictions with CAM-family and gradient saliency maps (--method), and "
    "measure how faithful the maps are.",
    default_command=True,
)


_METHODS = f"Method: {names_of('oculi.explain:methods')}."


def _out_path(out: Path, path: str, many: bool) -> Path:
    return out.with_name(f"{out.stem}_{Path(path).stem}{out.suffix}") if many else out


@app.command("default", hidden=True)
def default(
    images: list[Path] = typer.Argument(..., help="Image files."),
    method: str = typer.Option("gradcam", "--method", help=_METHODS),
    all_: bool = typer.Option(False, "--all", help="A grid of all fast methods per image: "
                              f"{names_of('oculi.explain.run:grid_methods')}."),
    model: str = typer.Option("efficientnet_lite0", "--model", "-m", help="Zoo model name."),
    weights: Path = typer.Option(None, "--weights", help="Weights file; default: the model's "
                                 "offline pretrained weights."),
    target: str = typer.Option(None, "--target", help="Class index or name (default: top "
                               "prediction)."),
    layer: str = typer.Option(None, "--layer", help="Target layer name (CAM methods; default: "
                              "the last convolutional stage)."),
    out: Path = typer.Option(None, "-o", "--out", help="Overlay (or grid) PNG; with several "
                             "images OUT_<stem>.png each."),
    npy: Path = typer.Option(None, "--npy", help="Save the maps (N, H, W) float32 as .npy."),
    alpha: float = typer.Option(0.5, "--alpha", help="Heatmap opacity in the overlay."),
    json_path: Path = typer.Option(None, "--json", help="Write targets, scores and layer as JSON."),
) -> None:
    """Explain each image's prediction (or --target) and write an overlay. Unreadable files are
    listed at the end and make the exit code 2."""
    import numpy as np

    from oculi.classify import get_model
    from oculi.explain.run import explain_files, grid_methods, label
    from oculi.explain.visual import figure_to_array, grid, overlay
    from oculi.io import write_image

    net = get_model(model, weights)
    names = list(grid_methods()) if all_ else [method]
    results, failures = explain_files([str(p) for p in images], names, net, target=target,
                                      layer=layer)
    report = []
    for r in results:
        first = next(iter(r.explanations.values()))
        t = int(first.targets[0])
        summary = f"{label(net, t)} ({t}) p={float(first.probs[0]):.3f}"
        typer.echo(f"{r.path}: {summary}" + (f" layer={first.layer}" if first.layer else ""))
        img = r.image.permute(1, 2, 0).numpy()
        if out:
            dest = _out_path(out, r.path, len(results) > 1)
            if all_:
                fig = grid(img, {k: e.maps[0] for k, e in r.explanations.items()},
                           title=f"{Path(r.path).name}: {summary}", alpha=alpha)
                write_image(dest, figure_to_array(fig))
            else:
                write_image(dest, overlay(img, first.maps[0], alpha=alpha))
            typer.echo(f"  wrote {dest}")
        report.append({"path": r.path, "target": t, "label": label(net, t),
                       "prob": float(first.probs[0]), "score": float(first.scores[0]),
                       "methods": list(r.explanations), "layer": first.layer})
    if npy and results:
        maps = np.stack([e.maps[0].numpy() for r in results for e in r.explanations.values()])
        np.save(npy, maps.astype(np.float32))
        typer.echo(f"wrote {npy} {maps.shape}")
    if json_path:
        write_json(json_path, {"model": model, "results": report, "failures": failures})
    report_failures(failures)


@app.command("eval")
def eval_(
    images: list[Path] = typer.Argument(..., help="Image files."),
    method: str = typer.Option("gradcam", "--method", help=_METHODS),
    model: str = typer.Option("efficientnet_lite0", "--model", "-m", help="Zoo model name."),
    weights: Path = typer.Option(None, "--weights", help="Weights file."),
    target: str = typer.Option(None, "--target", help="Class index or name."),
    layer: str = typer.Option(None, "--layer", help="Target layer name."),
    metrics: str = typer.Option("deletion,insertion,drop", "--metrics",
                                help="Comma list of deletion, insertion, road, drop."),
    steps: int = typer.Option(32, "--steps", help="Points on the deletion/insertion curves."),
    random_baseline: bool = typer.Option(True, "--random-baseline/--no-random-baseline",
                                         help="Also score a random map of the same resolution."),
    json_path: Path = typer.Option(None, "--json", help="Write per-image and mean metrics."),
) -> None:
    """Faithfulness of a method's maps: deletion/insertion AUC, ROAD, average drop/increase,
    next to a random map's. Unreadable files are listed at the end and make the exit code 2."""
    import torch

    from oculi.classify import get_model
    from oculi.explain.metrics import evaluate
    from oculi.explain.run import resolve_target
    from oculi.io import read_image

    net = get_model(model, weights)
    tgt = resolve_target(net, target)
    batch, ok, failures = [], [], {}
    for p in images:
        try:
            batch.append(net.preprocess(read_image(p)))
            ok.append(str(p))
        except OSError as exc:
            failures[str(p)] = str(exc)
    result = None
    if batch:
        x = torch.cat(batch)
        result = evaluate(method, net, x, tgt, layer=layer, steps=steps,
                          metrics=[m.strip() for m in metrics.split(",") if m.strip()],
                          random_baseline=random_baseline)
        keys = [k for k in result["mean"] if k != "prob"]
        typer.echo("image".ljust(24) + "".join(k[:12].rjust(13) for k in keys))
        for path, row in zip(ok, result["per_image"], strict=True):
            typer.echo(Path(path).name[:23].ljust(24) + "".join(f"{row[k]:13.4f}" for k in keys))
        typer.echo("mean".ljust(24) + "".join(f"{result['mean'][k]:13.4f}" for k in keys))
        result["paths"] = ok
    if json_path:
        write_json(json_path, {"model": model, "result": result, "failures": failures})
    report_failures(failures)
