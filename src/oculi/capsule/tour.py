"""Tour section for capsule networks: the affine-distorted digits of the robustness comparison
(made live, in milliseconds), and the trained CapsNet's figures and the CapsNet-vs-CNN table read
from ``bench/results`` (training takes minutes, so the tour does not train)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from oculi.report import Report

#: where ``python -m bench.capsnet`` leaves its line and figures
RESULTS = Path(__file__).resolve().parents[3] / "bench" / "results"
_CAPTIONS = {
    "reconstructions": "test digits (top) and their reconstructions from the predicted class "
                       "capsule (bottom)",
    "perturbations": "what each dimension of a class capsule encodes: one row per dimension, "
                     "moved from -0.25 to +0.25 and decoded",
    "affine_reconstructions": "affine-distorted test digits and their reconstructions",
}


def bench_line(results: Path = RESULTS) -> dict | None:
    """The last line of ``capsnet.jsonl`` in ``results`` (None when there is none)."""
    path = results / "capsnet.jsonl"
    if not path.is_file():
        return None
    lines = [s for s in path.read_text().splitlines() if s.strip()]
    return json.loads(lines[-1]) if lines else None


def section(report: Report, workdir: Path, quick: bool) -> None:
    from oculi.capsule.affine import affine_digits
    from oculi.data.digits import available, load_digits
    from oculi.io import read_image

    sec = report.section(
        "Capsule networks: CapsNet and a CNN of the same size",
        "CapsNet (Sabour et al. 2017): capsules whose length is a class probability, dynamic "
        "routing between them, a decoder that rebuilds the digit from its class capsule. The "
        "robustness test distorts each test digit with its own random affine transform "
        "(rotation +-20 deg, shear +-20 deg, scale 0.8-1.2 per axis; affNIST, the paper's set, "
        "is not available offline).")
    split = "test" if available("mnist", "test") else "train"
    if available("mnist", split):
        digits = load_digits("mnist", split, limit=8)[0]
        strip = np.concatenate([np.concatenate(list(d), axis=1)
                                for d in (digits, affine_digits(digits, seed=0))], axis=0)
        sec.image(np.kron(strip, np.ones((3, 3), np.uint8)),
                  f"MNIST {split} digits (top) and their affine copy (bottom, seed 0)",
                  name="capsule-affine", width=480)
    line = bench_line()
    if line is None:
        sec.text("No benchmark results yet: `python -m bench.capsnet` trains both networks and "
                 "writes the table and the figures.")
        return
    rows = [[m, f"{line[m]['parameters']:,}", 100 * line[m]["test_accuracy"],
             100 * line[m]["affine_accuracy"]] for m in ("capsnet", "cnn")]
    sec.table(["model", "parameters", "test accuracy %", "affine accuracy %"], rows,
              caption=f"{line['data']}; recipe {line['recipe']}; inference time CapsNet / CNN "
                      f"x{line['ratio_ms_per_image_capsnet_over_cnn']:.2f} ({line['note']})")
    for name, caption in _CAPTIONS.items():
        path = RESULTS / f"capsnet_{name}.png"
        if path.is_file():
            sec.image(read_image(path, mode="gray"), caption, name=f"capsule-{name}", width=480)
