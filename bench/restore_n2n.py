"""Noise2Noise against clean targets: the same DnCNN recipe trained twice on the same photos,
seed and steps — once on (noisy, clean) pairs, once on (noisy, noisy) pairs of independent noise
(``target="noisy"``: the loss never sees a clean crop) — scored on Kodak sigma 25.

- **Training** (skipped when a run folder already holds ``best.safetensors``): ``RECIPE`` (the
  ``bench.restore_train.DN_RECIPE`` DnCNN, 10 layers of 32, blind over sigma 15-35, with half its
  epochs) on ``bench.restore_train.TRAIN_DATA`` and the embedded photos; CPU, one torch thread.
- **Kodak sigma 25**: the central 256x256 crops with the noise of ``bench/restore.py`` (seed 0,
  rounded and clipped to 8 bits), ``bench.restore_train.kodak_sigma25``; RGB PSNR/SSIM of both
  networks and NLM beside them, seconds per megapixel side by side (loaded 2-core CPU, one
  thread). One JSON line (``"part": "n2n"``) goes to ``bench/results/restore.jsonl``.

Run: ``/tmp/cpuslot .venv/bin/python -m bench.restore_n2n``
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from bench._common import SHARED_DATA, print_table, record
from bench.restore import _run, _score
from bench.restore_train import DN_RECIPE, TRAIN_DATA, kodak_sigma25, run_budget, train
from oculi.core.timing import pin_threads

RECIPE: dict[str, Any] = {**DN_RECIPE, "epochs": 28}
TARGETS = ("clean", "noisy")


def bench_kodak(runs: dict[str, Path]) -> dict[str, Any]:
    from oculi.restore import denoise

    refs, noisy, mp, results = kodak_sigma25()
    methods = {"nlm": lambda x: denoise(x, 25, "nlm"),
               **{f"dncnn_{t}_target": lambda x, t=t: denoise(x, run=runs[t]) for t in TARGETS}}
    for name, fn in methods.items():
        fn(noisy[0])  # warm-up: model load
        outs, secs = _run(fn, noisy)
        results[name] = _score(list(zip(refs, outs, strict=True)), secs, mp)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=Path, default=Path("runs/bench_n2n"))
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    pin_threads(args.threads)
    needed = ("compress_kodak", *TRAIN_DATA)
    missing = [d for d in needed if not (SHARED_DATA / d).is_dir()]
    if missing:
        print(f"skipped: missing shared data {missing}")
        return 0
    t0 = time.perf_counter()
    runs = {t: args.runs / f"dncnn_{t}" for t in TARGETS}
    for t in TARGETS:
        train(runs[t], {**RECIPE, "target": t})
    results = bench_kodak(runs)
    print_table(["Kodak sigma 25 (RGB)", "PSNR dB", "SSIM", "s/MP"],
                [[k, v["psnr"], v["ssim"], v["s_per_mp"]] for k, v in results.items()])
    record("restore", {"part": "n2n", "threads": args.threads,
                       "runs": {t: {**run_budget(p), "target": t} for t, p in runs.items()},
                       "kodak_s25": results, "seconds": time.perf_counter() - t0})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
