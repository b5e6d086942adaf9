"""``oculi eval compress RUN DATA``: a trained codec on a folder of reference images, each
compressed to a real ``.oculi`` stream and decoded: bits per pixel (every byte of the file),
PSNR (RGB, peak 255) and MS-SSIM per image, and the same for JPEG at each image's bit rate."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def evaluate_codec(run: str | os.PathLike[str], data: str | os.PathLike[str], *,
                   baseline: str = "jpeg", limit: int = 0):
    """Rate and distortion of a ``compress`` run on every image of ``data``.

    Args:
        run: run folder or checkpoint.
        data: a folder of reference images (e.g. the Kodak images).
        baseline: the classic codec scored at the same bit rate per image (``jpeg``, ``webp``,
            ``avif``; ``none`` to skip).
        limit: score only the first this many images (0: all).

    Returns:
        An :class:`~oculi.core.results.EvaluationReport`: ``val_bpp``, ``val_psnr``,
        ``val_ms_ssim`` (means; MS-SSIM only of images of at least
        :data:`~oculi.train.metrics.image.MS_SSIM_MIN_SIDE` pixels a side, None per smaller
        image) and ``val_psnr_baseline``; details ``images`` (per image) and ``skipped`` (unreadable
        files: name -> reason).
    """
    import numpy as np

    from oculi.compress.baselines import at_bpp
    from oculi.compress.codec import compress_image, decompress_image
    from oculi.compress.rd import ms_ssim
    from oculi.compress.task import load_codec
    from oculi.core.checks import check_choice
    from oculi.core.errors import DataError, OculiError
    from oculi.core.results import EvaluationReport
    from oculi.io import IMAGE_SUFFIXES, read_image
    from oculi.restore import psnr
    from oculi.train.metrics.image import MS_SSIM_MIN_SIDE

    check_choice(baseline, ("jpeg", "webp", "avif", "none"), "baseline")
    model = load_codec(run)
    folder = Path(data)
    files = sorted(p for p in folder.glob("*") if p.suffix.lower() in IMAGE_SUFFIXES) \
        if folder.is_dir() else []
    if limit:
        files = files[:limit]
    if not files:
        raise DataError(f"{data}: no images to evaluate on")
    rows = []
    skipped: dict[str, str] = {}
    for f in files:
        try:
            ref = read_image(f, mode="rgb")
        except (OculiError, OSError) as exc:
            skipped[f.name] = " ".join(str(exc).split())
            continue
        stream = compress_image(ref, model)
        out = decompress_image(stream, model, f.name)
        bpp = 8.0 * len(stream) / (ref.shape[0] * ref.shape[1])
        small = min(ref.shape[:2]) < MS_SSIM_MIN_SIDE  # no MS-SSIM: too few scales
        row: dict[str, Any] = {"image": f.name, "bpp": bpp, "psnr": psnr(ref, out),
                               "ms_ssim": None if small else ms_ssim(ref, out)}
        if baseline != "none":
            point = at_bpp(baseline, ref, bpp)
            row.update(baseline_bpp=point.bpp, psnr_baseline=psnr(ref, point.image))
        rows.append(row)
    if not rows:
        raise DataError(f"{data}: none of {len(files)} image(s) could be read")
    metrics = {f"val_{k}": float(np.mean([r[k] for r in rows]))
               for k in ("bpp", "psnr")}
    scored = [r["ms_ssim"] for r in rows if r["ms_ssim"] is not None]
    if scored:
        metrics["val_ms_ssim"] = float(np.mean(scored))
    if baseline != "none":
        metrics["val_psnr_baseline"] = float(np.mean([r["psnr_baseline"] for r in rows]))
    return EvaluationReport("compress", metrics, {"model": model.kind, "quality": model.quality,
                                                  "baseline": baseline, "images": rows,
                                                  "skipped": skipped})


def print_report(report: Any, echo: Any) -> None:
    """One line per image of :func:`evaluate_codec`."""
    base = report["baseline"]
    for r in report["images"]:
        extra = (f"  ({base} {r['psnr_baseline']:.2f} dB at {r['baseline_bpp']:.3f} bpp)"
                 if base != "none" else "")
        msssim = "-" if r["ms_ssim"] is None else f"{r['ms_ssim']:.4f}"
        echo(f"  {r['image']:<16} {r['bpp']:.3f} bpp  PSNR {r['psnr']:.2f} dB  "
             f"MS-SSIM {msssim}{extra}")
    for name, reason in report.get("skipped", {}).items():
        echo(f"  skipped {name}: {reason}")


def write_evaluation(report: Any, folder: str | os.PathLike[str]) -> None:
    """``per_image.csv`` and ``report.json`` in ``folder``."""
    from oculi.core.atomic import write_json_atomic, write_text_atomic

    keys = ["image", "bpp", "psnr", "ms_ssim"] + (
        ["baseline_bpp", "psnr_baseline"] if report["baseline"] != "none" else [])
    def cell(r: dict[str, Any], k: str) -> str:
        return str(r[k]) if k == "image" else "" if r[k] is None else f"{r[k]:.5f}"

    lines = [",".join(keys)] + [",".join(cell(r, k) for k in keys) for r in report["images"]]
    write_text_atomic(Path(folder) / "per_image.csv", "\n".join(lines) + "\n")
    write_json_atomic(Path(folder) / "report.json", report.json_dict())
