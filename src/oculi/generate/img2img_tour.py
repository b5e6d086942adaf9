"""Tour section for image-to-image translation: the benchmark's table (``bench/results/
img2img_gan.jsonl``: pix2pix, CycleGAN trained unpaired and an L1-only U-Net on edge maps ->
Fashion-MNIST images). No picture: a model that translates recognisably takes minutes to train,
more than the tour's few seconds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from oculi.report import Report

#: where ``python -m bench.img2img_gan`` leaves its lines
RESULTS = Path(__file__).resolve().parents[3] / "bench" / "results" / "img2img_gan.jsonl"

HEADERS = ["model", "L1 to truth", "PSNR dB", "FID-LeNet", "class accuracy", "train time"]


def bench_table(path: Path | None = None) -> tuple[list[list[Any]], dict[str, Any]]:
    """Rows of the last benchmark line (``path``, default :data:`RESULTS`) and the line itself;
    no rows when there is none."""
    from oculi.report.results import last_line

    path = RESULTS if path is None else path
    line = last_line(path.stem, path.parent)
    if line is None:
        return [], {}
    rows: list[list[Any]] = []
    for name, r in line["models"].items():
        rows.append([name, f"{r['l1_error']:.4f}", f"{r['psnr']:.2f}", f"{r['fid_lenet']:.1f}",
                     f"{100 * r['class_accuracy']:.1f} %",
                     f"{r.get('train_time_ratio_vs_l1', float('nan')):.2f}x"])
    rows.append(["true images", "0", "-", f"{line['truth_fid_lenet']:.1f}",
                 f"{100 * line['truth_class_accuracy']:.1f} %", "-"])
    return rows, line


def section(report: Report, workdir: Path, quick: bool) -> None:
    """The benchmark table (``quick`` changes nothing: nothing is trained)."""
    rows, line = bench_table()
    text = ("pix2pix (U-Net + conditional PatchGAN, L1 weight 100), CycleGAN (trained unpaired: "
            "edge maps and images from disjoint halves; cycle loss 10, identity 5, history "
            "buffer 50) and the same U-Net with L1 only, translating Canny edge maps into "
            "images. Scored on held-out test pairs: L1 and PSNR to the true image, FID-LeNet "
            "against other real test images (a LeNet trained here, not Inception), and the "
            "LeNet's class of each output against the input's class.")
    if not rows:
        report.section("Image-to-image: pix2pix and CycleGAN",
                       text + " No benchmark line yet: run python -m bench.img2img_gan.")
        return
    b = line["budget"]
    sec = report.section("Image-to-image: pix2pix and CycleGAN",
                         text + f" Data: {line['data']}, {b['epochs']} epochs x "
                         f"{b['train_images']} pairs per model, {line['test_pairs']} test "
                         "pairs; training time as a ratio to the L1-only U-Net (loaded 2-core "
                         "CPU, one thread).")
    sec.table(HEADERS, rows)
