"""Tour section for colourisation: the in-gamut ab bins of Zhang et al. (computed live, under a
second) and, read from ``bench/results`` (training takes minutes, so the tour does not train),
the held-out pictures and the three models' scores."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from oculi.report import Report

#: where ``python -m bench.colorize`` leaves its line and picture grid
RESULTS = Path(__file__).resolve().parents[3] / "bench" / "results"
_KEYS = (("colourfulness", "colourfulness"), ("class_accuracy", "ant/bee accuracy"),
         ("top1_agreement", "top-1 = true-colour top-1"), ("ab_auc", "ab AUC"),
         ("psnr", "PSNR dB"), ("ssim", "SSIM"))


def bench_line(results: Path | None = None, topic: str = "colorize") -> dict | None:
    """The last line of ``{topic}.jsonl`` in ``results`` (default :data:`RESULTS`; None when
    there is none)."""
    from oculi.report.results import last_line

    return last_line(topic, results or RESULTS)


def bins_picture(cell: int = 8, lightness: float = 60.0) -> np.ndarray:
    """The in-gamut ab bins as a uint8 RGB picture: one ``cell``-pixel square per bin (a to the
    right, b up) in the colour of its centre at ``lightness`` (clipped to sRGB, as Zhang et al.
    draw them), white outside the bins."""
    from oculi.colorize.bins import ab_bins
    from oculi.colorize.lab import lab_to_image

    centres = ab_bins()
    k = 25  # centres -120..120
    out = np.full((k * cell, k * cell, 3), 255, np.uint8)
    lab = np.concatenate([np.full((len(centres), 1), lightness, np.float32), centres], 1)
    rgb = lab_to_image(lab[None])[0]
    for (a, b), c in zip(centres, rgb, strict=True):
        x, y = int(a // 10) + 12, 12 - int(b // 10)
        out[y * cell:(y + 1) * cell, x * cell:(x + 1) * cell] = c
    return out


def section(report: Report, workdir: Path, quick: bool) -> None:
    from oculi.colorize.bins import ab_bins
    from oculi.io import read_image

    sec = report.section(
        "Colourisation: Zhang et al. classification, regression, DeOldify-style NoGAN",
        "The network sees only the lightness L of CIE Lab and predicts the two colour channels "
        "ab. Zhang et al. 2016 treat it as classification over quantised ab bins (soft-encoded "
        "targets, rare colours weighted up, an annealed-mean readout); regressing ab directly "
        "averages the plausible colours into brown-grey. The U-Net is trained with the NoGAN "
        "recipe: generator alone (pixel + perceptual loss), critic alone, then a short "
        "adversarial phase.")
    sec.image(np.kron(bins_picture(), np.ones((2, 2, 1), np.uint8)),
              f"the {len(ab_bins())} in-gamut ab bins (grid 10; a to the right, b up), each in "
              "its centre's colour at L = 60 (clipped to sRGB)", name="colorize-bins", width=320)
    line = bench_line()
    if line is None:
        sec.text("No benchmark results yet: `python -m bench.colorize` trains the three models "
                 "and writes the table and the pictures.")
        return
    models = line["models"]
    first = next(iter(models.values()))
    rows = [[name] + [m.get(k) for k, _ in _KEYS] for name, m in models.items()]
    rows += [["grey input", 0.0, first.get("class_accuracy_grey"),
              first.get("top1_agreement_grey"), first.get("ab_auc_grey"), None, None],
             ["true colour", first.get("colourfulness_true"),
              first.get("class_accuracy_true"), 1.0, 1.0, None, None]]
    sec.table(["model", *(t for _, t in _KEYS)], rows,
              caption=f"{line['data']}, {first['n']} photos, {line['size']}-pixel crops; "
                      f"classifier: ImageNet EfficientNet-Lite0 ({line['note']})")
    _heldout(sec)
    picture = RESULTS / "colorize_examples.jpg"  # read at call time (tests point it elsewhere)
    if picture.is_file():
        sec.image(read_image(picture, mode="rgb"), "held-out photos: grey input, regression, "
                  "classification (annealed mean T = 0.38), U-Net (NoGAN), true colour",
                  name="colorize-examples", width=620)


def _heldout(sec) -> None:
    """The held-out classifier test (``python -m bench.colorize_heldout``), when present."""
    line = bench_line(topic="colorize_heldout")
    if line is None:
        return
    v = line["versions"]
    sec.table(["version", "top-1 correct (all)", "labelled (ant/bee)", "pseudo-labelled",
               "colourfulness"],
              [[k, x["accuracy"], x["accuracy_labelled"], x["accuracy_pseudo"],
                x["colourfulness"]] for k, x in v.items()],
              caption=f"held-out classifier test: {line['n']} photos never trained on "
                      f"({line['n_labelled']} with an ImageNet label, the rest labelled by the "
                      "classifier's top-1 on the true-colour photo)")
    sec.table(["a", "b", "accuracy a − b", "95% CI (bootstrap)", "a only", "b only",
               "McNemar p"],
              [[t["a"], t["b"], t["difference"], f"[{t['ci95'][0]}, {t['ci95'][1]}]",
                t["a_only"], t["b_only"], t["p"]] for t in line["tests"]],
              caption="paired tests on the same photos (a only / b only: photos one version "
                      "gets right and the other wrong)")
