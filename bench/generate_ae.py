"""Autoencoders of ``oculi train vae`` side by side: AE, denoising AE and VAE on MNIST and
Fashion-MNIST, each trained for the same wall-clock budget (one torch thread), scored on the test
split: reconstruction PSNR/SSIM, the VAE's ELBO and bits per pixel, FID-LeNet of the VAE's prior
samples and of every model's reconstructions (the set's LeNet feature network — not Inception
FID), beside the FID-LeNet of two disjoint real halves of the test split at the same N.

Each run appends one JSON line to ``bench/results/generate.jsonl`` (``part: ae``), and each set
one line ``part: real-baseline``.

Run: ``/tmp/cpuslot .venv/bin/python -m bench.generate_ae --budget 45``
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench._common import print_table, record
from bench.generate_gan import _budget_hook

#: settings every model shares (only what differs from AutoencoderConfig's defaults)
BASE: dict[str, Any] = {"epochs": 10_000, "val_images": 500, "threads": 1, "device": "cpu"}
MODELS: dict[str, dict[str, Any]] = {"ae": {"model": "ae"}, "dae": {"model": "dae"},
                                     "vae": {"model": "vae"}}
#: training images per set (Fashion-MNIST capped so that an epoch, the budget's granularity,
#: stays a few seconds)
TRAIN_IMAGES = {"mnist": 0, "fashion-mnist": 12_000}
#: samples and real test images per FID-LeNet (and per real half)
N = 2500


def _reconstructions(run: Path, x: np.ndarray) -> np.ndarray:
    import torch

    from oculi.generate.ae_task import load_autoencoder

    model = load_autoencoder(run)
    with torch.no_grad():
        xt = torch.from_numpy(x).float().div(255.0)[:, None]
        rec = torch.cat([torch.sigmoid(model.decode(model.encode(b)[0])) for b in xt.split(500)])
    return (rec[:, 0] * 255).round().to(torch.uint8).numpy()


def run_model(name: str, set_name: str, budget: float, runs: Path,
              base: dict[str, Any]) -> dict[str, Any]:
    """Train one model for ``budget`` seconds, score it, record the line."""
    from oculi.data.digits import load_digits
    from oculi.generate.ae_config import AutoencoderConfig
    from oculi.generate.ae_eval import evaluate_autoencoder
    from oculi.generate.ae_task import AutoencoderTask
    from oculi.generate.metrics import generator_scores
    from oculi.train.loop import fit

    changes = {**MODELS[name], "train_images": TRAIN_IMAGES[set_name]}
    cfg = AutoencoderConfig(**{**BASE, **changes})
    out = runs / f"{set_name}-{name}"
    res = fit(AutoencoderTask(set_name), cfg, out, progress=False, overwrite=True,
              hooks=[_budget_hook(budget)])
    train_s = sum(h["train_time_s"] for h in res.history)
    images_per_s = float(np.mean([h["train_images_per_s"] for h in res.history]))
    t0 = time.perf_counter()
    report = evaluate_autoencoder(out, set_name, samples=N, seed=0, baseline=False)
    x, _ = load_digits(set_name, "test")
    order = np.random.default_rng(7).permutation(len(x))
    recon = generator_scores(_reconstructions(out, x[order[:N]]), x[order[N:2 * N]],
                             set_name=set_name)
    line: dict[str, Any] = {
        "part": "ae", "set": set_name, "model": name, "changes": changes, "base": BASE,
        "budget_s": budget, "train_s": round(train_s, 1), "epochs": len(res.history),
        "train_images_per_s": round(images_per_s, 1), "threads": 1,
        **{k.removeprefix("val_"): v for k, v in report.metrics.items()},
        "fid_lenet_recon": recon["fid_lenet"], "real_fid_lenet": base["fid_lenet"],
        "feature_accuracy": recon["feature_accuracy"],
        "eval_s": round(time.perf_counter() - t0, 1)}
    if "fid_lenet" in line:
        line["fid_ratio"] = line["fid_lenet"] / base["fid_lenet"]
    record("generate", line)
    return line


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="bench.generate_ae", description=__doc__.split("\n")[0])
    p.add_argument("--sets", default="mnist,fashion-mnist")
    p.add_argument("--models", default="ae,dae,vae",
                   help="per set, e.g. ae,dae,vae (or mnist=ae,dae,vae;fashion-mnist=ae,vae)")
    p.add_argument("--budget", type=float, default=45.0, help="training seconds per model")
    p.add_argument("--runs", type=Path, default=Path("/tmp/oculi-bench-ae"))
    a = p.parse_args(argv)
    from oculi.core.timing import pin_threads
    from oculi.data.digits import available
    from oculi.generate.metrics import real_baseline

    pin_threads(1)
    rows = []
    for set_name in [s for s in a.sets.split(",") if s]:
        if not (available(set_name, "train") and available(set_name, "test")):
            print(f"{set_name}: not on this machine, skipped")
            continue
        base = real_baseline(set_name, n=N)
        record("generate", {"part": "real-baseline", "set": set_name, **base})
        print(f"{set_name}: real halves (2 x {N} test images): FID-LeNet "
              f"{base['fid_lenet']:.3f}, KID-LeNet {base['kid_lenet']:.4f}, precision "
              f"{base['precision']:.3f}, recall {base['recall']:.3f} (LeNet test accuracy "
              f"{100 * base['feature_accuracy']:.1f} %)")
        set_rows = []
        for name in _models(a.models, set_name):
            r = run_model(name, set_name, a.budget, a.runs, base)
            set_rows.append(r)
            rows.append([set_name, name, r["psnr"], r["ssim"], r.get("elbo", "-"),
                         r.get("bpd", "-"), r.get("fid_lenet", "-"), r.get("fid_ratio", "-"),
                         r["fid_lenet_recon"], f"{r['train_s']:.0f} s / {r['epochs']} ep",
                         r["train_images_per_s"]])
            print_table(HEADERS, rows[-1:])
        ref = next((r for r in set_rows if r["model"] == "ae"), None)
        if ref:
            for r in set_rows:
                r["speed_vs_ae"] = r["train_images_per_s"] / ref["train_images_per_s"]
            print("training speed vs ae: " + ", ".join(
                f"{r['model']} x{r['speed_vs_ae']:.2f}" for r in set_rows))
    print()
    print_table(HEADERS, rows)
    print("(loaded 2-core CPU, one torch thread; FID-LeNet uses the set's LeNet feature network, "
          "not Inception)")


def _models(spec: str, set_name: str) -> list[str]:
    if "=" not in spec:
        return [m for m in spec.split(",") if m]
    per = dict(part.split("=", 1) for part in spec.split(";") if part)
    return [m for m in per.get(set_name, "").split(",") if m]


HEADERS = ["set", "model", "PSNR", "SSIM", "ELBO", "bpd", "FID-LeNet", "x real",
           "FID-LeNet recon", "training", "img/s"]


if __name__ == "__main__":
    main()
