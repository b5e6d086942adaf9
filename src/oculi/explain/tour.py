"""Tour section for explainability: maps of every method on the embedded photos with the real
EfficientNet-Lite0 weights, their faithfulness next to random maps, and their cost."""

from __future__ import annotations

from pathlib import Path

from oculi.report import Report

PHOTOS = ("chelsea", "coffee", "rocket", "astronaut")


def section(report: Report, workdir: Path, quick: bool) -> None:
    """Grids of maps per photo, deletion/insertion AUC vs random maps, time vs the F3 floor."""
    import torch

    from oculi.core.timing import time_call
    from oculi.data import load
    from oculi.explain import evaluate, explain
    from oculi.explain.run import grid_methods, label
    from oculi.explain.visual import grid
    from oculi.models import create_model

    model = create_model("efficientnet_lite0", pretrained=True).eval()
    names = PHOTOS[:1] if quick else PHOTOS
    shown = ("gradcam", "guided-backprop") if quick else grid_methods()
    x = model.preprocess([load(n) for n in names])
    sec = report.section(
        "Explainability: what EfficientNet-Lite0 looks at",
        "Maps of each method for the top prediction on the embedded photos (real ImageNet "
        "weights, 224x224 centre crop). CAM methods use the last feature map (body.bn2, 7x7); "
        "gradient methods attribute input pixels. Guided backprop and deconvnet use oculi's "
        "ReLU6 rules (pytorch-grad-cam and captum only patch nn.ReLU, so on this network they "
        "silently return the plain gradient).",
    )
    maps = {m: explain(m, model, x) for m in shown}
    for i, name in enumerate(names):
        e0 = maps[shown[0]]
        t = int(e0.targets[i])
        fig = grid(x[i], {m: e.maps[i] for m, e in maps.items()},
                   title=f"{name}: {label(model, t)} (p={float(e0.probs[i]):.2f})")
        sec.figure(fig, f"{name}: maps of {len(shown)} methods", name=f"explain-{name}")

    if quick:
        return
    sec = report.section(
        "Explainability: are the maps faithful?",
        "Deletion AUC (target probability while the most important pixels are greyed out; "
        "lower is better), insertion AUC (revealing them on a blurred copy; higher is better) "
        "and average drop (%) of confidence on the image times its map (Chattopadhay et al.), "
        "averaged over the four photos, next to random maps of the same resolution.",
    )
    rows = []
    for m in ("gradcam", "gradcam++", "layercam", "saliency", "guided-backprop"):
        r = evaluate(m, model, x, steps=16, metrics=("deletion", "insertion", "drop"),
                     random_baseline=True)["mean"]
        rows.append([m, r["deletion"], r["random_deletion"], r["insertion"],
                     r["random_insertion"], 100 * r["drop"], 100 * r["random_drop"]])
    sec.table(["method", "deletion", "random", "insertion", "random", "avg drop %", "random"],
              rows)

    sec = report.section(
        "Explainability: cost",
        "Median time for one image against F3, the floor of forward + gradient with respect to "
        "the target layer (bench/explain.py measures batches 1 and 8 against both anchors).",
    )
    one = x[:1]
    layer = model.body.bn2

    def f3() -> None:
        box: list[torch.Tensor] = []
        h = layer.register_forward_hook(lambda m, i, o: box.append(o))
        try:
            y = model(one)
        finally:
            h.remove()
        torch.autograd.grad(y.max(1).values.sum(), box[0])

    base = time_call(f3, repeat=5)["median_s"]
    rows = [["F3 floor", base * 1e3, 1.0]]
    for m in ("features", "cam", "gradcam", "gradcam++", "saliency", "guided-backprop"):
        t = time_call(lambda m=m: explain(m, model, one), repeat=5)["median_s"]
        rows.append([m, t * 1e3, t / base])
    sec.table(["method", "ms (median)", "x F3"], rows)
