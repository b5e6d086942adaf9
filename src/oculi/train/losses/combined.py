"""``CombinedLoss``: a weighted sum of registered losses written as a formula.

    >>> import torch
    >>> loss = CombinedLoss("iou + dice + 0.8*bce")
    >>> [(w, n) for w, n, _ in loss.terms]
    [(1.0, 'iou'), (1.0, 'dice'), (0.8, 'bce')]
    >>> logits = torch.zeros(1, 1, 2, 2); target = torch.tensor([[[1, 0], [0, 0]]])
    >>> round(float(loss(logits, target)), 4)  # (1 - 1.5/3.5) + (1 - 1.5/2.5) + 0.8 log 2
    1.5259

The expression is parsed, never evaluated: terms joined by ``+``, each ``name``, ``w*name`` or
``name*w`` with ``w`` a non-negative number and ``name`` a key of :data:`oculi.train.losses.LOSSES`.
Keyword arguments go to every term that accepts them (``ignore_index``, ``mode``,
``class_weights``, ...), so one call configures the whole sum.
"""

from __future__ import annotations

import inspect
import re
from typing import Any

import torch
from torch import nn

from oculi.core.errors import ParameterError

_NUM = r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_TERM = re.compile(rf"^(?:({_NUM})\s*\*\s*)?([A-Za-z][\w-]*)(?:\s*\*\s*({_NUM}))?$")


def parse_loss_expression(expression: str) -> list[tuple[float, str]]:
    """``"iou+dice+0.8*bce"`` → ``[(1.0, "iou"), (1.0, "dice"), (0.8, "bce")]``.

    Raises:
        ParameterError: empty expression, a malformed term or a duplicate name.
    """
    if not expression or not expression.strip():
        raise ParameterError("loss: expected an expression such as 'iou+dice+0.8*bce', got nothing")
    out: list[tuple[float, str]] = []
    for raw in expression.split("+"):
        term = raw.strip()
        m = _TERM.match(term)
        if not m or (m.group(1) and m.group(3)):
            raise ParameterError(
                f"loss: cannot parse term {term!r} of {expression!r} — write terms as name, "
                "w*name or name*w joined by '+', e.g. 'iou+dice+0.8*bce'"
            )
        weight = float(m.group(1) or m.group(3) or 1.0)
        name = m.group(2).lower().replace("_", "-")
        if any(n == name for _, n in out):
            raise ParameterError(
                f"loss: {name!r} appears twice in {expression!r} — merge the weights"
            )
        out.append((weight, name))
    return out


def _accepted(factory: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    """The subset of ``kwargs`` that ``factory`` (a class or a function) accepts by name."""
    params: set[str] = set()
    if inspect.isclass(factory):
        for klass in factory.__mro__:
            if klass in (nn.Module, object):
                break
            if "__init__" in vars(klass):
                params |= set(inspect.signature(vars(klass)["__init__"]).parameters)
    else:
        params = set(inspect.signature(factory).parameters)
    return {k: v for k, v in kwargs.items() if k in params}


class CombinedLoss(nn.Module):
    """Weighted sum of losses from an expression; ``last_terms`` holds the last values per term.

    Args:
        expression: e.g. ``"iou+dice+0.8*bce"`` or ``"ce + 0.5*lovasz"``.
        **kwargs: passed to each term that accepts the keyword.
    """

    def __init__(self, expression: str, **kwargs: Any) -> None:
        super().__init__()
        from oculi.train.losses import LOSSES

        self.expression = expression
        self.terms: list[tuple[float, str, nn.Module]] = []
        modules = nn.ModuleDict()
        for weight, name in parse_loss_expression(expression):
            factory = LOSSES.get(name)
            module = factory(**_accepted(factory, kwargs))
            self.terms.append((weight, name, module))
            modules[name.replace("-", "_")] = module
        self.parts = modules
        self.last_terms: dict[str, float] = {}

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        total = logits.new_zeros(())
        values: dict[str, float] = {}
        for weight, name, module in self.terms:
            value = module(logits, target)
            values[name] = float(value.detach())
            total = total + weight * value
        self.last_terms = values
        return total

    def extra_repr(self) -> str:
        return repr(self.expression)
