"""The classifier test of colourisers on a large held-out photo set, with paired statistics.

**The photos** (:data:`HELDOUT_SETS`, fixed before any model was scored on them): every colour
photo set under the shared data folder that the colourisation runs did not train on — all of
``hymenoptera/val`` (the runs train on ``hymenoptera/train``) and ``det_raccoon``, the photo
collections (Kodak, LOL normal-light, Set5, CamVid, the style-transfer content photo), one view
per scene of the multi-view, stereo, flow and homography sets, and every 10th frame of the
tracking videos (the first frame of each MOT17 excerpt). Grey photos are skipped and listed.
Frames of one video and views of one scene are not independent draws: the tests below treat
them as if they were.

**The label** of a photo: its ImageNet class where one exists (``hymenoptera/val``: the folder,
``ants`` -> ``ant``, ``bees`` -> ``bee``); otherwise the classifier's own top-1 on the
true-colour photo (a pseudo-label: the true-colour version is then right by construction).

**The test** (Zhang et al.'s "semantic interpretability"): oculi's ImageNet classifier
(EfficientNet-Lite0) labels the grey, each model's recoloured and the true-colour version of
every photo (224-pixel ImageNet centre crops, :func:`oculi.colorize.evaluate.true_and_grey`);
a version is correct when its top-1 over the 1000 classes equals the label.
:func:`compare` gives two versions' accuracies, the exact McNemar p-value and a paired
bootstrap CI of the accuracy difference (:mod:`oculi.colorize.paired`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from oculi.colorize.paired import bootstrap_difference, mcnemar
from oculi.core.errors import DataError, OculiError

#: ``(folder under the shared data, glob pattern, keep every n-th match in name order)``
HELDOUT_SETS: tuple[tuple[str, str, int], ...] = (
    ("hymenoptera/val", "*/*.jpg", 1),
    ("det_raccoon/images", "*.jpg", 1),
    ("compress_kodak", "*.png", 1),
    ("lowlight_lol/high", "*.png", 1),
    ("sr_set5", "*.png", 1),
    ("seg_camvid", "*/image/*.png", 1),
    ("style_transfer/content", "*.jpg", 1),
    ("track_otb_crossing/img", "*.jpg", 10),
    ("track_vot_bag/imgs", "*.jpg", 10),
    ("mot17_mini", "*/img1/000001.jpg", 1),
    ("flow_middlebury", "*/frame10.png", 1),
    ("stereo_middlebury", "*/im2.png", 1),
    ("rgbd_depth", "*/*_color.*", 1),
    ("hpatches_v_dogman", "1.png", 1),
    ("hpatches_v_churchill", "1.png", 1),
    ("oxford_graf_1to3", "graf1.png", 1),
    ("homography_pairs_evd/1", "*.png", 1),
    ("planar_box", "box_in_scene.png", 1),
    ("stitch_weir", "weir_1.jpg", 1),
    ("mvs_temple_sparse_ring", "templeSR0001.png", 1),
)
#: sets whose photos carry an ImageNet label: the parent folder names the class
LABELLED = ("hymenoptera/val",)


@dataclass(frozen=True)
class HeldoutPhoto:
    """A held-out photo: its ``path``, its ``group`` (the set folder) and ``label``, the
    ImageNet class index (None: pseudo-labelled by the true-colour prediction)."""

    path: Path
    group: str
    label: int | None


def heldout_photos(root: str | os.PathLike[str],
                   sets: Sequence[tuple[str, str, int]] = HELDOUT_SETS) -> list[HeldoutPhoto]:
    """The held-out photos under ``root`` (the shared data folder); sets that are missing are
    left out.

    Raises:
        DataError: no photo found.
    """
    from oculi.colorize.evaluate import folder_class

    out: list[HeldoutPhoto] = []
    for folder, pattern, every in sets:
        files = sorted(p for p in (Path(root) / folder).glob(pattern) if p.is_file())[::every]
        for p in files:
            label = folder_class(p.parent.name) if folder in LABELLED else None
            out.append(HeldoutPhoto(p, folder, label))
    if not out:
        raise DataError(f"{root}: none of the held-out photo sets is there "
                        f"({', '.join(s[0] for s in sets[:3])}, ...)")
    return out


def classifier_test(models: Mapping[str, Any], photos: Sequence[HeldoutPhoto], *,
                    size: int = 224, classifier: str = "efficientnet_lite0",
                    temperature: float | None = None, chunk: int = 16) -> dict[str, Any]:
    """Score colourisers on held-out photos (protocol in the module doc).

    Args:
        models: name -> colouriser (a run folder or a loaded model); the names ``grey`` and
            ``true`` are taken by the two reference versions.
        photos: :func:`heldout_photos`.
        size: the evaluation crop side in pixels.
        classifier: registry name of the ImageNet classifier.
        temperature: annealed-mean T of the classification runs (None: each run's).
        chunk: photos prepared and classified at a time (bounds memory).

    Returns:
        ``photos`` (the path of each scored photo), ``groups``, ``labelled`` (bool
        ``(n,)``), ``label`` (int ``(n,)``: the ImageNet class or the pseudo-label),
        ``correct`` (version -> bool ``(n,)``; versions ``grey``, each model, ``true``),
        ``top1`` (version -> int ``(n,)``), ``colourfulness`` (version -> float
        ``(n,)``, Hasler-Süsstrunk) and ``skipped`` (path -> reason).

    Raises:
        DataError: no photo could be scored.
        ParameterError: a model named ``grey`` or ``true``.
    """
    import torch

    from oculi.colorize.api import _model, colorize
    from oculi.colorize.evaluate import class_logits, true_and_grey
    from oculi.colorize.metrics import colourfulness
    from oculi.core.errors import ParameterError
    from oculi.models import create_model

    if {"grey", "true"} & set(models):
        raise ParameterError("models: the names 'grey' and 'true' are the reference versions")
    # channels-last weights: the same logits (to ~1e-5), about twice as fast on a CPU
    nets = {k: v if isinstance(v, torch.nn.Module) else
            _model(v).to(memory_format=torch.channels_last) for k, v in models.items()}
    net = create_model(classifier, pretrained=True).eval().to(memory_format=torch.channels_last)
    versions = ["grey", *nets, "true"]
    top1: dict[str, list[int]] = {k: [] for k in versions}
    colour: dict[str, list[float]] = {k: [] for k in versions}
    kept: list[HeldoutPhoto] = []
    skipped: dict[str, str] = {}
    for start in range(0, len(photos), chunk):
        images: dict[str, list[np.ndarray]] = {k: [] for k in versions}
        for photo in photos[start:start + chunk]:
            try:
                true, _, grey = true_and_grey(photo.path, size)
            except (OculiError, OSError) as exc:
                skipped[str(photo.path)] = " ".join(str(exc).split())
                continue
            images["grey"].append(grey)
            images["true"].append(true)
            for k, m in nets.items():
                images[k].append(colorize(grey, m, temperature=temperature))
            kept.append(photo)
        if not images["true"]:
            continue
        with torch.no_grad():
            for k, ims in images.items():
                top1[k] += class_logits(net, ims).argmax(1).tolist()
                colour[k] += [colourfulness(im) for im in ims]
    if not kept:
        raise DataError(f"none of {len(photos)} held-out photo(s) could be scored")
    label = np.array([p.label if p.label is not None else t
                      for p, t in zip(kept, top1["true"], strict=True)])
    return {"photos": [str(p.path) for p in kept],
            "groups": [p.group for p in kept],
            "labelled": np.array([p.label is not None for p in kept]), "label": label,
            "correct": {k: np.array(v) == label for k, v in top1.items()},
            "top1": {k: np.array(v) for k, v in top1.items()},
            "colourfulness": {k: np.array(v) for k, v in colour.items()},
            "skipped": skipped}


def compare(result: Mapping[str, Any], a: str, b: str, *, mask: Any = None,
            seed: int = 0) -> dict[str, Any]:
    """Version ``a`` against version ``b`` of :func:`classifier_test`'s ``result``: accuracies,
    discordant counts and McNemar p (:func:`~oculi.colorize.paired.mcnemar`), the bootstrap 95%
    CI of the accuracy difference (a − b) and of the colourfulness difference; ``mask``
    (bool ``(n,)``) restricts it to some photos."""
    keep = np.ones(len(result["photos"]), bool) if mask is None else np.asarray(mask, bool)
    ca, cb = result["correct"][a][keep], result["correct"][b][keep]
    test = mcnemar(ca, cb)
    acc = bootstrap_difference(ca, cb, seed=seed)
    col = bootstrap_difference(result["colourfulness"][a][keep],
                               result["colourfulness"][b][keep], seed=seed)
    return {"a": a, "b": b, **test, "difference": acc["difference"],
            "ci95": [acc["low"], acc["high"]], "colourfulness_difference": col["difference"],
            "colourfulness_ci95": [col["low"], col["high"]]}
