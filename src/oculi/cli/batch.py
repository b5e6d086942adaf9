"""``oculi batch TOPIC INPUT -o OUT``: a topic's per-image work over a folder or a list file, on
a Ray cluster (a local one by default) or in-process."""

from __future__ import annotations

from pathlib import Path

import typer

from oculi.cli._common import names_of, report_failures


def _parse_options(pairs: list[str]) -> dict[str, object]:
    """``["top=3", "model=resnet18"]`` -> ``{"top": 3, "model": "resnet18"}`` (YAML values)."""
    import yaml

    from oculi.core.errors import ParameterError

    options: dict[str, object] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ParameterError(f"--option: expected KEY=VALUE, got {pair!r}")
        try:
            options[key.strip().replace("-", "_")] = yaml.safe_load(value)
        except yaml.YAMLError:
            raise ParameterError(f"--option {pair!r}: the value is not a YAML value") from None
    return options


def batch(
    topic: str = typer.Argument(..., help=f"Job: {names_of('oculi.batch:jobs')}."),
    source: Path = typer.Argument(..., help="A folder (image files, recursively) or a list "
                                  "file (one path a line)."),
    out: Path = typer.Option(..., "--out", "-o", help="Output folder: <stem>.json per input "
                             "(plus the job's pictures), index.jsonl and index.parquet."),
    model: str = typer.Option(None, "--model", "-m", help="The job's model (classify, "
                              "explain: zoo name; detect: detector name or run folder)."),
    run: Path = typer.Option(None, "--run", help="segment: the trained run folder."),
    method: str = typer.Option(None, "--method", help="explain, features: the method."),
    option: list[str] = typer.Option([], "--option", "-O", help="Another job option as "
                                     "KEY=VALUE (repeatable), e.g. -O top=3 -O max_size=512."),
    address: str = typer.Option(None, "--address", help="Use a running Ray cluster: auto or "
                                "ray://HOST:10001 (default: start a local one)."),
    local: bool = typer.Option(False, "--local", help="Run in this process, without Ray."),
    workers: int = typer.Option(None, "--workers", help="Ray actors (default: one per CPU, "
                                "one CPU kept free for Ray Data's other tasks)."),
    batch_size: int = typer.Option(16, "--batch-size", help="Inputs per chunk of work."),
) -> None:
    """Run TOPIC's per-image work on every input; inputs already done in OUT are skipped (rerun
    after an interruption to finish). Failed inputs are listed at the end and make the exit
    code 2."""
    from oculi.batch import run_batch
    from oculi.core.errors import ParameterError

    options = _parse_options(option)
    for key, value in (("model", model), ("run", run), ("method", method)):
        if value is not None:
            options[key] = str(value)
    if local and address:
        raise ParameterError("--local and --address: choose one")
    report = run_batch(topic, source, out, options=options, address=address, local=local,
                       workers=workers, batch_size=batch_size)
    done, skipped = report.count("done"), report.count("skipped")
    where = f"ray, {report.workers} actor(s)" if report.engine == "ray" else "in-process"
    rate = done / report.seconds if report.seconds > 0 else 0.0
    typer.echo(f"{topic}: {done} done, {skipped} already done, {report.count('failed')} failed "
               f"in {report.seconds:.1f} s ({rate:.1f} inputs/s, {where}) -> {out}/index.jsonl")
    report_failures(report.failures)
