"""One registry pattern for every kind of pluggable thing (detectors, flow methods, models, ...).

A topic creates one :class:`Registry` per kind and registers its entries by explicit imports in the
topic's ``__init__``, never by the caller's import order::

    >>> from oculi.core.registry import Registry
    >>> blurs = Registry("blur")
    >>> @blurs.register("box", help="mean over a square window")
    ... def box(size=3):
    ...     return ("box", size)
    >>> blurs.create("box", size=5)
    ('box', 5)
    >>> blurs.names()
    ['box']
    >>> blurs.create("bx")
    Traceback (most recent call last):
    ...
    oculi.core.errors.UnknownNameError: unknown blur 'bx'; did you mean 'box'? Known: box
"""

from __future__ import annotations

import difflib
import fnmatch
import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from oculi.core.errors import ParameterError, UnknownNameError

T = TypeVar("T")


@dataclass(frozen=True)
class Entry(Generic[T]):
    """A registered object with its name, aliases, one-line help and free-form metadata."""

    name: str
    obj: T
    help: str = ""
    aliases: tuple[str, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)


def _normalise(name: str) -> str:
    return name.strip().lower().replace("_", "-")


class Registry(Generic[T]):
    """A named collection of factories (classes or functions).

    Names are case-insensitive and ``_`` and ``-`` are interchangeable, so ``gradcam_pp``,
    ``GradCAM-PP`` and ``gradcam-pp`` are one name.

    Args:
        kind: what the entries are, used in messages ("detector", "flow method", ...).
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, Entry[T]] = {}
        self._aliases: dict[str, str] = {}

    def register(
        self,
        name: str,
        obj: T | None = None,
        *,
        help: str = "",
        aliases: tuple[str, ...] | list[str] = (),
        **meta: Any,
    ) -> Any:
        """Register ``obj`` under ``name``; without ``obj`` works as a decorator.

        Raises:
            ValueError: if the name or an alias is already taken.
        """

        def _add(target: T) -> T:
            key = _normalise(name)
            taken = [k for k in (key, *map(_normalise, aliases)) if k in self._aliases]
            if taken:
                raise ValueError(f"{self.kind} registry: name(s) {taken} already registered")
            doc = help or (getattr(target, "__doc__", None) or "").strip().split("\n")[0]
            self._entries[key] = Entry(name, target, doc, tuple(aliases), dict(meta))
            self._aliases[key] = key
            for alias in aliases:
                self._aliases[_normalise(alias)] = key
            return target

        return _add(obj) if obj is not None else _add

    def entry(self, name: str) -> Entry[T]:
        """The :class:`Entry` for ``name`` or an alias of it.

        Raises:
            UnknownNameError: the name is unknown; the message lists close matches and all names.
        """
        key = self._aliases.get(_normalise(name))
        if key is None:
            known = sorted(self._aliases)
            close = difflib.get_close_matches(_normalise(name), known, n=3, cutoff=0.5)
            hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            raise UnknownNameError(
                f"unknown {self.kind} {name!r}{hint} Known: {', '.join(self.names())}"
            )
        return self._entries[key]

    def get(self, name: str) -> T:
        """The registered object (class or function) itself."""
        return self.entry(name).obj

    def create(self, name: str, /, **kwargs: Any) -> Any:
        """Call the registered factory with ``kwargs`` and return the result.

        Raises:
            UnknownNameError: the name is unknown.
            ParameterError: a keyword the factory does not take (the message lists those it
                takes; not checked for factories with ``**kwargs``).
        """
        factory = self.get(name)
        if not callable(factory):
            raise TypeError(f"{self.kind} {name!r} is not callable")
        _check_keywords(f"{self.kind} {name!r}", factory, kwargs)
        return factory(**kwargs)

    def names(self, pattern: str = "*") -> list[str]:
        """Registered names (not aliases) matching a shell-style ``pattern``, sorted."""
        pat = _normalise(pattern)
        return sorted(e.name for k, e in self._entries.items() if fnmatch.fnmatch(k, pat))

    def entries(self) -> list[Entry[T]]:
        """All entries in name order."""
        return [self._entries[k] for k in sorted(self._entries)]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and _normalise(name) in self._aliases

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {self.names()})"


def _check_keywords(what: str, factory: Callable[..., Any], kwargs: dict[str, Any]) -> None:
    try:
        params = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):  # builtins without a signature
        return
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return
    takes = [p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    unknown = sorted(set(kwargs) - set(takes))
    if unknown:
        raise ParameterError(
            f"{what}: unknown parameter(s) {', '.join(unknown)}; expected "
            f"{', '.join(sorted(takes)) or 'none'}"
        )


def lazy(module: str, attr: str) -> Callable[..., Any]:
    """A factory that imports ``module.attr`` only when called (keeps topic imports cheap)."""

    def _factory(*args: Any, **kwargs: Any) -> Any:
        import importlib

        return getattr(importlib.import_module(module), attr)(*args, **kwargs)

    _factory.__name__ = attr
    _factory.__qualname__ = f"lazy({module}.{attr})"
    return _factory
