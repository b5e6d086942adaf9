"""``oculi flow``: compute, evaluate and benchmark optical flow."""

from __future__ import annotations

from pathlib import Path

import typer

from oculi.cli._common import fail, inputs_named, names_of, report_failures, topic_app, write_json

app = topic_app("Optical flow: compute (Horn-Schunck, Lucas-Kanade and OpenCV's methods), "
                "evaluate, benchmark.")


def _parse_params(items: list[str] | None) -> dict[str, object]:
    """``key=value`` strings -> keyword arguments (numbers and booleans parsed, no eval)."""
    from oculi.core.errors import ParameterError

    out: dict[str, object] = {}
    for item in items or []:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise ParameterError(f"--param: expected key=value, got {item!r}")
        value: object = raw
        low = raw.lower()
        if low in ("true", "false"):
            value = low == "true"
        elif low == "none":
            value = None
        else:
            for cast in (int, float):
                try:
                    value = cast(raw)
                    break
                except ValueError:
                    continue
        out[key.strip().replace("-", "_")] = value
    return out


@app.command("compute")
def compute(
    image1: Path = typer.Argument(..., help="First frame."),
    image2: Path = typer.Argument(..., help="Second frame (same size)."),
    method: str = typer.Option("hs", "--method", "-m",
                               help=f"Method: {names_of('oculi.flow:methods')}."),
    output: Path = typer.Option(..., "--out", "-o", "--output", help="Output .flo file."),
    viz: Path = typer.Option(None, "--viz", help="Also write the colour-coded flow (PNG)."),
    param: list[str] = typer.Option(None, "--param", "-p", help="Method setting key=value."),
    json_path: Path = typer.Option(None, "--json", help="Write a JSON summary here."),
) -> None:
    """Compute dense flow from IMAGE1 to IMAGE2 and write it as a Middlebury .flo file."""
    import time

    import numpy as np

    from oculi.flow import compute_flow, flow_to_color, write_flo
    from oculi.io import read_image, write_image

    if output.suffix.lower() != ".flo":
        fail(f"--out: {output}: expected a .flo file, got the suffix {output.suffix or '(none)'!r}"
             " — the colour image is written with --viz FILE.png")
    a = read_image(image1, mode="unchanged")
    b = read_image(image2, mode="unchanged")
    t0 = time.perf_counter()
    with inputs_named(image1=image1, image2=image2):
        flow = compute_flow(a, b, method, **_parse_params(param))
    seconds = time.perf_counter() - t0
    write_flo(output, flow)
    if viz is not None:
        write_image(viz, flow_to_color(flow, legend=True))
    mag = np.hypot(flow[..., 0], flow[..., 1])
    summary = {"method": method, "output": str(output), "width": flow.shape[1],
               "height": flow.shape[0], "seconds": seconds, "mean_magnitude": float(mag.mean()),
               "max_magnitude": float(mag.max())}
    if json_path is not None:
        write_json(json_path, summary)
    typer.echo(f"{method}: {flow.shape[1]}x{flow.shape[0]} flow in {seconds:.2f} s, "
               f"mean |flow| {mag.mean():.2f} px, max {mag.max():.2f} px -> {output}")


@app.command("eval")
def evaluate(
    flow_path: Path = typer.Argument(..., help="Estimated flow (.flo)."),
    gt_path: Path = typer.Argument(..., help="Ground-truth flow (.flo); > 1e9 means unknown."),
    json_path: Path = typer.Option(None, "--json", help="Write the metrics as JSON here."),
    error_map: Path = typer.Option(None, "--error-map", help="Write the endpoint-error map (PNG)."),
) -> None:
    """Average endpoint error (px) and angular error (degrees) of FLOW against GT."""
    from oculi.flow import endpoint_error_map, flow_errors, read_flo

    flow, gt = read_flo(flow_path), read_flo(gt_path)
    stats = flow_errors(flow, gt)
    if error_map is not None:
        from oculi.flow import error_map_image
        from oculi.io import write_image

        write_image(error_map, error_map_image(endpoint_error_map(flow, gt)))
    if json_path is not None:
        write_json(json_path, stats)
    typer.echo(f"EPE {stats['epe']:.3f} px  AE {stats['ae']:.2f} deg  "
               f">1px {stats['r1']:.1f}%  known {stats['known'] * 100:.1f}%")


@app.command("bench")
def bench(
    folder: Path = typer.Argument(..., help="Folder of <Seq>/frame10.png, frame11.png, flow10.flo.",
    ),
    methods: str = typer.Option(None, "--methods", help="Comma-separated methods (default: all: "
                                f"{names_of('oculi.flow:methods')})."),
    json_path: Path = typer.Option(None, "--json", help="Write every result as JSON here."),
) -> None:
    """Run every method on every sequence and print EPE, AE and time. Runs that failed are
    listed at the end and make the exit code 2."""
    from oculi.flow.evaluate import evaluate_methods, summarize

    names = [m.strip() for m in methods.split(",")] if methods else None

    def show(r) -> None:
        if r.error:
            typer.echo(f"{r.method:>10} {r.sequence:<14} FAILED: {r.error}")
        else:
            typer.echo(f"{r.method:>10} {r.sequence:<14} EPE {r.epe:6.3f}  AE {r.ae:6.2f}  "
                       f"{r.seconds:6.2f} s")

    results = evaluate_methods(folder, names, on_result=show)
    summary = summarize(results)
    typer.echo("mean over sequences:")
    for name, s in summary.items():
        typer.echo(f"{name:>10} EPE {s['epe']:6.3f}  AE {s['ae']:6.2f}  {s['seconds']:6.2f} s")
    if json_path is not None:
        write_json(json_path, {"results": [r.as_dict() for r in results], "summary": summary})
    report_failures({f"{r.method} on {r.sequence}": r.error for r in results if r.error},
                    what="run")
