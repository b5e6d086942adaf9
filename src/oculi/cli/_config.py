"""Click options generated from a config dataclass: every field is an option with its docstring
help and default, so ``oculi train TASK`` needs no hand-written options.

Field types map to options: ``bool`` -> ``--name/--no-name``; ``int``/``float``/``str`` (also
``X | None``) -> a typed option; anything else (lists, tuples, dicts) -> a YAML value
(``--crop-scale "[0.1, 1]"``). ``field(metadata={"cli": ("--arch", "-a")})`` adds aliases;
``metadata={"cli_off": "--scratch"}`` names a boolean's off switch.
Options default to None, so only what the user typed overrides ``--config run.yaml`` and the
dataclass defaults.
"""

from __future__ import annotations

import dataclasses
import inspect
import types
import typing
from typing import Any

import typer

from oculi.core.config import field_docs
from oculi.core.errors import ParameterError

_SCALARS = (int, float, str, bool)


def _scalar(tp: Any) -> Any:
    """The scalar type of ``tp`` (``X`` or ``X | None``), or None for a structured type."""
    if tp in _SCALARS:
        return tp
    args = typing.get_args(tp)
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType) and len(args) == 2 and type(None) in args:
        other = args[0] if args[1] is type(None) else args[1]
        return other if other in _SCALARS else None
    return None


def _yaml_value(name: str):
    def convert(value: Any) -> Any:
        if value is None:
            return None
        import yaml

        try:
            return yaml.safe_load(value)
        except yaml.YAMLError as exc:
            raise typer.BadParameter(f"{name}: not a YAML value ({exc})") from None
    return convert


def _default_text(f: dataclasses.Field) -> str:
    if f.default is not dataclasses.MISSING:
        value = f.default
    elif f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
        value = f.default_factory()  # type: ignore[misc]
    else:
        return ""
    return "none" if value is None else str(value)


def config_parameters(cls: type) -> list[inspect.Parameter]:
    """One keyword-only Typer option per field of the dataclass ``cls`` (see the module doc)."""
    hints = typing.get_type_hints(cls)
    docs = field_docs(cls)
    params = []
    for f in dataclasses.fields(cls):
        flag = "--" + f.name.replace("_", "-")
        aliases = tuple(f.metadata.get("cli", ()))
        tp = _scalar(hints[f.name])
        help_text = docs.get(f.name, "").replace("``", "")
        default = _default_text(f)
        if tp is bool:
            off = f.metadata.get("cli_off", f"--no-{f.name.replace('_', '-')}")
            option = typer.Option(None, f"{flag}/{off}", *aliases, help=help_text,
                                  show_default=default)
        elif tp is not None:
            option = typer.Option(None, flag, *aliases, help=help_text, show_default=default)
        else:
            tp = str
            option = typer.Option(None, flag, *aliases, help=help_text + " (a YAML value)",
                                  parser=_yaml_value(f.name), show_default=default)
        params.append(inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=option,
                                        annotation=typing.Optional[tp]))  # noqa: UP045
    return params


def build_config(cls: type, values: dict[str, Any], config_file: str | None) -> Any:
    """The config from ``--config`` (if any) with the typed options on top."""
    given = {k: v for k, v in values.items() if v is not None}
    for k, v in list(given.items()):
        if isinstance(v, list) and _is_tuple(cls, k):
            given[k] = tuple(v)
    if config_file:
        return cls.from_yaml(config_file, **given)
    try:
        return cls(**given)
    except TypeError as exc:
        raise ParameterError(f"config: {exc}") from None


def _is_tuple(cls: type, name: str) -> bool:
    tp = typing.get_type_hints(cls)[name]
    return tuple in (typing.get_origin(tp), *map(typing.get_origin, typing.get_args(tp)))
