"""Training cost of the full-size 18-layer video ResNets beside the small clip networks.

Times one training step's forward and backward per clip (random clips and labels, cross-entropy,
no optimizer step) for the small ``r2plus1d`` (width 16), ``x3d`` (width 24, X3D-XS's shape),
``mc318`` and ``r2plus1d18`` (Tran et al. 2018 at their published size), on the task's default
input (grey, 8 frames, 64 px) and on the published one (RGB, 16 frames, 112 px), side by side in
one process. Each figure is the fastest of ``--reps`` timed batches after one warm-up batch,
divided by the batch size; ratios are against the small ``r2plus1d`` on the same input. Run it
with one thread (``/tmp/cpuslot`` sets it; ``--threads`` pins torch).

Run: ``.venv/bin/python -m bench.action_resnet3d``
"""

from __future__ import annotations

import argparse
import time

import torch

from bench._common import print_table, record
from oculi.action.models import ActionNet

#: (name, channels, frames, side, batch)
INPUTS = (("task default", 1, 8, 64, 4), ("published", 3, 16, 112, 2))
#: (model, width)
MODELS = (("r2plus1d", 16), ("x3d", 24), ("mc318", 64), ("r2plus1d18", 64))


def _seconds_per_clip(net: torch.nn.Module, shape: tuple[int, ...], reps: int) -> float:
    gen = torch.Generator().manual_seed(0)
    clips = torch.rand(shape, generator=gen)
    labels = torch.randint(0, 10, (shape[0],), generator=gen)
    best = float("inf")
    for i in range(reps + 1):
        net.zero_grad(set_to_none=True)
        start = time.perf_counter()
        torch.nn.functional.cross_entropy(net(clips), labels).backward()
        if i:                                                   # the first batch warms up
            best = min(best, time.perf_counter() - start)
    return best / shape[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    rows, out = [], []
    for name, ch, frames, side, batch in INPUTS:
        base = None
        for model, width in MODELS:
            torch.manual_seed(0)
            net = ActionNet(model, [str(k) for k in range(10)], clip_len=frames, channels=ch,
                            size=side, width=width).train()
            params = sum(p.numel() for p in net.parameters())
            s = _seconds_per_clip(net, (batch, ch, frames, side, side), args.reps)
            base = base or s
            rows.append([name, f"{ch}x{frames}x{side}x{side}", model, f"{params / 1e6:.2f} M",
                         f"{s:.3f}", f"{s / base:.1f}"])
            out.append({"input": name, "shape": [ch, frames, side, side], "batch": batch,
                        "model": model, "width": width, "params": params,
                        "train_s_per_clip": round(s, 4), "ratio_to_r2plus1d": round(s / base, 2)})
            print(rows[-1], flush=True)
    print_table(["input", "C x T x H x W", "model", "params", "s/clip fwd+bwd", "x small"], rows)
    print("results:", record("action_resnet3d", {"bench": "train_step_per_clip",
                                                 "threads": args.threads, "reps": args.reps,
                                                 "runs": out}))


if __name__ == "__main__":
    main()
