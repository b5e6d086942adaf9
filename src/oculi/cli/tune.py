"""``oculi tune TASK DATA --space space.yaml -o OUT``: a sweep of a trainable task's config fields
on Ray Tune with ASHA early stopping (a local Ray cluster by default)."""

from __future__ import annotations

from pathlib import Path

import typer

from oculi.cli._common import names_of, write_json


def tune(
    task: str = typer.Argument(..., help=f"Task: {names_of('oculi.tasks:trainable_tasks')}."),
    data: Path = typer.Argument(..., help="The task's training data (as for oculi train TASK)."),
    space: Path = typer.Option(..., "--space", help="YAML: config field -> a fixed value "
                               "or a sampler: choice or grid (a list of values), uniform, "
                               "loguniform or randint (a low and a high bound), e.g. "
                               "'lr: {loguniform: [1.0e-4, 1.0e-2]}'."),
    out: Path = typer.Option(..., "--out", "-o", help="Sweep folder: trials/<id>/ run folders "
                             "and tune.json."),
    config: Path = typer.Option(None, "--config", help="YAML of config fields under the space "
                                "(e.g. a run's config.yaml)."),
    trials: int = typer.Option(3, "--trials", help="Samples drawn from the space (a grid "
                               "multiplies them)."),
    cpus_per_trial: float = typer.Option(1.0, "--cpus-per-trial", help="CPUs each trial asks "
                                         "Ray for."),
    grace_period: int = typer.Option(1, "--grace-period", help="Epochs before ASHA may stop a "
                                     "trial."),
    seed: int = typer.Option(0, "--seed", help="Seed of the draws from the space."),
    address: str = typer.Option(None, "--address", help="Use a running Ray cluster: auto or "
                                "ray://HOST:10001 (default: start a local one)."),
    json_path: Path = typer.Option(None, "--json", help="Write the trials and the best as JSON."),
) -> None:
    """Train TASK once per sampled config, stop weak trials early (ASHA on the config's monitor
    metric) and report the best config and its run folder."""
    from oculi.batch.tune import read_space, tune_task
    from oculi.core.errors import MissingDependencyError

    base = {}
    if config is not None:
        import yaml

        from oculi.core.errors import ParameterError

        try:
            base = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ParameterError(f"{config}: cannot read the config ({exc})") from None
    try:
        import ray.tune  # noqa: F401
    except ImportError:
        raise MissingDependencyError("oculi tune needs Ray Tune: pip install "
                                     "'oculi[distributed]'") from None
    report = tune_task(task, data, read_space(space), out, trials=trials, base=base,
                       address=address, cpus_per_trial=cpus_per_trial,
                       grace_period=grace_period, seed=seed)
    for row in report.trials:
        metric = "-" if row["metric"] is None else f"{row['metric']:.4f}"
        typer.echo(f"{row['trial']}  {row['status']:7s}  epochs {row['epochs']}  "
                   f"{report.monitor} {metric}  {row['params']}")
    params = ", ".join(f"{k}={v}" for k, v in report.best_params.items())
    typer.echo(f"best {report.monitor} {report.best_metric:.4f} with {params} -> "
               f"{report.best_run}")
    if json_path:
        write_json(json_path, report.as_dict())
