"""Image-to-image side by side on the built-in edges -> Fashion-MNIST pairs (MNIST when the
Debian Fashion-MNIST package is absent): pix2pix (L1 + conditional PatchGAN), CycleGAN (trained
**unpaired**: A and B from disjoint halves of the training split) and an L1-only U-Net (pix2pix's
``pixel`` recipe: no critic), with the same training budget (epochs x pairs) and the same U-Net
generator, scored on held-out test pairs against the true images:

- L1 (pixels in [0, 1]) and PSNR to the true image;
- FID-LeNet of the outputs against as many other real test images (the set's LeNet feature
  network trained here — not Inception FID), beside the true images' own FID-LeNet;
- class accuracy: the LeNet's class of each output against the input's true class.

The last epoch's weights are scored (no checkpoint picked on the test pairs). One JSON line goes
to ``bench/results/img2img_gan.jsonl``; training seconds are side-by-side ratios from one run on
a loaded 2-core CPU, one torch thread.

Run: ``/tmp/cpuslot .venv/bin/python -m bench.img2img_gan --epochs 4 --train-images 1200``
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from bench._common import print_table, record

#: what every model changes from its task's defaults
BASE: dict[str, Any] = {"threads": 1}
#: the models: (task, changes)
MODELS: dict[str, tuple[str, dict[str, Any]]] = {
    "l1-unet": ("pix2pix", {"recipe": "pixel"}),
    "pix2pix": ("pix2pix", {}),
    "cyclegan": ("cyclegan", {"generator": "unet"}),
}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="bench.img2img_gan", description=__doc__.split("\n")[0])
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--train-images", type=int, default=1200, help="training pairs (CycleGAN: "
                   "this many A and as many other B images)")
    p.add_argument("--images", type=int, default=1000, help="test pairs scored")
    p.add_argument("--models", default="", help="comma-separated subset")
    p.add_argument("--runs", type=Path, default=Path("/tmp/oculi-bench-img2img"))
    a = p.parse_args(argv)
    from oculi.core.timing import pin_threads
    from oculi.data.digits import available
    from oculi.generate.img2img_apply import evaluate_img2img
    from oculi.generate.img2img_config import CycleGanConfig, Pix2PixConfig
    from oculi.generate.img2img_task import CycleGanTask, Pix2PixTask
    from oculi.train.loop import fit

    pin_threads(1)
    data = "edges2fashion" if available("fashion-mnist", "test") else "edges2mnist"
    budget = {"epochs": a.epochs, "train_images": a.train_images, "val_images": 200}
    names = [m for m in a.models.split(",") if m] or list(MODELS)
    results: dict[str, dict[str, Any]] = {}
    for name in names:
        task_name, changes = MODELS[name]
        cfg_cls, task_cls = ((Pix2PixConfig, Pix2PixTask) if task_name == "pix2pix"
                             else (CycleGanConfig, CycleGanTask))
        cfg = cfg_cls(**{**BASE, **budget, **changes})
        out = a.runs / name
        t0 = time.perf_counter()
        res = fit(task_cls(data), cfg, out, progress=False, overwrite=True)
        train_s = sum(h["train_time_s"] for h in res.history)
        rep = evaluate_img2img(out, data, images=a.images, checkpoint="last")
        results[name] = {"task": task_name, "changes": changes, "train_s": round(train_s, 1),
                         "wall_s": round(time.perf_counter() - t0, 1),
                         **{k.removeprefix("val_"): round(v, 4) for k, v in rep.metrics.items()}}
        print(name, results[name], flush=True)
    ref = results.get("l1-unet", {}).get("train_s")
    for r in results.values():
        if ref:
            r["train_time_ratio_vs_l1"] = round(r["train_s"] / ref, 2)
    truth = next(iter(results.values()))
    line = {"data": data, "budget": budget, "base": BASE, "test_pairs": a.images,
            "checkpoint": "last", "threads": 1, "models": results,
            "truth_fid_lenet": truth.get("truth_fid_lenet"),
            "truth_class_accuracy": truth.get("truth_class_accuracy"),
            "machine": "loaded 2-core CPU, one torch thread"}
    record("img2img_gan", line)
    rows = [[n, r["l1_error"], r["psnr"], r.get("fid_lenet", "-"), r.get("class_accuracy", "-"),
             r.get("train_time_ratio_vs_l1", "-")] for n, r in results.items()]
    rows.append(["true images", 0.0, "inf", line["truth_fid_lenet"],
                 line["truth_class_accuracy"], "-"])
    print_table(["model", "L1", "PSNR dB", "FID-LeNet", "class acc", "train time x L1"], rows)
    print(f"({data}, {a.epochs} epochs x {a.train_images} pairs each, {a.images} test pairs; "
          "loaded 2-core CPU, one torch thread; FID-LeNet is not Inception FID)")


if __name__ == "__main__":
    main()
