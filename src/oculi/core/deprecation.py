"""Renamed parameters keep working for a while: the old keyword maps to the new one with a
:class:`DeprecationWarning` (the vocabulary of docs/conventions.md)."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

from oculi.core.errors import ParameterError

F = TypeVar("F", bound=Callable[..., Any])


def renamed_parameters(**renames: str) -> Callable[[F], F]:
    """Decorator: accept each old keyword (``old="new"``) as the new one, with a warning.

    >>> @renamed_parameters(score="score_threshold")
    ... def f(*, score_threshold=0.5):
    ...     return score_threshold
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     f(score=0.3)
    0.3
    """

    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def inner(*args: Any, **kwargs: Any) -> Any:
            for old, new in renames.items():
                if old in kwargs:
                    if new in kwargs:
                        raise ParameterError(f"{fn.__name__}: give {new} only ({old} is its "
                                             "deprecated name)")
                    warnings.warn(f"{fn.__name__}: {old}= is deprecated, use {new}=",
                                  DeprecationWarning, stacklevel=2)
                    kwargs[new] = kwargs.pop(old)
            return fn(*args, **kwargs)

        return inner  # type: ignore[return-value]

    return wrap


def moved_names(module: str, names: dict[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for names that moved: ``names`` maps an old name to
    ``"new.module"`` (same name there) or ``"new.module:new_name"``; using one warns with a
    :class:`DeprecationWarning` and returns the new object, imported only then.

    Use as ``__getattr__ = moved_names(__name__, {"classify": "oculi.classify"})``.

    >>> getattr_ = moved_names("pkg", {"sqrt": "math"})
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     getattr_("sqrt")(9.0)
    3.0
    """

    def __getattr__(name: str) -> Any:
        target = names.get(name)
        if target is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        import importlib

        where, _, new = target.partition(":")
        new = new or name
        warnings.warn(f"{module}.{name} moved to {where}.{new}", DeprecationWarning,
                      stacklevel=2)
        return getattr(importlib.import_module(where), new)

    return __getattr__
