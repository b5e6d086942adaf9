"""``oculi train TASK DATA -o RUN [--FIELD VALUE ...]`` and ``oculi eval TASK RUN DATA``: one
command per entry of :data:`oculi.tasks.trainable_tasks`, generated from the task's config
dataclass (train) and its evaluate function's keyword-only parameters (eval). No task has
hand-written options: a field added to a config is an option at once."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import click
import typer

from oculi.cli._common import OculiGroup, write_json
from oculi.cli._config import build_config, config_options


def _task_names() -> list[str]:
    from oculi.tasks import trainable_tasks

    return trainable_tasks.names()


def _spec(name: str):
    from oculi.tasks import trainable_tasks

    return trainable_tasks.get(name)


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


class TrainGroup(_TaskGroup):
    def make(self, entry: Any) -> click.Command:
        spec, name = entry.obj, entry.name
        cls = spec.config_class()
        params: list[click.Parameter] = [
            click.Argument(["data"], type=click.Path(path_type=Path)),
            click.Option(["-o", "--out", "out"], type=click.Path(path_type=Path), required=True,
                         help="Run folder (created)."),
            click.Option(["--config", "config"], type=click.Path(path_type=Path), default=None,
                         help=f"YAML file; keys = {cls.__name__} fields (the options below)."),
            click.Option(["--resume", "resume"], is_flag=True, default=False,
                         help="Continue the run in --out."),
            click.Option(["--json", "json_path"], type=click.Path(path_type=Path), default=None,
                         help="Write the result summary as JSON."),
            *config_options(cls),
        ]

        def run(data: Path, out: Path, config: Path | None, resume: bool,
                json_path: Path | None, **fields: Any) -> None:
            cfg = build_config(cls, fields, str(config) if config else None)
            result = spec.load("train")(data, cfg, out, resume=resume)
            last = result.history[-1] if result.history else {}
            shown = [k for k, v in last.items() if k.startswith("val_") and isinstance(v, float)
                     and k != result.monitor][:4]
            typer.echo(f"best {result.monitor} {result.best_metric:.4f} at epoch "
                       f"{result.best_epoch + 1}" + "".join(f"  {k} {last[k]:.4f}" for k in shown)
                       + f" -> {result.best_checkpoint}")
            if json_path:
                write_json(json_path, result.as_dict())

        return click.Command(name, params=params, callback=run, help=(
            f"Train: {entry.help}. DATA: {spec.data_help} Every option is a field of "
            f"{cls.__name__}; writes config.yaml, metrics.jsonl, best/last checkpoints, "
            "curves and the task's artifacts to --out. Runs under torchrun for DDP."))


def _eval_params(fn: Any) -> list[click.Option]:
    """Options from the keyword-only parameters of an evaluate function."""
    from oculi.core.config import field_docs  # noqa: F401 - same docstring conventions

    doc = inspect.getdoc(fn) or ""
    options = []
    for p in inspect.signature(fn).parameters.values():
        if p.kind is not p.KEYWORD_ONLY:
            continue
        flag = "--" + p.name.replace("_", "-")
        help_text = _arg_doc(doc, p.name)
        default = p.default
        if isinstance(default, bool):
            options.append(click.Option([f"{flag}/--no-{p.name.replace('_', '-')}", p.name],
                                        default=default, show_default=True, help=help_text))
        else:
            kind = type(default) if default is not None else str
            options.append(click.Option([flag, p.name], type=kind, default=default,
                                        show_default=True, help=help_text))
    return options


def _arg_doc(doc: str, name: str) -> str:
    lines = doc.splitlines()
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith(f"{name}:"):
            text = [stripped.split(":", 1)[1].strip()]
            indent = len(line) - len(line.lstrip())
            for nxt in lines[i + 1:]:
                if not nxt.strip() or len(nxt) - len(nxt.lstrip()) <= indent:
                    break
                text.append(nxt.strip())
            return " ".join(text)
    return ""


class EvalGroup(_TaskGroup):
    def make(self, entry: Any) -> click.Command:
        spec, name = entry.obj, entry.name
        fn = spec.load("evaluate")
        params: list[click.Parameter] = [
            click.Argument(["run"], type=click.Path(path_type=Path)),
            click.Argument(["data"], type=click.Path(path_type=Path)),
            *_eval_params(fn),
            click.Option(["--json", "json_path"], type=click.Path(path_type=Path), default=None,
                         help="Write every metric as JSON."),
        ]
        if spec.write_evaluation:
            params.append(click.Option(["-o", "--out", "out"], type=click.Path(path_type=Path),
                                       default=None, help="Folder for the evaluation's tables "
                                       "and pictures."))

        def run(run: Path, data: Path, json_path: Path | None, out: Path | None = None,
                **options: Any) -> None:
            report = fn(run, data, **options)
            typer.echo(report.summary())
            printer = spec.load("print_report")
            if printer is not None:
                printer(report, typer.echo)
            if out is not None:
                spec.load("write_evaluation")(report, out)
            if json_path:
                write_json(json_path, report.as_dict())

        return click.Command(name, params=params, callback=run, help=(
            f"Evaluate a trained {name} run (its best checkpoint) on DATA: {spec.eval_data_help}"))


train_app = typer.Typer(help="Train a model: one command per trainable task (oculi train TASK "
                        "--help lists its options; the same keys work in --config run.yaml).",
                        cls=TrainGroup, no_args_is_help=True, pretty_exceptions_enable=False,
                        add_completion=False)
eval_app = typer.Typer(help="Evaluate a trained run: one command per trainable task.",
                       cls=EvalGroup, no_args_is_help=True, pretty_exceptions_enable=False,
                       add_completion=False)
app = train_app
