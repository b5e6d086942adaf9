"""``oculi eval gan``: a trained generator's samples scored with the LeNet feature network of
the set (FID-LeNet, KID-LeNet, precision/recall of the manifold, class accuracy of conditional
samples, mode coverage), beside the same scores between two disjoint halves of the real test
split. These are not Inception FID/KID: the feature network is a small CNN trained here on the
set, so the numbers compare models on this set only."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from oculi.core.errors import DataError, MissingDependencyError


def _metrics() -> Any:
    try:
        from oculi.generate import metrics
    except ImportError as exc:  # the metrics module ships separately
        raise MissingDependencyError(
            "oculi.generate.metrics (the LeNet generator metrics) is not available in this "
            f"installation: {exc}") from exc
    return metrics


def _real_test(data: str | os.PathLike[str], feature_set: str,
               skipped: dict[str, str]) -> tuple[np.ndarray, str]:
    from pathlib import Path

    from oculi.data.digits import digit_sets, load_digits

    text = str(data)
    root = Path(data)
    if not root.is_dir():
        if text.lower() not in digit_sets:
            raise DataError(f"{text}: no such folder, and not a set name "
                            f"({', '.join(digit_sets.names())})")
        x, _ = load_digits(text.lower(), "test")
        return x, feature_set or text.lower()
    if not feature_set:
        raise DataError(f"{text}: a folder needs feature_set (mnist or fashion-mnist: which "
                        "LeNet feature network scores the samples)")
    try:
        x, _ = load_digits(feature_set, "test", root=root)
    except DataError:  # not IDX files: every readable image of the folder
        from oculi.generate.gan_data import read_folder

        x = read_folder(root, skipped)
    return x, feature_set


def evaluate_gan(run: str | os.PathLike[str], data: str | os.PathLike[str], *,
                 samples: int = 2500, seed: int = 0, feature_set: str = "",
                 baseline: bool = True):
    """Score a ``gan`` run's samples against real test images.

    Args:
        run: run folder or checkpoint of ``oculi train gan``.
        data: ``mnist`` or ``fashion-mnist`` (their test split), or a folder of IDX files /
            grey images (then ``feature_set`` says which LeNet scores them).
        samples: generated images, and real test images they are compared with (> 128).
        seed: the noise seed and the choice of real images.
        feature_set: ``mnist`` or ``fashion-mnist``: the LeNet feature network (default: the
            set named by ``data``).
        baseline: also score two disjoint halves of ``samples`` images each of the feature
            set's test split against each other (``val_real_fid_lenet``, the floor a perfect
            generator would reach at this N; ``samples`` must not exceed half that split).

    Returns:
        An :class:`~oculi.core.results.EvaluationReport`: ``val_fid_lenet``,
        ``val_kid_lenet``, ``val_precision``, ``val_recall``, ``val_mode_coverage``,
        ``val_class_accuracy`` (conditional runs), ``val_real_fid_lenet`` and
        ``val_fid_ratio`` (FID-LeNet / real halves' FID-LeNet) with ``baseline``; details
        ``skipped`` (unreadable images of a DATA folder, path -> reason, left out).

    Raises:
        DataError: not a gan run, unknown data, too few test images.
        MissingDependencyError: the LeNet metrics are not available.
    """
    from oculi.core.checks import check_positive
    from oculi.core.results import EvaluationReport
    from oculi.generate.gan_data import to_uint8
    from oculi.generate.gan_sample import load_gan, sample_model

    check_positive(samples, "samples")
    metrics = _metrics()
    model = load_gan(run)
    skipped: dict[str, str] = {}
    real, set_name = _real_test(data, feature_set, skipped)
    n_test = len(real)
    if n_test < samples:
        raise DataError(f"{data}: {n_test} test images, fewer than samples={samples}")
    real = real[np.random.default_rng(seed).permutation(len(real))[:samples]]
    labels = (np.random.default_rng(seed + 1).integers(0, model.classes, samples)
              if model.classes else None)
    fake = to_uint8(sample_model(model, samples, seed=seed,
                                 labels=None if labels is None else labels.tolist()))
    scores = metrics.generator_scores(fake, real, set_name=set_name, fake_labels=labels)
    out = {f"val_{k}": float(v) for k, v in scores.items()
           if isinstance(v, (int, float)) and k != "feature_accuracy"}
    details: dict[str, Any] = {"samples": samples, "feature_set": set_name,
                               "conditional": bool(model.classes), "config": model.config(),
                               "feature_accuracy": scores.get("feature_accuracy"),
                               "skipped": skipped}
    if baseline:
        # the same N as the samples: FID's bias depends on N (the halves are of the set's split)
        try:
            base = metrics.real_baseline(set_name, n=samples, seed=seed)
        except DataError as exc:
            raise DataError(f"samples: {samples} is too many for the real-halves baseline "
                            f"({exc}) — lower --samples or pass --no-baseline") from None
        details["real_baseline"] = base
        out["val_real_fid_lenet"] = float(base["fid_lenet"])
        out["val_fid_ratio"] = out["val_fid_lenet"] / max(out["val_real_fid_lenet"], 1e-12)
    return EvaluationReport("gan", out, details)


def print_report(report: Any, echo: Any) -> None:
    """The metrics of :func:`evaluate_gan`, with the real-halves floor."""
    m = report.metrics
    skipped = report.details.get("skipped") or {}
    if skipped:
        echo(f"  {len(skipped)} unreadable real image(s) left out, e.g. {next(iter(skipped))}")
    echo(f"  FID-LeNet {m['val_fid_lenet']:.3f}  KID-LeNet {m['val_kid_lenet']:.4f}  precision "
         f"{m['val_precision']:.3f}  recall {m['val_recall']:.3f}")
    if "val_class_accuracy" in m:
        echo(f"  conditional samples classified as their class: {m['val_class_accuracy']:.1%}")
    if "val_real_fid_lenet" in m:
        echo(f"  real halves: FID-LeNet {m['val_real_fid_lenet']:.3f} "
             f"(generator / real = {m['val_fid_ratio']:.2f}x)")
