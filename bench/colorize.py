"""Colourisation on held-out photos: Zhang et al.'s classification model, its regression
baseline (the same network) and the DeOldify-style U-Net (NoGAN), side by side.

Data: ``../shared/data/hymenoptera`` — trained on ``train/`` (244 ant and bee photos, 64-pixel
crops of the photos resized to a 128-pixel short side), scored on the 153 held-out ``val/``
photos with ``oculi.colorize.evaluate_colorizer`` (224-pixel ImageNet centre crops): PSNR/SSIM,
ab error AUC (Zhang et al.'s; the grey image's beside it), Hasler-Süsstrunk colourfulness (the
true photos' beside it) and the classifier test with oculi's ImageNet EfficientNet-Lite0
(top-1 agreement with its true-colour top-1; ant-vs-bee accuracy from the folder labels), for
the recoloured, grey and true-colour versions. Time per image: ``colorize`` of a 224-pixel
crop, as a ratio to the regression model's, measured in the same run.

One JSON line goes to ``bench/results/colorize.jsonl`` and a picture grid (grey, regression,
classification, U-Net, true colour) to ``bench/results/colorize_examples.jpg`` (the tour shows
it).

Run (each through the CPU slot wrapper):
``.venv/bin/python -m bench.colorize train classification RUN`` (also ``regression``,
``unet``), then ``.venv/bin/python -m bench.colorize eval --run classification=RUN
--run regression=RUN --run unet=RUN``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench._common import ROOT, SHARED_DATA, print_table, record

DATA = SHARED_DATA / "hymenoptera"
#: what each bench model changes from ColorizeConfig's defaults (budget: ~7-9 slot-minutes)
SETTINGS: dict[str, dict[str, Any]] = {
    "regression": {"model": "regression", "epochs": 6, "repeat": 4},
    "classification": {"model": "classification", "epochs": 6, "repeat": 4},
    "unet": {"model": "unet", "recipe": "nogan", "epochs": 8, "repeat": 3, "width": 32,
             "critic_epochs": 1, "adversarial_epochs": 1},
}
EXAMPLES = ("ants/10308379_1b6c72e180.jpg", "ants/1053149811_f62a3410d3.jpg",
            "bees/1032546534_06907fe3b3.jpg", "bees/10870992_eebeeb3a12.jpg")
PICTURE = ROOT / "bench" / "results" / "colorize_examples.jpg"


def train(model: str, out: str) -> None:
    from oculi.colorize import ColorizeConfig, train_colorizer

    train_colorizer(DATA, ColorizeConfig(**SETTINGS[model]), out, progress=False)


def _train_info(run: Path) -> dict[str, Any]:
    import json

    lines = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines() if x]
    return {"epochs": len(lines), "train_s": round(sum(x["train_time_s"] for x in lines), 1)}


def _examples(models: dict[str, Any], size: int = 112) -> np.ndarray:
    from oculi.colorize import colorize
    from oculi.colorize.evaluate import centre_crop
    from oculi.colorize.lab import image_to_lab, lab_to_image
    from oculi.io import read_image

    rows = []
    for name in EXAMPLES:
        path = DATA / "val" / name
        if not path.is_file():
            continue
        true = centre_crop(read_image(path, mode="rgb"), size)
        lab = image_to_lab(true)
        lab[..., 1:] = 0
        grey = lab_to_image(lab)
        rows.append(np.hstack([grey] + [colorize(grey, m) for m in models.values()] + [true]))
    return np.vstack(rows)


def evaluate(runs: dict[str, str], images: int) -> None:
    from oculi.colorize import colorize, evaluate_colorizer, load_colorizer
    from oculi.colorize.evaluate import centre_crop
    from oculi.core.timing import machine
    from oculi.io import read_image, write_image

    results: dict[str, Any] = {}
    for name, run in runs.items():
        report = evaluate_colorizer(run, DATA / "val", images=images)
        results[name] = {k.removeprefix("val_"): round(v, 4) for k, v in report.metrics.items()}
        results[name].update(_train_info(Path(run)), n=len(report["images"]))
    order = sorted(runs, key=lambda n: (list(SETTINGS).index(n) if n in SETTINGS else 9, n))
    models = {name: load_colorizer(runs[name]) for name in order}
    crops = [centre_crop(read_image(p, mode="rgb"), 224)
             for p in sorted((DATA / "val").rglob("*.jpg"))[:8]]
    for name, m in models.items():
        colorize(crops[0], m)  # warm-up
        t0 = time.perf_counter()
        for c in crops:
            colorize(c, m)
        results[name]["ms_per_image"] = round(1000 * (time.perf_counter() - t0) / len(crops), 1)
    base = results.get("regression", next(iter(results.values())))["ms_per_image"]
    for r in results.values():
        r["time_ratio_to_regression"] = round(r["ms_per_image"] / base, 2)
    write_image(PICTURE, _examples(models))
    keys = ["colourfulness", "class_accuracy", "top1_agreement", "ab_auc", "psnr", "ssim"]
    print_table(["model", *keys], [[n] + [r.get(k) for k in keys] for n, r in results.items()])
    first = next(iter(results.values()))
    print(f"true colour: colourfulness {first['colourfulness_true']}, class accuracy "
          f"{first.get('class_accuracy_true')}; grey: class accuracy "
          f"{first.get('class_accuracy_grey')}, top-1 agreement "
          f"{first['top1_agreement_grey']}, ab AUC {first['ab_auc_grey']}")
    record("colorize", {"data": "hymenoptera val (held out)", "size": 224,
                        "settings": {n: SETTINGS.get(n) for n in runs}, "models": results,
                        "machine": machine(),
                        "note": "loaded 2-core CPU, one thread per job; times are ratios"})


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train")
    t.add_argument("model", choices=sorted(SETTINGS))
    t.add_argument("out")
    e = sub.add_parser("eval")
    e.add_argument("--run", action="append", required=True, help="NAME=RUN_FOLDER")
    e.add_argument("--images", type=int, default=0, help="first N val photos (0: all)")
    a = p.parse_args()
    if not DATA.is_dir():
        print(f"skipped: {DATA} not found")
        return
    if a.cmd == "train":
        train(a.model, a.out)
    else:
        evaluate(dict(r.split("=", 1) for r in a.run), a.images)


if __name__ == "__main__":
    main()
