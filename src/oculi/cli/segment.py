"""``oculi segment IMAGE... --run RUN``: predict masks (or instances, or NIfTI label volumes with
``--3d``) with a trained run. Training and evaluation: ``oculi train|eval segment|segment3d``."""

from __future__ import annotations

from pathlib import Path

import typer

from oculi.cli._common import fail, report_failures, topic_app, write_json

app = topic_app(
    "Segment images or volumes with a trained run; train and evaluate with "
    "oculi train segment|segment3d and oculi eval segment|segment3d.",
    default_command=True,
)


def _target(template: Path | None, src: Path, several: bool, what: str) -> Path | None:
    if template is None:
        return None
    text = str(template)
    if "{stem}" in text:
        stem = src.name.split(".nii")[0] if ".nii" in src.name else src.stem
        return Path(text.replace("{stem}", stem))
    if several:
        fail(f"{what}: several inputs need a {{stem}} placeholder, e.g. out/{{stem}}.png")
    return template


@app.command("default", hidden=True)
def predict(
    inputs: list[Path] = typer.Argument(..., help="Image files (or NIfTI volumes with --3d)."),
    model: Path = typer.Option(..., "--run", "--model", "-m",
                               help="Run folder or .safetensors checkpoint."),
    out: Path = typer.Option(
        None,
        "--out",
        "-o",
        help="Mask file: PNG of class indices (NIfTI with --3d); {stem} for several inputs.",
    ),
    overlay: Path = typer.Option(None, "--overlay", help="Image with the mask blended in."),
    volume: bool = typer.Option(False, "--3d", help="Inputs are NIfTI volumes."),
    tile: int = typer.Option(512, "--tile", help="Tile size for large images (pixels; at "
                             "least the model's stride, typically 32)."),
    threshold: float = typer.Option(0.5, "--threshold",
                                    help="Binary models: foreground cut, in [0, 1]."),
    json_path: Path = typer.Option(None, "--json", help="Per-input class fractions as JSON."),
    instances: bool = typer.Option(
        False,
        "--instances",
        help="Split the foreground into objects (distance-transform watershed): -o writes a "
        "uint16 PNG of instance ids (0 = background), --overlay colours each instance.",
    ),
    min_distance: int = typer.Option(
        4, "--min-distance", help="--instances: smallest distance between object centres (px)."
    ),
    min_size: int = typer.Option(
        15, "--min-size", help="--instances: objects smaller than this are dropped (pixels)."
    ),
) -> None:
    """Predict a mask per input; prints the class fractions (with --instances, the object count).
    Exit 2 if any input failed."""
    import numpy as np

    from oculi.core.checks import check_in_range, check_positive
    from oculi.core.errors import OculiError
    from oculi.io import read_image, write_image
    from oculi.segment import load_segmenter, predict_image
    from oculi.segment import overlay as blend
    from oculi.segment.task3d import segment_volume_file, volume_settings

    check_in_range(threshold, "--threshold", 0, 1)
    check_positive(tile, "--tile")
    net = load_segmenter(model)
    settings = None
    stride = max(getattr(net, "stride", None) or (1,))
    if not volume and tile < stride:
        fail(f"--tile: expected at least the model's stride, {stride} pixels, got {tile}")
    if volume:
        if net.dims != 3:
            fail(f"{model}: a 2-D model; --3d needs a model trained with oculi train segment3d")
        settings = volume_settings(model)
    several = len(inputs) > 1
    results: list[dict] = []
    failed: dict[str, str] = {}
    for path in inputs:
        try:
            if volume:
                mask = segment_volume_file(net, settings, path,
                                           _target(out, path, several, "--out"))
            elif instances:
                results.append(
                    _predict_instances(
                        net,
                        path,
                        _target(out, path, several, "--out"),
                        _target(overlay, path, several, "--overlay"),
                        tile=tile,
                        min_distance=min_distance,
                        min_size=min_size,
                    )
                )
                continue
            else:
                image = read_image(path, mode="rgb")
                mask, _ = predict_image(net, image, tile=tile, threshold=threshold)
                dst = _target(out, path, several, "--out")
                if dst is not None:
                    write_image(dst, mask)
                ov = _target(overlay, path, several, "--overlay")
                if ov is not None:
                    write_image(ov, blend(image, mask))
        except OculiError as exc:
            failed[str(path)] = " ".join(str(exc).split())
            continue
        counts = np.bincount(mask.ravel(), minlength=net.num_classes)
        frac = (counts / max(mask.size, 1)).tolist()
        names = net.class_names or [str(i) for i in range(net.num_classes)]
        results.append(
            {
                "file": str(path),
                "shape": list(mask.shape),
                "fractions": dict(zip(names, frac, strict=False)),
            }
        )
        typer.echo(
            f"{path}: " + "  ".join(f"{n} {f:.3f}" for n, f in zip(names, frac, strict=False))
        )
    if json_path:
        write_json(json_path, {"results": results, "failed": [f"{k}: {v}" for k, v in
                                                              failed.items()]})
    report_failures(failed)


def _predict_instances(
    net, path: Path, dst: Path | None, ov: Path | None, **kw
) -> dict[str, object]:
    import numpy as np

    from oculi.io import read_image, write_image
    from oculi.segment import overlay_instances, predict_instances

    image = read_image(path, mode="rgb")
    labels = predict_instances(net, image, **kw)
    n = int(labels.max())
    if n > 65535:
        fail(f"{path}: {n} objects do not fit a uint16 label PNG")
    if dst is not None:
        write_image(dst, labels.astype(np.uint16))
    if ov is not None:
        write_image(ov, overlay_instances(image, labels))
    areas = np.bincount(labels.ravel())[1:]
    typer.echo(
        f"{path}: {n} instances" + (f"  median area {float(np.median(areas)):.0f} px" if n else "")
    )
    return {"file": str(path), "shape": list(labels.shape), "instances": n,
            "areas": areas.tolist()}  # fmt: skip
