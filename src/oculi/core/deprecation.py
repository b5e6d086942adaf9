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
