"""Explain image files with a zoo model: what the ``oculi explain`` commands call.

Images are read with :func:`oculi.io.read_image` and preprocessed by the model's input spec
(resize + centre crop, [0, 1]); maps are at that crop's size.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

from oculi.core.errors import OculiError, ParameterError
from oculi.explain._base import Explanation, methods


def grid_methods() -> tuple[str, ...]:
    """The methods of the ``--all`` grid: every registered method not marked ``slow`` (Score-CAM
    and integrated gradients: ask for those by name), CAM family first, then by name."""
    fast = [e for e in methods.entries() if not e.meta.get("slow")]
    return tuple(e.name for e in sorted(fast, key=lambda e: e.meta.get("family", "")))


@dataclass
class FileResult:
    """One explained file: the preprocessed image ``(3, H, W)`` and one explanation per method."""

    path: str
    image: torch.Tensor
    explanations: dict[str, Explanation]


def resolve_target(model: Any, target: int | str | None) -> int | None:
    """A class index from an index or a (part of a) class name: ``"tabby"`` -> 281."""
    if target is None or isinstance(target, int):
        return target
    text = str(target).strip()
    if text.lstrip("-").isdigit():
        return int(text)
    names = getattr(model, "class_names", None) or []
    low = text.lower()
    exact = [i for i, n in enumerate(names) if n.lower() == low]
    if exact:
        return exact[0]
    part = [i for i, n in enumerate(names) if low in n.lower()]
    if len(part) == 1:
        return part[0]
    if part:
        shown = ", ".join(f"{i} {names[i]!r}" for i in part[:6])
        raise ParameterError(f"target: {text!r} matches several classes ({shown}); pick one")
    raise ParameterError(f"target: no class named {text!r} — give a class index or a name")


def explain_files(
    paths: Sequence[str | os.PathLike[str]],
    method: str | Sequence[str] = "gradcam",
    model: Any = "efficientnet_lite0",
    *,
    weights: str | None = None,
    target: int | str | None = None,
    layer: str | None = None,
    **options: Any,
) -> tuple[list[FileResult], dict[str, str]]:
    """Explain each image file with one or several methods, going on past unreadable files.

    Returns:
        ``(results, failures)``: one :class:`FileResult` per image read, and path -> message.
    """
    from oculi.io import read_image

    names = [method] if isinstance(method, str) else list(method)
    for name in names:
        methods.entry(name)  # unknown names fail before any work
    from oculi.classify import get_model

    net = get_model(model, weights)
    tgt = resolve_target(net, target)
    results: list[FileResult] = []
    failures: dict[str, str] = {}
    for path in paths:
        try:
            x = net.preprocess(read_image(path))
        except (OculiError, OSError) as exc:
            failures[str(path)] = str(exc)
            continue
        done = {}
        for name in names:
            kw = options if len(names) == 1 else {}
            done[methods.entry(name).name] = methods.get(name)(net, x, tgt, layer, **kw)
        results.append(FileResult(str(path), x[0], done))
    return results, failures


def label(model: Any, index: int) -> str:
    names = getattr(model, "class_names", None)
    return names[index] if names and 0 <= index < len(names) else str(index)
