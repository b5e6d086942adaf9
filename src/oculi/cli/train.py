"""``oculi train TASK DATA -o RUN [--FIELD VALUE ...]`` and ``oculi eval TASK RUN DATA``: one
command per entry of :data:`oculi.tasks.trainable_tasks`, generated from the task's config
dataclass (train) and its evaluate function's keyword-only parameters (eval). No task has
hand-written options: a field added to a config is an option at once."""

from __future__ import annotations

import inspect
import typing
from pathlib import Path
from typing import Any

import click
import typer

from oculi.cli._common import OculiGroup, write_json
from oculi.cli._config import build_config, config_parameters
from oculi.core.config import section_docs


def _task_names() -> list[str]:
    from oculi.tasks import trainable_tasks

    return trainable_tasks.names()


class _TaskGroup(OculiGroup):
    """A group whose commands are the trainable tasks, built on demand by :meth:`make`."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return _task_names()

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        from oculi.tasks import trainable_tasks

        if name not in trainable_tasks:
            return None
        return self.make(trainable_tasks.entry(name))

    def make(self, entry: Any) -> click.Command:
        raise NotImplementedError


def _as_command(fn: Any, name: str, help_text: str, short_help: str) -> click.Command:
    """A Typer command (typer's own click) from a function with a built ``__signature__``."""
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.command(name, help=help_text, short_help=short_help)(fn)
    return typer.main.get_command(app)


def _with_signature(fn: Any, params: list[inspect.Parameter]) -> Any:
    fn.__signature__ = inspect.Signature(params)
    fn.__annotations__ = {p.name: p.annotation for p in params}
    return fn


_KW = inspect.Parameter.KEYWORD_ONLY
_POS = inspect.Parameter.POSITIONAL_OR_KEYWORD


class TrainGroup(_TaskGroup):
    def make(self, entry: Any) -> click.Command:
        spec, name = entry.obj, entry.name
        cls = spec.config_class()
        fixed = [
            inspect.Parameter("data", _POS, annotation=Path,
                              default=typer.Argument(..., help=spec.data_help,
                                                     show_default=False)),
            inspect.Parameter("out", _KW, annotation=Path, default=typer.Option(
                ..., "--out", "-o", help="Run folder (created).")),
            inspect.Parameter("config", _KW, annotation=typing.Optional[Path],  # noqa: UP045
                              default=typer.Option(None, "--config", help=(
                                  f"YAML file; keys = {cls.__name__} fields (the options "
                                  "below)."))),
            inspect.Parameter("resume", _KW, annotation=bool, default=typer.Option(
                False, "--resume", help="Continue the run in --out.")),
            inspect.Parameter("overwrite", _KW, annotation=bool, default=typer.Option(
                False, "--overwrite", help="Replace the run in --out (its metrics, checkpoints "
                "and state are deleted first).")),
            inspect.Parameter("json_path", _KW, annotation=typing.Optional[Path],  # noqa: UP045
                              default=typer.Option(None, "--json",
                                                   help="Write the result summary as JSON.")),
            inspect.Parameter("ray_workers", _KW, annotation=typing.Optional[int],  # noqa: UP045
                              default=typer.Option(None, "--ray", help=(
                                  "Train on N Ray Train workers (TorchTrainer, DDP underneath) "
                                  "on a local Ray cluster, or the one RAY_ADDRESS names."))),
        ]

        def run(data: Path, out: Path, config: Path | None, resume: bool, overwrite: bool,
                json_path: Path | None, ray_workers: int | None, **fields: Any) -> None:
            cfg = build_config(cls, fields, str(config) if config else None)
            if overwrite:
                from oculi.core.errors import ParameterError
                from oculi.train import clear_run

                if resume:
                    raise ParameterError("--resume and --overwrite: choose one (continue the run "
                                         "in --out or replace it)")
                clear_run(out)
            if ray_workers is not None:
                from oculi.batch.training import train_on_ray

                summary = train_on_ray(name, data, cfg, out, ray_workers, resume=resume)
                typer.echo(f"best {summary['monitor']} {summary['best_metric']:.4f} at epoch "
                           f"{summary['best_epoch'] + 1} -> {summary['best_checkpoint']} "
                           f"({ray_workers} Ray worker(s))")
                if json_path:
                    write_json(json_path, summary)
                return
            result = spec.load("train")(data, cfg, out, resume=resume)
            last = result.history[-1] if result.history else {}
            shown = [k for k, v in last.items() if k.startswith("val_") and isinstance(v, float)
                     and k != result.monitor][:4]
            typer.echo(f"best {result.monitor} {result.best_metric:.4f} at epoch "
                       f"{result.best_epoch + 1}" + "".join(f"  {k} {last[k]:.4f}" for k in shown)
                       + f" -> {result.best_checkpoint}")
            if json_path:
                write_json(json_path, result.as_dict())

        fn = _with_signature(run, fixed + config_parameters(cls))
        return _as_command(fn, name, (
            f"Train: {entry.help}. Every option is a field of {cls.__name__} (also the keys of "
            "--config run.yaml); writes config.yaml, metrics.jsonl, best/last checkpoints, "
            "curves and the task's artifacts to --out. Runs under torchrun for DDP."), entry.help)


def _eval_params(fn: Any) -> list[inspect.Parameter]:
    """Typer options from the keyword-only parameters of an evaluate function."""
    docs = section_docs(inspect.getdoc(fn) or "", "Args")
    hints = typing.get_type_hints(fn)
    params = []
    for p in inspect.signature(fn).parameters.values():
        if p.kind is not p.KEYWORD_ONLY:
            continue
        flag = "--" + p.name.replace("_", "-")
        if isinstance(p.default, bool):
            flag = f"{flag}/--no-{p.name.replace('_', '-')}"
        option = typer.Option(p.default, flag, help=docs.get(p.name, ""))
        params.append(inspect.Parameter(p.name, _KW, default=option,
                                        annotation=hints.get(p.name, str)))
    return params


class EvalGroup(_TaskGroup):
    def make(self, entry: Any) -> click.Command:
        spec, name = entry.obj, entry.name
        evaluate = spec.load("evaluate")
        fixed = [
            inspect.Parameter("run", _POS, annotation=Path, default=typer.Argument(
                ..., help="Run folder (its best checkpoint) or a .safetensors file.")),
            inspect.Parameter("data", _POS, annotation=Path, default=typer.Argument(
                ..., help=spec.eval_data_help)),
            inspect.Parameter("json_path", _KW, annotation=typing.Optional[Path],  # noqa: UP045
                              default=typer.Option(None, "--json",
                                                   help="Write every metric as JSON.")),
        ]
        if spec.write_evaluation:
            fixed.append(inspect.Parameter(
                "out", _KW, annotation=typing.Optional[Path],  # noqa: UP045
                default=typer.Option(None, "--out", "-o", help="Folder for the evaluation's "
                                     "tables and pictures.")))

        def run(run: Path, data: Path, json_path: Path | None, out: Path | None = None,
                **options: Any) -> None:
            report = evaluate(run, data, **options)
            typer.echo(report.summary())
            printer = spec.load("print_report")
            if printer is not None:
                printer(report, typer.echo)
            if out is not None:
                spec.load("write_evaluation")(report, out)
            if json_path:
                write_json(json_path, report.json_dict())

        fn = _with_signature(run, fixed + _eval_params(evaluate))
        return _as_command(fn, name, f"Evaluate a trained {name} run on DATA ({entry.help}).",
                           entry.help)


train_app = typer.Typer(help="Train a model: one command per trainable task (oculi train TASK "
                        "--help lists its options; the same keys work in --config run.yaml).",
                        cls=TrainGroup, no_args_is_help=True, pretty_exceptions_enable=False,
                        add_completion=False)
eval_app = typer.Typer(help="Evaluate a trained run: one command per trainable task.",
                       cls=EvalGroup, no_args_is_help=True, pretty_exceptions_enable=False,
                       add_completion=False)
app = train_app
