"""Explanation speed on EfficientNet-Lite0 at 224x224: oculi vs pytorch-grad-cam vs captum.

Batch 1 (chelsea) and batch 8 (the four embedded photos, twice), 2 threads, real ImageNet weights.
Two floors are measured in the same run:

* F2: forward + gradient of the target logits with respect to the input (``autograd.grad``);
* F3: forward + gradient with respect to the target layer (``body.bn2``, the last feature map)
  only, the model as given (parameters requiring grad, as a user's model is); ``F3 frozen``
  is the same with the parameters frozen (no graph before the layer), the floor oculi's CAM
  methods actually run against.

Each method is timed end to end (maps upsampled to 224x224 and normalised for oculi; the anchors'
own outputs as they return them). "ten classes" explains the top-10 classes of every image: one
oculi call (one forward, one batched backward), ten anchor calls. Peak extra memory is the peak
resident set size above the level before the call, sampled every 2 ms.

Medians of ``--repeat`` runs after one warm-up. One JSON line goes to
``bench/results/explain.jsonl``.

Run: ``.venv/bin/python -m bench.explain [--repeat 5]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time
import warnings
from collections.abc import Callable
from typing import Any

import torch

from bench._common import print_table, record
from oculi.core.timing import pin_threads

warnings.filterwarnings("ignore")


#: the cases kept at the batch sizes given to ``--core`` (a busy machine)
CORE = ("F2", "F3", "F3 frozen", "oculi features", "oculi cam", "oculi gradcam",
        "oculi gradcam++", "oculi gradcam ten classes", "oculi saliency",
        "oculi guided-backprop", "oculi smoothgrad memory probe (2 samples)",
        "pytorch-grad-cam GradCAM", "captum LayerGradCam")


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def measure(fn: Callable[[], Any], repeat: int, warmup: bool = True) -> dict[str, float]:
    """Median seconds of ``repeat`` runs (after a warm-up), and the peak extra RSS (MB)."""
    if warmup:
        fn()
    times, peak = [], 0
    for _ in range(repeat):
        base = _rss()
        top = [base]
        stop = threading.Event()

        def sample(top: list[int] = top, stop: threading.Event = stop) -> None:
            while not stop.is_set():
                top[0] = max(top[0], _rss())
                time.sleep(0.002)

        th = threading.Thread(target=sample, daemon=True)
        th.start()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        stop.set()
        th.join()
        peak = max(peak, max(top[0], _rss()) - base)
    return {"s": statistics.median(times), "peak_mb": peak / 2**20}


def bench_batch(model: Any, layer: Any, x: torch.Tensor, rep: int,
                core: bool = False) -> dict[str, dict[str, float]]:
    """Time every case on one batch."""
    from captum.attr import (
        Deconvolution,
        GuidedBackprop,
        GuidedGradCam,
        LayerAttribution,
        LayerGradCam,
        NoiseTunnel,
        Saliency,
    )
    from pytorch_grad_cam import GradCAM, GradCAMPlusPlus
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    import oculi.explain as ox

    n = len(x)
    with torch.no_grad():
        logits = model(x)
    top1 = logits.argmax(1)
    top10 = logits.topk(10, 1).indices
    heavy = 1  # long cases (25 passes or ten calls): one run after the others warmed up

    def f2(x: torch.Tensor = x, t: torch.Tensor = top1) -> None:
        xi = x.clone().requires_grad_(True)
        torch.autograd.grad(model(xi).gather(1, t[:, None]).sum(), xi)

    def f3(x: torch.Tensor = x, t: torch.Tensor = top1) -> None:
        box: list[torch.Tensor] = []
        h = layer.register_forward_hook(lambda m, i, o: box.append(o))
        try:
            y = model(x)
        finally:
            h.remove()
        torch.autograd.grad(y.gather(1, t[:, None]).sum(), box[0])

    def f3_frozen(x: torch.Tensor = x, t: torch.Tensor = top1) -> None:
        flags = [p.requires_grad_(False) for p in model.parameters()]
        try:
            box: list[torch.Tensor] = []

            def hook(m: Any, i: Any, o: torch.Tensor) -> torch.Tensor:
                box.append(o.detach().requires_grad_(True))
                return box[0]

            h = layer.register_forward_hook(hook)
            try:
                y = model(x)
            finally:
                h.remove()
            torch.autograd.grad(y.gather(1, t[:, None]).sum(), box[0])
        finally:
            for p in flags:
                p.requires_grad_(True)

    def pgc(cls: Any, x: torch.Tensor = x, targets: list[int] | None = None) -> None:
        with cls(model=model, target_layers=[layer]) as c:
            c(input_tensor=x, targets=[ClassifierOutputTarget(int(t)) for t in targets])

    def captum_gradcam(x: torch.Tensor = x, t: torch.Tensor = top1) -> None:
        a = LayerGradCam(model, layer).attribute(x, target=t)
        LayerAttribution.interpolate(a, (224, 224), interpolate_mode="bilinear")

    sg_batch = 25 if n == 1 else 4
    cases: dict[str, tuple[Callable[[], Any], int]] = {
        "F2": (f2, rep),
        "F3": (f3, rep),
        "F3 frozen": (f3_frozen, rep),
    }
    for name in ("features", "cam", "gradcam", "gradcam++", "layercam", "hirescam",
                 "saliency", "deconvnet", "guided-backprop", "guided-gradcam"):
        cases[f"oculi {name}"] = (lambda name=name, x=x: ox.explain(name, model, x), rep)
    cases["oculi gradcam ten classes"] = (lambda x=x, t=top10: ox.gradcam(model, x, t), rep)
    cases["oculi smoothgrad 25"] = (lambda x=x: ox.smoothgrad(model, x, samples=25), heavy)
    # memory probe: the peak is reached in the first pass of ``batch_size`` noisy copies, so two
    # samples per image show SmoothGrad's extra memory at this batch size in a fraction of the time
    cases["oculi smoothgrad memory probe (2 samples)"] = (
        lambda x=x: ox.smoothgrad(model, x, samples=2), 2)
    cases["pytorch-grad-cam GradCAM"] = (lambda: pgc(GradCAM, targets=top1.tolist()), rep)
    cases["pytorch-grad-cam GradCAM++"] = (
        lambda: pgc(GradCAMPlusPlus, targets=top1.tolist()), rep)
    cases["pytorch-grad-cam ten classes"] = (
        lambda t=top10: [pgc(GradCAM, targets=t[:, k].tolist()) for k in range(10)], heavy)
    cases["captum LayerGradCam"] = (captum_gradcam, rep)
    cases["captum ten classes"] = (
        lambda t=top10: [captum_gradcam(t=t[:, k]) for k in range(10)], heavy)
    cases["captum Saliency"] = (
        lambda x=x: Saliency(model).attribute(x.clone().requires_grad_(), target=top1), rep)
    cases["captum GuidedBackprop"] = (
        lambda x=x: GuidedBackprop(model).attribute(x.clone().requires_grad_(), target=top1),
        rep)
    cases["captum Deconvolution"] = (
        lambda x=x: Deconvolution(model).attribute(x.clone().requires_grad_(), target=top1),
        rep)
    cases["captum GuidedGradCam"] = (
        lambda x=x: GuidedGradCam(model, layer).attribute(x.clone().requires_grad_(),
                                                          target=top1), rep)
    cases["captum NoiseTunnel 25"] = (
        lambda x=x: NoiseTunnel(Saliency(model)).attribute(
            x.clone().requires_grad_(), nt_type="smoothgrad", nt_samples=25, target=top1,
            nt_samples_batch_size=sg_batch), heavy)
    if core:
        cases = {k: (fn, 1) for k, (fn, _) in cases.items() if k in CORE}
    # warm every case, then time them round-robin so that load changes hit all cases alike
    for fn, r in cases.values():
        if r > 1 or core:
            fn()
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in cases}
    for i in range(max(r for _, r in cases.values())):
        for name, (fn, r) in cases.items():
            if i < r:
                runs[name].append(measure(fn, 1, warmup=False))
                print(f"batch {n}: {name}: {runs[name][-1]['s'] * 1e3:.1f} ms, "
                      f"+{runs[name][-1]['peak_mb']:.0f} MB", flush=True)
    res = {name: {"s": statistics.median(v["s"] for v in rs),
                  "peak_mb": max(v["peak_mb"] for v in rs), "runs": len(rs)}
           for name, rs in runs.items()}
    res["25xF2"] = {"s": 25 * res["F2"]["s"], "peak_mb": res["F2"]["peak_mb"]}
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--core", type=int, nargs="*", default=[],
                    help="batch sizes at which only the core cases run, once after a warm-up")
    args = ap.parse_args()
    pin_threads(args.threads)

    from oculi.data import load
    from oculi.models import create_model

    model = create_model("efficientnet_lite0", pretrained=True).eval()
    layer = model.body.bn2
    photos = model.preprocess([load(n) for n in ("chelsea", "coffee", "rocket", "astronaut")])
    out: dict[str, Any] = {"model": "efficientnet_lite0", "size": 224, "threads": args.threads,
                           "layer": "body.bn2", "load_before": os.getloadavg(), "batches": {}}
    rows = []
    for n in (1, 8):
        x = photos[:1] if n == 1 else torch.cat([photos, photos])
        res = bench_batch(model, layer, x, args.repeat if n == 1 else max(2, args.repeat - 2),
                          core=n in args.core)
        out.setdefault("core_only", []).extend([n] if n in args.core else [])
        f3s, f2s = res["F3"]["s"], res["F2"]["s"]
        for name, v in res.items():
            v["img_per_s"] = n / v["s"]
            v["x_F3"] = v["s"] / f3s
            v["x_F2"] = v["s"] / f2s
            v["x_25F2"] = v["s"] / (25 * f2s)
            v["x_F3_frozen"] = v["s"] / res["F3 frozen"]["s"]
            rows.append([n, name, v["s"] * 1e3, v["img_per_s"], v["x_F3"], v["x_F2"],
                         v["peak_mb"]])
        out["batches"][str(n)] = res
        if n != 8:
            record("explain", {**out, "partial": True})  # in case the run is cut short
    out["load_after"] = os.getloadavg()
    print_table(["batch", "method", "ms", "img/s", "x F3", "x F2", "peak MB"], rows)
    path = record("explain", out)
    print(f"appended to {path}")


if __name__ == "__main__":
    main()
