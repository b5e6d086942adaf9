"""Sweeps of any trainable task's config fields on Ray Tune, with ASHA stopping weak trials early
(``oculi tune TASK DATA --space space.yaml``).

A search space maps config fields (those of ``oculi train TASK --help``) to values: a plain
value is fixed for every trial, a one-key mapping is sampled::

    lr: {loguniform: [1.0e-4, 1.0e-2]}   # log-uniform between the bounds
    batch_size: {choice: [8, 16]}        # one of the values, at random
    model: {grid: [resnet18, resnet34]}  # every value (times --trials)
    mix_prob: {uniform: [0.0, 0.5]}
    epochs: {randint: [2, 6]}            # an integer, upper bound excluded
    image_size: 64                       # fixed

Each trial trains with the task's own train function into ``OUT/trials/<trial id>`` (a normal
run folder) and reports every epoch's metrics; ASHA (rungs at ``grace_period`` x
``reduction_factor``^k epochs) stops the trials whose ``monitor`` metric falls behind. The
sweep writes ``OUT/tune.json``: every trial's values, metric and run folder, and the best.

    >>> from oculi.classify.config import ClassifyConfig
    >>> sorted(check_space({"lr": {"loguniform": [1e-4, 1e-2]}, "epochs": 3}, ClassifyConfig))
    ['epochs', 'lr']
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oculi.core.errors import DataError, ParameterError

#: the sampling kinds of a search space and the arguments each takes
SAMPLERS = {"choice": "a list of values", "grid": "a list of values",
            "uniform": "[low, high]", "loguniform": "[low, high] (both > 0)",
            "randint": "[low, high) integers"}


@dataclass
class TuneReport:
    """What :func:`tune_task` found.

    Attributes:
        monitor: the metric compared (the config's ``monitor``, e.g. ``val_top1``).
        mode: ``max`` or ``min``.
        best_params: the sampled values of the best trial (field -> value).
        best_metric: its best ``monitor`` value over its epochs.
        best_run: its run folder (``best.safetensors`` inside).
        trials: one dict per trial: ``trial``, ``params``, ``status`` (``done``,
            ``stopped`` by ASHA before the last epoch, or ``failed``), ``epochs``, ``metric``,
            ``run``, ``error``.
        out: the sweep folder (``tune.json``).
    """

    monitor: str
    mode: str
    best_params: dict[str, Any]
    best_metric: float
    best_run: Path
    trials: list[dict[str, Any]] = field(default_factory=list)
    out: Path = Path()

    def as_dict(self) -> dict[str, Any]:
        return {"monitor": self.monitor, "mode": self.mode, "best_params": self.best_params,
                "best_metric": self.best_metric, "best_run": str(self.best_run),
                "trials": self.trials}


def read_space(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The search space of a YAML file (a mapping of field -> value or sampler).

    Raises:
        ParameterError: not a readable YAML mapping.
    """
    import yaml

    try:
        space = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ParameterError(f"{path}: cannot read the search space ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise ParameterError(f"{path}: not YAML ({' '.join(str(exc).split())})") from None
    if not isinstance(space, dict) or not space:
        raise ParameterError(f"{path}: expected a mapping of config fields to values or "
                             f"samplers ({', '.join(SAMPLERS)}), got {type(space).__name__}")
    return space


def _sampler(name: str, spec: Any) -> tuple[str, list[Any]] | None:
    """``(kind, args)`` of a sampler entry, None for a fixed value."""
    if not (isinstance(spec, Mapping) and len(spec) == 1 and next(iter(spec)) in SAMPLERS):
        if isinstance(spec, Mapping) and len(spec) == 1:
            kind = next(iter(spec))
            raise ParameterError(f"space {name}: unknown sampler {kind!r}; use one of "
                                 f"{', '.join(SAMPLERS)}")
        return None
    kind, args = next(iter(spec.items()))
    ok = isinstance(args, list) and len(args) >= 1
    if kind in ("uniform", "loguniform", "randint"):
        ok = ok and len(args) == 2 and all(isinstance(a, (int, float)) for a in args) \
            and args[0] < args[1] and (kind != "loguniform" or args[0] > 0)
    if not ok:
        raise ParameterError(f"space {name}: {kind} takes {SAMPLERS[kind]}, got {args!r}")
    return kind, list(args)


def _corners(space: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Values at the ends of every sampler (and the fixed values), to validate before Ray."""
    lows, highs = {}, {}
    for name, spec in space.items():
        s = _sampler(name, spec)
        if s is None:
            lows[name] = highs[name] = spec
        elif s[0] in ("choice", "grid"):
            lows[name], highs[name] = s[1][0], s[1][-1]
        else:
            lows[name] = s[1][0]
            highs[name] = s[1][1] - 1 if s[0] == "randint" else s[1][1]
    return [lows, highs]


def check_space(space: Mapping[str, Any], config_class: type,
                base: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Check a search space against a config class before any trial runs; return it.

    Every key must be a field, every sampler well formed, and the config must validate at both
    ends of every range (and with the first and last of every list).

    Raises:
        ParameterError: an unknown field (close names listed), a bad sampler or a value the
            config rejects.
    """
    from oculi.core.checks import check_known_keys

    check_known_keys(dict(space), config_class.field_names(), "search space")
    for values in _corners(space):
        try:
            config_class(**{**dict(base or {}), **values})
        except TypeError as exc:
            raise ParameterError(f"search space: {exc}") from None
    return dict(space)


def _domains(space: Mapping[str, Any]) -> dict[str, Any]:
    from ray import tune

    make = {"choice": tune.choice, "grid": tune.grid_search, "uniform": lambda a: tune.uniform(*a),
            "loguniform": lambda a: tune.loguniform(*a), "randint": lambda a: tune.randint(*a)}
    out = {}
    for name, spec in space.items():
        s = _sampler(name, spec)
        out[name] = spec if s is None else make[s[0]](s[1])
    return out


def _epoch_rows(run_dir: Path) -> list[dict[str, Any]]:
    """The complete lines of ``run_dir/metrics.jsonl`` (a line being written is left out)."""
    try:
        lines = (run_dir / "metrics.jsonl").read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    rows = []
    for line in lines:
        try:
            rows.append(json.loads(line))
        except ValueError:
            break
    return rows


def _trial(params: dict[str, Any], *, task: str, data: str, base: dict[str, Any],
           out: str) -> None:
    """One trial (in a Ray worker): the task's train function in a thread, while this thread
    reports each finished epoch's numeric metrics to Tune (so ASHA can stop it there)."""
    from ray import tune

    from oculi.tasks import trainable_tasks

    spec = trainable_tasks.get(task)
    cfg = spec.config_class()(**{**base, **params})
    run_dir = Path(out) / "trials" / tune.get_context().get_trial_id()
    failed: list[BaseException] = []

    def train() -> None:
        try:
            spec.load("train")(data, cfg, run_dir, progress=False)
        except BaseException as exc:  # re-raised in the trial's thread below
            failed.append(exc)

    worker = threading.Thread(target=train, name="oculi-trial", daemon=True)
    worker.start()
    reported = 0
    while True:
        finished = not worker.is_alive()
        rows = _epoch_rows(run_dir)
        for row in rows[reported:]:
            numbers = {k: v for k, v in row.items() if isinstance(v, (int, float))
                       and not isinstance(v, bool)}
            tune.report({**numbers, "epochs_done": int(row.get("epoch", reported)) + 1,
                         "run": str(run_dir)})
        reported = len(rows)
        if finished:
            break
        worker.join(0.2)
    if failed:
        raise failed[0]


def tune_task(task: str, data: str | os.PathLike[str], space: Mapping[str, Any],
              out: str | os.PathLike[str], *, trials: int = 3,
              base: Mapping[str, Any] | None = None, address: str | None = None,
              cpus_per_trial: float = 1.0, grace_period: int = 1, reduction_factor: int = 2,
              seed: int = 0) -> TuneReport:
    """Sweep ``space`` over the config of trainable task ``task`` with Ray Tune and ASHA.

    Args:
        task: a :data:`oculi.tasks.trainable_tasks` name (``classify``, ``segment`` ...).
        data: the task's training data (as for ``oculi train TASK DATA``).
        space: field -> fixed value or sampler (see the module doc; :func:`read_space`).
        out: the sweep folder: ``trials/<id>/`` run folders, ``tune.json``, Ray's own
            records under ``ray/``.
        trials: samples drawn from the space (a ``grid`` multiplies them).
        base: config values under the space (a ``--config`` file's), else the defaults.
        address: a Ray cluster (``auto``, ``ray://host:10001``); None: a local one.
        cpus_per_trial: CPUs each trial asks for (trials run side by side as CPUs allow).
        grace_period: epochs every trial runs before ASHA may stop it.
        reduction_factor: ASHA keeps about 1 in this many trials at each rung.
        seed: seed of the random draws from the space.

    Returns:
        A :class:`TuneReport` (also written to ``out/tune.json``).

    Raises:
        UnknownNameError: unknown task. ParameterError: a bad space (before any trial).
        DataError: every trial failed (the first error is named).
    """
    from oculi.batch.cluster import connected, quiet_environment
    from oculi.core.atomic import write_json_atomic
    from oculi.core.checks import check_positive
    from oculi.tasks import trainable_tasks
    from oculi.train.config import monitor_higher_is_better

    spec = trainable_tasks.get(task)
    task = trainable_tasks.entry(task).name
    cls = spec.config_class()
    base = dict(base or {})
    check_space(space, cls, base)
    check_positive(trials, "trials")
    check_positive(cpus_per_trial, "cpus_per_trial")
    check_positive(grace_period, "grace_period")
    sample = cls(**{**base, **_corners(space)[1]})
    monitor = sample.monitor
    mode = "max" if monitor_higher_is_better(monitor) else "min"
    max_epochs = max(int(c.get("epochs", cls(**base).epochs)) for c in _corners(space))
    target = Path(out).absolute()
    target.mkdir(parents=True, exist_ok=True)
    quiet_environment()
    with connected(address):
        from ray import tune
        from ray.tune.schedulers import ASHAScheduler
        from ray.tune.search import BasicVariantGenerator

        trainable = tune.with_parameters(_trial, task=task, data=str(Path(data).absolute()),
                                         base=base, out=str(target))
        tuner = tune.Tuner(
            tune.with_resources(trainable, {"cpu": cpus_per_trial}),
            param_space=_domains(space),
            tune_config=tune.TuneConfig(
                metric=monitor, mode=mode, num_samples=trials,
                reuse_actors=False,  # a stopped trial's process ends, and its training thread
                search_alg=BasicVariantGenerator(random_state=seed),
                scheduler=ASHAScheduler(time_attr="epochs_done", max_t=max(max_epochs, 1),
                                        grace_period=min(grace_period, max(max_epochs, 1)),
                                        reduction_factor=reduction_factor)),
            run_config=tune.RunConfig(storage_path=str(target / "ray"), name="tune",
                                      verbose=0))
        grid = tuner.fit()
    return _report(grid, space, monitor, mode, max_epochs, target, write_json_atomic)


def _report(grid: Any, space: Mapping[str, Any], monitor: str, mode: str, max_epochs: int,
            target: Path, write_json: Any) -> TuneReport:
    """The :class:`TuneReport` of a finished ``ResultGrid``, written to ``tune.json``."""
    rows, best = [], None
    for result in grid:
        df = result.metrics_dataframe
        history = [] if df is None or monitor not in df else [float(v) for v in df[monitor]]
        params = {k: result.config[k] for k in space if k in result.config}
        metric = (max if mode == "max" else min)(history) if history else None
        epochs = len(history)
        planned = int(params.get("epochs", max_epochs))
        status = "failed" if result.error else "done" if epochs >= planned else "stopped"
        run = str(result.metrics.get("run", "")) if result.metrics else ""
        error = " ".join(str(result.error).split())[-300:] if result.error else ""
        row = {"trial": Path(result.path).name, "params": params, "status": status,
               "epochs": epochs, "metric": metric, "run": run, "error": error}
        rows.append(row)
        if metric is not None and (best is None or (metric > best["metric"] if mode == "max"
                                                    else metric < best["metric"])):
            best = row
    if best is None:
        first = next((r["error"] for r in rows if r["error"]), "no metrics reported")
        raise DataError(f"tune: every trial failed; the first: {first}")
    report = TuneReport(monitor, mode, best["params"], best["metric"], Path(best["run"]), rows,
                        target)
    write_json(target / "tune.json", report.as_dict())
    return report
