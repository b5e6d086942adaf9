"""Shared CLI plumbing: errors as one line + exit 2, a default-command group, output helpers."""

from __future__ import annotations

import contextlib
import importlib
import re
import traceback
from pathlib import Path
from typing import Any

import click
import typer
from typer.core import TyperGroup

from oculi.core.errors import OculiError

#: set by the root callback's ``--debug``; when true, errors show their traceback
DEBUG = {"on": False}


def fail(message: str, code: int = 2) -> None:
    """Print ``oculi: error: message`` on stderr and exit with ``code``."""
    typer.echo(f"oculi: error: {message}", err=True)
    raise typer.Exit(code)


#: ``{names:module:attr}`` in a help text: the names of that registry (function, sequence),
#: filled in only when help is shown (see :func:`names_of`)
_NAMES = re.compile(r"\{names:([\w.]+):(\w+)\}")


def names_of(ref: str) -> str:
    """A placeholder for an option's help text that lists the names of a registry, e.g.
    ``help=f"Method: {names_of('oculi.flow:methods')}."``.

    ``ref`` is ``"module:attribute"`` of a :class:`~oculi.core.registry.Registry` (its
    ``names()``), of a function returning names, or of a sequence of names. The module is
    imported only when help is shown, so ``oculi --help`` stays light and the list follows the
    registry by itself.
    """
    return "{names:" + ref + "}"


def _names(match: re.Match[str]) -> str:
    obj = getattr(importlib.import_module(match[1]), match[2])
    if callable(getattr(obj, "names", None)):
        obj = obj.names()
    elif callable(obj):
        obj = obj()
    return ", ".join(obj)


def fill_names(params: list[click.Parameter]) -> None:
    """Replace the :func:`names_of` placeholders in ``params``' help texts (once)."""
    for param in params:
        text = getattr(param, "help", None)
        if text and "{names:" in text:
            param.help = _NAMES.sub(_names, text)  # type: ignore[attr-defined]


class OculiGroup(TyperGroup):
    """A Typer group that turns :class:`OculiError` into one line on stderr and exit code 2.

    ``--debug`` (on the root command) prints the traceback instead. When a command's help is
    asked for, its :func:`names_of` placeholders are filled in.
    """

    def resolve_command(self, ctx: click.Context, args: list[str]) -> Any:
        name, cmd, rest = super().resolve_command(ctx, args)
        if cmd is not None and any(a in ("--help", "-h") for a in rest):
            fill_names(cmd.params)
        return name, cmd, rest

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except OculiError as exc:
            if DEBUG["on"]:
                traceback.print_exc()
            one_line = " ".join(str(exc).split())
            click.echo(f"oculi: error: {one_line}", err=True)
            ctx.exit(2)
        except (FileNotFoundError, PermissionError, IsADirectoryError) as exc:
            if DEBUG["on"]:
                traceback.print_exc()
            click.echo(f"oculi: error: {exc}", err=True)
            ctx.exit(2)


class _DefaultCommandHelp(TyperGroup):
    """What ``--help`` of a :class:`DefaultCommandGroup` renders: the default command's usage line,
    arguments and options, the group's help then the default command's, and the other commands."""

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        # a plain command's pieces ([OPTIONS] IMAGES...), without the group's COMMAND [ARGS]...
        return super(TyperGroup, self).collect_usage_pieces(ctx)


class DefaultCommandGroup(OculiGroup):
    """A group whose first argument, when it is not a sub-command, goes to a default command.

    Lets a topic offer ``oculi explain IMAGE ...`` and ``oculi explain eval IMAGES ...`` together.
    Create it with ``typer.Typer(cls=DefaultCommandGroup)`` and name the default command
    ``default`` (hidden) or set ``default_command`` on a subclass. ``oculi explain --help`` shows
    the default command's usage and options, then the other commands.
    """

    default_command = "default"

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        default = self.commands.get(self.default_command)
        if default is None:
            return super().format_help(ctx, formatter)
        fill_names(default.params)
        path = ctx.command_path
        others = any(not c.hidden for c in self.commands.values())
        epilog = self.epilog or (f"{path} COMMAND --help shows a command's options." if others
                                 else None)
        # the default's docstring as paragraphs (its line breaks are only source wrapping)
        own = "\n\n".join(" ".join(p.split()) for p in (default.help or "").split("\n\n"))
        view = _DefaultCommandHelp(
            name=self.name,
            commands=self.commands,
            params=list(default.params),
            help="\n\n".join(t for t in (self.help, own.strip()) if t) or None,
            epilog=epilog,
            options_metavar=default.options_metavar,
            rich_markup_mode=self.rich_markup_mode,
        )
        return view.format_help(ctx, formatter)

    def resolve_command(self, ctx: click.Context, args: list[str]) -> Any:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = [self.default_command, *args]
        return super().resolve_command(ctx, args)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)


def topic_app(help: str, *, default_command: bool = False) -> typer.Typer:
    """A Typer sub-app for a topic with oculi's error handling (and optional default command)."""
    return typer.Typer(
        help=help,
        cls=DefaultCommandGroup if default_command else OculiGroup,
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )


def json_ready(obj: Any) -> Any:
    """``obj`` with numpy arrays and scalars as Python values, paths as strings and every NaN or
    infinity as ``None``: what strict JSON can hold (``json.dumps`` would write bare ``NaN``).

    >>> import numpy as np
    >>> json_ready({"epe": float("nan"), "v": np.array([1.5, np.inf]), "n": np.int64(3)})
    {'epe': None, 'v': [1.5, None], 'n': 3}
    """
    import math

    import numpy as np

    if isinstance(obj, dict):
        return {str(k) if not isinstance(k, str) else k: json_ready(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [json_ready(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return json_ready(obj.tolist())
    if isinstance(obj, np.generic):
        return json_ready(obj.item())
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, Path):
        return str(obj)
    return obj


def write_json(path: Path | str, obj: Any) -> None:
    """Write a ``--json`` result atomically as strict JSON (NaN and infinities become ``null``,
    see :func:`json_ready`). A dict result of a command that loaded a model also gets
    ``model_load_s`` and ``model_loads`` (:func:`oculi.core.loadtime.summary`)."""
    from oculi.core.atomic import write_json_atomic
    from oculi.core.loadtime import summary

    if isinstance(obj, dict):
        obj = {**obj, **{k: v for k, v in summary().items() if k not in obj}}
    write_json_atomic(path, json_ready(obj))


def start_command(verbose: bool) -> None:
    """What the root command does before any command: forget the model loads of earlier
    commands run in this process, and with ``verbose`` print each load as it ends
    (``loaded efficientnet_lite0 in 0.41 s`` on stderr)."""
    from oculi.core import loadtime

    loadtime.clear_model_loads()
    loadtime.set_reporter(
        (lambda load: typer.echo(loadtime.describe(load), err=True)) if verbose else None)


@contextlib.contextmanager
def inputs_named(**paths: Any):
    """Errors the library raises about an argument (``image1: expected at least 2x2 pixels``)
    name the user's file instead: ``a.png (image1): expected ...`` (an argument given as None,
    an option left out, keeps the library's message).

        with inputs_named(image1=path1, image2=path2):
            flow = compute_flow(a, b)
    """
    try:
        yield
    except OculiError as err:
        msg = str(err)
        for arg, path in paths.items():
            if path is not None and msg.startswith((f"{arg}:", f"{arg} ")):
                raise type(err)(f"{path} ({arg}){msg[len(arg):]}") from None
        raise


def _named(path: str, message: str) -> str:
    """``path: message``, without repeating a path the message already starts with."""
    return message if message.startswith((f"{path}:", f"{path} ")) else f"{path}: {message}"


def report_failures(failures: dict[str, str], code: int = 2, what: str = "file") -> None:
    """End a batch command: report its failed inputs on stderr and exit with ``code``; nothing
    when ``failures`` is empty.

    The rule for every batch command: process all inputs, then, if any failed, report them here
    and exit 2 (the code of any other bad-input error). One failure is one line
    (``oculi: error: 1 file(s) failed: PATH: reason``); one reason shared by every failure (an
    option error) is one line naming how many; otherwise a count, then ``PATH: reason`` per
    input. A path the reason already starts with is not repeated. ``what`` names the inputs
    ("file", "page").
    """
    if not failures:
        return
    reasons = set(failures.values())
    if len(failures) == 1:
        typer.echo(f"oculi: error: 1 {what}(s) failed: {_named(*next(iter(failures.items())))}",
                   err=True)
    elif len(reasons) == 1:
        names = list(failures)
        shown = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
        typer.echo(f"oculi: error: {reasons.pop()} ({len(names)} {what}s: {shown})", err=True)
    else:
        typer.echo(f"{len(failures)} {what}(s) failed:", err=True)
        for path, msg in failures.items():
            typer.echo(f"  {_named(path, msg)}", err=True)
    raise typer.Exit(code)
