"""Using a trained ``pix2pix`` / ``cyclegan`` run: translate images A -> B
(``oculi generate RUN --input IMAGE|DIR -o OUT``) and evaluate it (``oculi eval pix2pix RUN
DATA``).

Evaluation on the built-in pair sets also scores the outputs with the set's LeNet feature
network (:mod:`oculi.generate.features`, trained here; never Inception): ``fid_lenet`` of the
outputs against as many other real test images, ``class_accuracy`` (the classifier's class of
each output against the true class of its input) and the same two for the true images
(``truth_fid_lenet``, ``truth_class_accuracy``): what a perfect translator would get.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from oculi.core.errors import DataError, OculiError
from oculi.core.results import EvaluationReport, FileResults
from oculi.generate.img2img_data import BUILTIN, PADDED, to_image, to_tensor
from oculi.generate.img2img_nets import Img2ImgModel
from oculi.generate.img2img_task import CHECKPOINT_KEY


def load_img2img(run: str | os.PathLike[str]) -> Img2ImgModel:
    """The model of a run folder (``best.safetensors``, else ``last``) or of a checkpoint file,
    in eval mode."""
    from oculi.train.checkpoint import load_run_model

    return load_run_model(run, CHECKPOINT_KEY, "pix2pix/cyclegan",
                          lambda c: Img2ImgModel(**c))


@torch.no_grad()
def translate(model: Img2ImgModel, image: np.ndarray) -> np.ndarray:
    """One image A (uint8 or float in [0, 1], HxW or HxWx3) -> B as uint8 of the same height and
    width (HxW for a grey model, HxWx3 for colour), run at the model's ``image_size``."""
    import cv2

    from oculi.core.checks import check_image
    from oculi.core.convert import ensure_uint8

    check_image(image)
    h, w = image.shape[:2]
    x = to_tensor(ensure_uint8(image), model.in_channels, model.image_size)[None]
    out = to_image(model.generator(x))[0]
    if out.shape[:2] != (h, w):
        out = cv2.resize(out, (w, h), interpolation=cv2.INTER_LINEAR)
    return out


def translate_files(run: str | os.PathLike[str], inputs: Sequence[str | os.PathLike[str]],
                    out: str | os.PathLike[str], *,
                    into_folder: bool | None = None) -> FileResults[str]:
    """Translate image files with the run's generator and write the outputs (atomically).

    Args:
        run: the run folder or checkpoint.
        inputs: image files (a single one is written to ``out``; several go into the folder
            ``out`` under their own stem, as PNG).
        out: output file (one input) or folder.
        into_folder: write into the folder ``out`` (created once the run has loaded, so a run
            that does not load leaves nothing behind); None: when there are several inputs or
            ``out`` is an existing folder.

    Returns:
        input path -> written path; input path -> reason for each input that failed.
    """
    from oculi.io import output_format, read_image, write_image

    model = load_img2img(run)
    if into_folder is None:
        into_folder = len(inputs) > 1 or Path(out).is_dir()
    single = not into_folder
    if single:
        output_format(out)
    else:
        Path(out).mkdir(parents=True, exist_ok=True)
    results: FileResults[str] = FileResults()
    for path in inputs:
        target = Path(out) if single else Path(out) / f"{Path(path).stem}.png"
        try:
            image = read_image(path, mode="gray" if model.in_channels == 1 else "rgb")
            write_image(target, translate(model, image))
            results.results[str(path)] = str(target)
        except (OculiError, OSError) as exc:
            results.failures[str(path)] = " ".join(str(exc).split())
    return results


def _digits(x: torch.Tensor) -> np.ndarray:
    """Outputs of a built-in-set model ``N x 1 x S x S`` in [-1, 1] -> uint8 ``(N, 28, 28)``."""
    from oculi.generate.gan_data import to_uint8

    if x.shape[-1] != PADDED:
        x = torch.nn.functional.interpolate(x, size=PADDED, mode="bilinear", align_corners=False)
    return to_uint8(x)


def _run_settings(run: str | os.PathLike[str]) -> dict[str, Any]:
    import yaml

    path = Path(run) / "config.yaml"
    if not path.is_file():
        return {}
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def evaluate_img2img(run: str | os.PathLike[str], data: str | os.PathLike[str] | None, *,
                     images: int = 500, checkpoint: str = "best") -> EvaluationReport:
    """Score a pix2pix or CycleGAN run on the validation pairs of ``data``.

    Args:
        run: the run folder (or a checkpoint file).
        data: ``edges2fashion``/``edges2mnist`` (their test split) or a folder as for training
            (its ``val``/``test`` pairs, else the held-out fifth).
        images: validation pairs scored (at most).
        checkpoint: ``best`` or ``last`` (a run folder's ``best.safetensors`` or
            ``last.safetensors``).

    Returns:
        ``val_l1_error``, ``val_psnr`` (when the data has true pairs), ``val_cycle_error``
        (CycleGAN) and, on the built-in sets, ``fid_lenet``, ``class_accuracy``,
        ``truth_fid_lenet``, ``truth_class_accuracy`` (see the module doc).
    """
    from torch.utils.data import DataLoader

    from oculi.core.checks import check_choice, check_positive
    from oculi.generate.img2img_data import load_domains, validation_set
    from oculi.generate.img2img_task import _swap, score_batches

    check_positive(images, "images")
    check_choice(checkpoint, ("best", "last"), "checkpoint")
    source: str | os.PathLike[str] = run
    if Path(run).is_dir():
        source = Path(run) / f"{checkpoint}.safetensors"
        if not Path(source).is_file():
            raise DataError(f"{run}: no {checkpoint}.safetensors — not a finished run folder")
    model = load_img2img(source)
    settings = _run_settings(run) if Path(run).is_dir() else {}
    paired = model.mode == "paired"
    domains = load_domains(data, derive=settings.get("derive", "none"), val_images=images,
                           paired=paired, seed=int(settings.get("seed", 0)))
    if settings.get("direction") == "b2a":
        domains = _swap(domains)
    val = validation_set(domains, model.image_size)
    scores = score_batches(model, DataLoader(val, batch_size=64), truth=domains.val_truth)
    metrics = {k: float(v) for k, v in scores.items() if k.startswith("val_")}
    details: dict[str, Any] = {"run": str(run), "data": str(data), "pairs": len(val),
                               "checkpoint": str(source), "skipped": domains.skipped}
    name = str(data).lower()
    if name in BUILTIN and not Path(str(data)).is_dir() and model.out_channels == 1:
        metrics.update(_lenet_scores(BUILTIN[name], scores["outputs"], val, images))
    return EvaluationReport("pix2pix" if paired else "cyclegan", metrics, details)


def _lenet_scores(set_name: str, outputs: torch.Tensor, val: Any, images: int
                  ) -> dict[str, float]:
    """FID-LeNet and class accuracy of the outputs and of the true images, against real test
    images other than the validation ones."""
    from oculi.data.digits import load_digits
    from oculi.generate.metrics import generator_scores

    fake, truth = _digits(outputs), _digits(val.tensors[1])
    labels = val.tensors[2].numpy()
    x, _ = load_digits(set_name, "test")
    real = x[images:images + len(fake)]
    if len(real) < len(fake):
        raise DataError(f"{set_name}: the test split has {len(x)} images; {images} validation "
                        f"images leave {len(real)} real ones for FID — lower images")
    out = generator_scores(fake, real, set_name=set_name, fake_labels=labels)
    ref = generator_scores(truth, real, set_name=set_name, fake_labels=labels)
    return {"fid_lenet": out["fid_lenet"], "class_accuracy": out["class_accuracy"],
            "truth_fid_lenet": ref["fid_lenet"], "truth_class_accuracy": ref["class_accuracy"]}

