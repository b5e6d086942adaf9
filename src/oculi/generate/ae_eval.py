"""``oculi eval vae``: reconstruction PSNR/SSIM of a trained autoencoder on held-out images, the
ELBO and bits per pixel of a VAE, and FID-LeNet / KID-LeNet / precision / recall of its prior
samples (the LeNet feature network of the set — not Inception FID), beside two disjoint real
halves of the test split scored the same way."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import torch

from oculi.core.errors import DataError


def held_out_images(data: str | os.PathLike[str], *, val_images: int = 10**9, seed: int = 0
                    ) -> tuple[np.ndarray, np.ndarray, str]:
    """Images uint8 ``(N, 28, 28)``, labels ``(N,)`` and the set name ('' for folders) of DATA:
    a set's test split, a folder of IDX files' test split, or the images an image folder's run
    held out (``val_images`` and ``seed`` of its training config: the same split)."""
    from oculi.data.digits import digit_sets, load_digits
    from oculi.generate.gan_data import load_source

    text, root = str(data), Path(data)
    if not root.is_dir() and text.lower() in digit_sets:
        x, y = load_digits(text.lower(), "test")
        return x, y, text.lower()
    source = load_source(data, val_images=val_images, seed=seed)
    if len(source.val_images) == 0:
        raise DataError(f"{data}: no held-out images to evaluate on")
    return source.val_images, source.val_labels, ""


def _run_split(run: str | os.PathLike[str]) -> dict[str, int]:
    """``val_images`` and ``seed`` the run split its data with (its ``config.yaml``; the
    defaults when the file is missing or unreadable)."""
    import yaml

    from oculi.generate.ae_config import AutoencoderConfig

    root = Path(run) if Path(run).is_dir() else Path(run).parent
    try:
        saved = yaml.safe_load((root / "config.yaml").read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        saved = None
    saved = saved if isinstance(saved, dict) else {}
    default = AutoencoderConfig()
    return {k: int(saved.get(k, getattr(default, k))) for k in ("val_images", "seed")}


def evaluate_autoencoder(run: str | os.PathLike[str], data: str | os.PathLike[str], *,
                         samples: int = 2500, images: int = 0, seed: int = 0,
                         feature_set: str = "", noise: float = -1.0, baseline: bool = True):
    """Score a ``vae`` run on held-out images.

    Args:
        run: run folder or checkpoint of ``oculi train vae``.
        data: ``mnist`` or ``fashion-mnist`` (their test split), or a folder of IDX files /
            grey images (its held-out images).
        samples: prior samples scored with FID-LeNet (VAE runs; > 128 and at most half the
            held-out images), against as many real held-out images.
        images: score reconstructions of the first N held-out images (0: all); the FID-LeNet
            real images and baseline still come from all of them.
        seed: the prior noise, the choice of real images and the denoising noise.
        feature_set: ``mnist`` or ``fashion-mnist``: the LeNet feature network for folder data
            ('' : the set named by ``data``; no FID for a folder without it).
        noise: input noise standard deviation (denoising; -1: the run's own, 0 for ae/vae).
        baseline: also score two disjoint halves of the real test split against each other
            (``val_real_fid_lenet``, the floor a perfect generator would reach).

    Returns:
        An :class:`~oculi.core.results.EvaluationReport`: ``val_psnr``, ``val_ssim``
        (reconstruction from the code mean, per-image means, peak 1), ``val_recon`` (nats);
        VAE: ``val_elbo`` (nats per image), ``val_bpd``, ``val_kl``, and with a feature set
        ``val_fid_lenet``, ``val_kid_lenet``, ``val_precision``, ``val_recall``,
        ``val_mode_coverage``, ``val_real_fid_lenet`` (real halves, same N) and ``val_fid_ratio``.
    """
    from torch.utils.data import DataLoader, TensorDataset

    from oculi.core.checks import check_positive
    from oculi.core.results import EvaluationReport
    from oculi.generate.ae_task import load_autoencoder, reconstruction_scores, sample

    check_positive(samples, "samples")
    model = load_autoencoder(run)
    x, y, set_name = held_out_images(data, **_run_split(run))
    set_name = feature_set or set_name
    sigma = model.noise if noise < 0 else float(noise)
    check_positive(images, "images", allow_zero=True)
    xt = torch.from_numpy(x[:images or None]).float().div(255.0)[:, None]
    loader = DataLoader(TensorDataset(xt, torch.from_numpy(y[:len(xt)])), batch_size=500)
    metrics = reconstruction_scores(model, loader, torch.device("cpu"), 1.0, sigma, seed,
                                    with_ssim=True)
    metrics.pop("val_loss")
    details: dict[str, Any] = {"model": model.model, "latent_dim": model.latent_dim,
                               "images": len(xt), "noise": sigma, "feature_set": set_name}
    if model.variational and set_name:
        from oculi.generate.metrics import generator_scores, real_baseline

        n = min(samples, len(x) // 2)
        if n <= 128:
            raise DataError(f"{data}: {len(x)} held-out images — FID-LeNet needs more than 256 "
                            "(more than 128 per half)")
        real = x[np.random.default_rng(seed).permutation(len(x))[:n]]
        fake = sample(run, n, seed=seed)
        scores = generator_scores(fake, real, set_name=set_name)
        metrics.update({f"val_{k}": float(v) for k, v in scores.items()
                        if k not in ("feature_accuracy", "class_entropy")})
        details.update({"samples": n, "feature_accuracy": scores["feature_accuracy"]})
        if baseline:
            base = real_baseline(set_name, n=n, seed=seed)
            metrics["val_real_fid_lenet"] = float(base["fid_lenet"])
            metrics["val_fid_ratio"] = metrics["val_fid_lenet"] / max(base["fid_lenet"], 1e-12)
            details["real_baseline"] = base
    return EvaluationReport("vae", metrics, details)


def print_report(report: Any, echo: Any) -> None:
    """The feature network behind the FID-LeNet lines of :func:`evaluate_autoencoder`."""
    if "feature_accuracy" in report:
        echo(f"  FID-LeNet/KID-LeNet: LeNet features of {report['feature_set']} (test accuracy "
             f"{100 * report['feature_accuracy']:.1f} %), {report['samples']} prior samples vs "
             "as many held-out images; not Inception FID")


def write_evaluation(report: Any, folder: str | os.PathLike[str]) -> None:
    """``report.json`` in ``folder``."""
    from oculi.core.atomic import write_json_atomic

    write_json_atomic(Path(folder) / "report.json", report.json_dict())
