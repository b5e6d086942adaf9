"""Configuration dataclasses: one base whose fields are the keys of a YAML file and the options
of a generated CLI command.

A config is a ``@dataclass`` subclass of :class:`Config`. Its class docstring documents each
field in an ``Attributes:`` section (Google style); :func:`field_docs` reads that text back, so
the help of ``oculi train TASK --FIELD`` and the library's documentation are one text.

    >>> from dataclasses import dataclass
    >>> @dataclass
    ... class Blur(Config):
    ...     '''A blur.
    ...
    ...     Attributes:
    ...         size: kernel size in pixels.
    ...     '''
    ...     size: int = 3
    >>> Blur.from_dict({"size": 5})
    Blur(size=5)
    >>> field_docs(Blur)["size"]
    'kernel size in pixels.'
    >>> Blur.from_dict({"sise": 5})
    Traceback (most recent call last):
    ...
    oculi.core.errors.ParameterError: config: unknown key(s) ['sise']; valid keys: ['size']
"""

from __future__ import annotations

import dataclasses
import inspect
import os
import re
from pathlib import Path
from typing import Any, TypeVar

from oculi.core.checks import check_known_keys
from oculi.core.errors import DataError

C = TypeVar("C", bound="Config")


class Config:
    """Mixin for configuration dataclasses: dict/YAML round trip, unknown keys are errors."""

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise :class:`~oculi.core.errors.ParameterError` for a value out of range."""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)  # type: ignore[call-overload]

    @classmethod
    def field_names(cls) -> set[str]:
        return {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]

    @classmethod
    def from_dict(cls: type[C], data: dict[str, Any]) -> C:
        """Build from a mapping; unknown keys are an error that lists the valid ones."""
        check_known_keys(data, cls.field_names(), "config")
        return cls(**data)

    @classmethod
    def from_yaml(cls: type[C], path: str | os.PathLike[str], **overrides: Any) -> C:
        """Read a YAML mapping (keys = field names), then apply ``overrides`` (non-None values)."""
        import yaml

        p = Path(path)
        if not p.is_file():
            raise DataError(f"config: file not found: {p}")
        try:
            data = yaml.safe_load(p.read_text()) or {}
        except yaml.YAMLError as exc:
            raise DataError(f"config: {p} is not valid YAML ({exc})") from None
        if not isinstance(data, dict):
            raise DataError(f"config: {p} must hold a mapping of field: value")
        data.update({k: v for k, v in overrides.items() if v is not None})
        return cls.from_dict(data)

    def replace(self: C, **changes: Any) -> C:
        return dataclasses.replace(self, **changes)  # type: ignore[type-var]


_ATTR = re.compile(r"^(\s*)([A-Za-z_][\w, ]*):\s*(.*)$")


def section_docs(doc: str, section: str = "Attributes") -> dict[str, str]:
    r"""``{name: text}`` from one Google-style docstring section (``Attributes:``, ``Args:``).

    A line ``name: text`` (or ``a, b: text`` for several names) starts an entry; deeper-indented
    lines continue it; the section ends at a line indented less than its entries.

    >>> section_docs("Sum.\n\nArgs:\n    a, b: the terms,\n        in pixels.\n", "Args")
    {'a': 'the terms, in pixels.', 'b': 'the terms, in pixels.'}
    """
    text = inspect.cleandoc(doc or "")
    marker = f"{section}:"
    if marker not in text:
        return {}
    docs: dict[str, str] = {}
    names: list[str] = []
    indent = None
    for line in text.split(marker, 1)[1].splitlines():
        if not line.strip():
            continue
        m = _ATTR.match(line)
        depth = len(line) - len(line.lstrip())
        if indent is None:
            indent = depth
        if depth < indent:
            break
        if m and depth == indent:
            names = [n.strip() for n in m.group(2).split(",")]
            for n in names:
                docs[n] = m.group(3).strip()
        elif names:
            for n in names:
                docs[n] = f"{docs[n]} {line.strip()}".strip()
    return docs


def field_docs(cls: type) -> dict[str, str]:
    """``{field: help}`` from the ``Attributes:`` sections of ``cls`` and its bases' docstrings
    (a subclass's text wins over its base's)."""
    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        docs.update(section_docs(klass.__dict__.get("__doc__") or ""))
    return docs
