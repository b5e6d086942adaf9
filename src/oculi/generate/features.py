"""The feature network of FID-LeNet / KID-LeNet: a LeNet-style CNN trained here, on the same
28x28 domain, to classify the set's training split (MNIST or Fashion-MNIST).

It replaces the Inception-v3 network of the usual FID (whose ImageNet weights are not on this
machine): scores computed on its features are called **FID-LeNet** and **KID-LeNet** and are not
comparable with published Inception FIDs. The network is trained once per set (seconds to a
minute on a CPU) and cached in the user's cache folder (``$OCULI_CACHE``, else
``$XDG_CACHE_HOME/oculi``, else ``~/.cache/oculi``), written atomically; the cached file records
its test accuracy, so every score can say how good its feature network is.

    >>> from oculi.generate.features import FEATURE_DIM, LeNetFeatures
    >>> import torch
    >>> net = LeNetFeatures()
    >>> tuple(net.features(torch.zeros(2, 1, 28, 28)).shape), FEATURE_DIM
    ((2, 128), 128)
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from oculi.core.errors import DataError, DTypeError, ShapeError

#: width of the penultimate layer, the features FID-LeNet is computed on
FEATURE_DIM = 128
#: bump when the architecture or the training recipe changes (old cache files are ignored)
RECIPE_VERSION = 1
#: training epochs per set (the MNIST training split has 5,000 digits, Fashion-MNIST 60,000)
DEFAULT_EPOCHS = {"mnist": 8, "fashion-mnist": 2}


class LeNetFeatures(nn.Module):
    """LeNet-style classifier: two 5x5 conv + max-pool stages, a 128-unit layer (the features),
    a 10-way linear classifier. Input ``(N, 1, 28, 28)`` float in [0, 1]."""

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 16, 5, padding=2), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 5, padding=2), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(32 * 7 * 7, FEATURE_DIM), nn.ReLU())
        self.classifier = nn.Sequential(nn.Dropout(0.3), nn.Linear(FEATURE_DIM, num_classes))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, 128)`` penultimate activations of ``x`` ``(N, 1, 28, 28)`` in [0, 1]."""
        return self.body((x - 0.5) / 0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits ``(N, 10)``."""
        return self.classifier(self.features(x))


def as_digit_batch(images: Any, name: str = "images") -> torch.Tensor:
    """Check 28x28 one-plane images and return them as ``(N, 1, 28, 28)`` float32 in [0, 1].

    Args:
        images: ``uint8`` (0..255) or float (in [0, 1]) array or tensor, ``(N, 28, 28)``,
            ``(N, 28, 28, 1)`` or ``(N, 1, 28, 28)``.

    Raises:
        ShapeError: another shape or no images. DTypeError: not uint8/float.
        DataError: NaN/inf values, or float values outside [0, 1].
    """
    x = images.detach().cpu().numpy() if torch.is_tensor(images) else np.asarray(images)
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    elif x.ndim == 4 and x.shape[1] == 1:
        x = x[:, 0]
    if x.ndim != 3 or x.shape[1:] != (28, 28) or len(x) == 0:
        raise ShapeError(f"{name}: expected (N, 28, 28) one-plane images with N >= 1, got shape "
                         f"{tuple(np.shape(images))}")
    if x.dtype == np.uint8:
        return torch.from_numpy(x.astype(np.float32) / 255.0)[:, None]
    if not np.issubdtype(x.dtype, np.floating):
        raise DTypeError(f"{name}: expected uint8 or float images, got {x.dtype}")
    if not np.isfinite(x).all():
        raise DataError(f"{name}: {int((~np.isfinite(x)).sum())} values are NaN or infinite")
    if x.min() < 0 or x.max() > 1:
        raise DataError(f"{name}: float images must lie in [0, 1], got [{x.min():.3g}, "
                        f"{x.max():.3g}] — divide by 255")
    return torch.from_numpy(x.astype(np.float32))[:, None]


def cache_dir() -> Path:
    """The user's oculi cache folder: ``$OCULI_CACHE``, else ``$XDG_CACHE_HOME/oculi``, else
    ``~/.cache/oculi``."""
    if os.environ.get("OCULI_CACHE"):
        return Path(os.environ["OCULI_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "oculi"


def cache_path(set_name: str) -> Path:
    """Where the feature network of ``set_name`` is cached."""
    return cache_dir() / "generate" / f"lenet-{set_name}-v{RECIPE_VERSION}.safetensors"


@torch.no_grad()
def _accuracy(net: LeNetFeatures, x: torch.Tensor, y: torch.Tensor) -> float:
    net.eval()
    pred = torch.cat([net(x[i:i + 1000]).argmax(1) for i in range(0, len(x), 1000)])
    return float((pred == y).float().mean())


def train_feature_network(set_name: str, *, epochs: int | None = None,
                          limit: int | None = None, seed: int = 0,
                          out: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Train the LeNet feature network of ``set_name`` on its training split and save it.

    Adam (lr 1e-3, batch 128), light random shifts of up to 2 pixels; the test split gives the
    accuracy recorded in the file.

    Args:
        set_name: ``mnist`` or ``fashion-mnist`` (:data:`oculi.data.digits.digit_sets`).
        epochs: passes over the training images (None: :data:`DEFAULT_EPOCHS`).
        limit: train on the first ``limit`` shuffled training images (None: all).
        seed: the shuffling and initialisation seed.
        out: the ``.safetensors`` file to write (None: :func:`cache_path`).

    Returns:
        ``{"path", "test_accuracy", "train_images", "test_images", "epochs", "seconds"}``.

    Raises:
        DataError: the set is not on this machine (the message says how to get it).
    """
    from oculi.data.digits import load_digits
    from oculi.models.weights import save_weights

    start = time.perf_counter()
    epochs = epochs or DEFAULT_EPOCHS.get(set_name, 5)
    xtr, ytr = load_digits(set_name, "train")
    xte, yte = load_digits(set_name, "test")
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(xtr))[:limit]
    x, y = as_digit_batch(xtr[order]), torch.from_numpy(ytr[order])
    torch.manual_seed(seed)
    net = LeNetFeatures()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    steps = epochs * ((len(x) + 127) // 128)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, 3e-3, total_steps=steps)
    for _ in range(epochs):
        net.train()
        perm = torch.from_numpy(rng.permutation(len(x)))
        for i in range(0, len(x), 128):
            idx = perm[i:i + 128]
            dy, dx = (int(v) for v in rng.integers(-2, 3, 2))
            xb = torch.roll(x[idx], shifts=(dy, dx), dims=(2, 3))
            loss = nn.functional.cross_entropy(net(xb), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
    acc = _accuracy(net, as_digit_batch(xte), torch.from_numpy(yte))
    info = {"set": set_name, "test_accuracy": acc, "train_images": len(x),
            "test_images": len(xte), "epochs": epochs, "seed": seed,
            "recipe": RECIPE_VERSION, "seconds": round(time.perf_counter() - start, 1)}
    path = Path(out) if out is not None else cache_path(set_name)
    save_weights(net, path, {"oculi_lenet_features": json.dumps(info)})
    return {"path": str(path), **info}


def load_feature_network(path: str | os.PathLike[str]) -> tuple[LeNetFeatures, dict[str, Any]]:
    """A saved feature network (eval mode) and its training record (test accuracy, ...).

    Raises:
        DataError: not a feature-network file.
    """
    from oculi.models.weights import load_weights, read_metadata

    meta = read_metadata(path)
    if "oculi_lenet_features" not in meta:
        raise DataError(f"{path}: not a LeNet feature-network file")
    net = LeNetFeatures()
    load_weights(net, path)
    return net.eval(), json.loads(meta["oculi_lenet_features"])


#: seconds to wait for another process training the same feature network
_LOCK_WAIT_S = 900
_LOADED: dict[str, tuple[float, LeNetFeatures, dict[str, Any]]] = {}


def feature_network(set_name: str) -> tuple[LeNetFeatures, dict[str, Any]]:
    """The cached feature network of ``set_name`` (trained and cached on first use).

    Returns:
        The network (eval mode) and its record: ``test_accuracy``, ``train_images``, ``epochs``.
    """
    from oculi.core.errors import OculiError
    from oculi.core.lock import FolderLock
    from oculi.data.digits import digit_sets

    digit_sets.get(set_name)  # UnknownNameError for other names
    path = cache_path(set_name)
    hit = _LOADED.get(str(path))
    if hit is not None and path.is_file() and hit[0] == path.stat().st_mtime:
        return hit[1], hit[2]
    lock = FolderLock(path.parent, f".{path.stem}.lock", what="feature-network cache")
    for _ in range(_LOCK_WAIT_S):  # another process may be training it: wait for its file
        try:
            lock.acquire()
            break
        except DataError:
            time.sleep(1.0)
    else:
        lock.acquire()  # still held: raise its DataError (names the holder)
    try:
        try:
            net, info = load_feature_network(path)
        except (OculiError, OSError):  # missing, or stale/corrupt: (re)train it
            train_feature_network(set_name, out=path)
            net, info = load_feature_network(path)
        _LOADED[str(path)] = (path.stat().st_mtime, net, info)
    finally:
        lock.release()
    return net, info


@torch.no_grad()
def lenet_outputs(net: LeNetFeatures, images: Any, name: str = "images",
                  batch: int = 500) -> tuple[np.ndarray, np.ndarray]:
    """Features ``(N, 128)`` float64 and predicted classes ``(N,)`` int64 of 28x28 images."""
    x = as_digit_batch(images, name)
    feats, preds = [], []
    net.eval()
    for i in range(0, len(x), batch):
        f = net.features(x[i:i + batch])
        feats.append(f.double().numpy())
        preds.append(net.classifier(f).argmax(1).numpy())
    return np.concatenate(feats), np.concatenate(preds).astype(np.int64)


__all__ = ["DEFAULT_EPOCHS", "FEATURE_DIM", "LeNetFeatures", "as_digit_batch", "cache_dir",
           "cache_path", "feature_network", "lenet_outputs", "load_feature_network",
           "train_feature_network"]
