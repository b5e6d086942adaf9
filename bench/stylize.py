"""Style transfer: Gatys optimisation beside the feed-forward networks trained here
(``oculi train stylize``), and video style transfer with and without the temporal loss.

- **Training** (skipped when the run folder already holds ``best.safetensors``): Johnson et al.
  networks for the styles in :data:`JOHNSON_STYLES` and one AdaIN decoder on all the shared style
  images, on random crops of the ``hymenoptera`` photos (``train/``, validated on ``val/``), CPU,
  one torch thread; the recipes below are the whole budget.
- **Image** (``../shared/data/style_transfer``: ``content/amber.jpg``, ``style/*.jpg``): at
  512 px (longer side), the style image at 256 px, per style: Gatys L-BFGS for
  :data:`GATYS_STEPS` loss evaluations (the "optimum"; for the styles with a Johnson network),
  the Johnson network and AdaIN, timed side by side in this one run; style and
  content losses of every output measured with the same objective (EfficientNet-Lite0 features,
  normalised Gram style loss averaged over the default layers, content feature MSE); ratios
  Gatys time / network time and network style loss / Gatys style loss. The reference outputs of
  another implementation (``reference_outputs/``) are scored with the same objective for
  scale (qualitative only: their network was trained on VGG features).
- **Video**: :data:`VIDEO_FRAMES` frames of ``track_otb_crossing`` at 256 px, the Johnson
  network per frame, independent vs with the temporal loss; temporal warping error (DIS flow,
  forward-backward occlusion mask) of both and of the content frames themselves.

Outputs: one JSON line in ``bench/results/stylize.jsonl``; the stylised 256 px images the tour
shows in ``bench/results/stylize/``.

Run: ``.venv/bin/python -m bench.stylize [--train johnson-candy|adain] [--skip-gatys]``
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench._common import RESULTS, ROOT, SHARED_DATA, print_table, record

STYLE_DIR = SHARED_DATA / "style_transfer"
STYLES = ("candy", "mosaic", "rain-princess", "udnie")
#: styles a Johnson network is trained for (one: the session's CPU budget; mosaic is next)
JOHNSON_STYLES = ("candy",)
RUNS = ROOT / "runs"
TRAIN_DATA = SHARED_DATA / "hymenoptera"
RECIPE: dict[str, Any] = {"image_size": 128, "epochs": 5, "repeat": 1, "batch_size": 4,
                          "val_images": 4, "threads": 1}
JOHNSON_RECIPE: dict[str, Any] = {**RECIPE, "model": "johnson", "style_size": 256}
ADAIN_RECIPE: dict[str, Any] = {**RECIPE, "model": "adain"}
GATYS_STEPS = 300
SIZE = 512
#: the style image's longer side for every loss here (the scale the networks were trained at)
STYLE_SIZE = 256
VIDEO_FRAMES = 12
PICTURES = RESULTS / "stylize"


def run_dir(name: str) -> Path:
    return RUNS / f"stylize-{name}"


def train(name: str) -> Path:
    """Train ``johnson-<style>`` or ``adain`` unless its run folder holds a checkpoint."""
    from oculi.stylize import StylizeConfig, train_stylizer

    run = run_dir(name)
    if (run / "best.safetensors").is_file():
        return run
    if name == "adain":
        cfg = StylizeConfig(style=str(STYLE_DIR / "style"), **ADAIN_RECIPE)
    else:
        style = name.split("-", 1)[1]
        cfg = StylizeConfig(style=str(STYLE_DIR / "style" / f"{style}.jpg"), **JOHNSON_RECIPE)
    train_stylizer(TRAIN_DATA, cfg, run, progress=False)
    return run


def budget(run: Path) -> dict[str, Any]:
    """Steps, images seen and training minutes of a run (from its own files)."""
    import json

    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()
            if line.strip()]
    epochs = [r for r in rows if "train_time_s" in r]
    data = json.loads((run / "data.json").read_text())
    crops = data.get("crops_per_epoch", 0) * len(epochs)
    return {"epochs": len(epochs), "crops": crops,
            "minutes": round(sum(r["train_time_s"] for r in epochs) / 60, 2),
            "val_style_loss": epochs[-1].get("val_style_loss") if epochs else None}


def _save(name: str, image: np.ndarray) -> None:
    from oculi.io import write_image
    from oculi.stylize._common import fit_long_side

    PICTURES.mkdir(parents=True, exist_ok=True)
    small = fit_long_side(image.astype(np.float32) / 255.0, 256)
    write_image(PICTURES / f"{name}.jpg", (small * 255).round().astype(np.uint8))


def images(skip_gatys: bool) -> dict[str, Any]:
    """Gatys vs the networks at 512 px on amber.jpg, per style."""
    from oculi.stylize import make_objective, measure_losses, stylize, stylize_gatys
    from oculi.stylize._common import as_rgb01, fit_long_side
    from oculi.stylize.api import load_stylizer

    content = fit_long_side(as_rgb01(STYLE_DIR / "content" / "amber.jpg", "content"), SIZE)
    _save("content", (content * 255).round().astype(np.uint8))
    adain = load_stylizer(run_dir("adain"))[0] if (run_dir("adain") / "best.safetensors"
                                                    ).is_file() else None
    out: dict[str, Any] = {}
    for style_name in STYLES:
        style = fit_long_side(as_rgb01(STYLE_DIR / "style" / f"{style_name}.jpg", "style"),
                              STYLE_SIZE)
        _save(f"style-{style_name}", (style * 255).round().astype(np.uint8))
        objective = make_objective(style)
        row: dict[str, Any] = {}
        if not skip_gatys and style_name in JOHNSON_STYLES:
            g = stylize_gatys(content, style, steps=GATYS_STEPS, image_size=None,
                              objective=objective, progress=False)
            row["gatys"] = {"seconds": g.seconds, **g.losses}
            _save(f"gatys-{style_name}", g.image)
        nets = {}
        if style_name in JOHNSON_STYLES and (run_dir(f"johnson-{style_name}")
                                             / "best.safetensors").is_file():
            nets["johnson"] = (load_stylizer(run_dir(f"johnson-{style_name}"))[0], None)
        if adain is not None:
            nets["adain"] = (adain, style)
        for key, (model, s) in nets.items():
            stylize(content, s, run=model, image_size=None)  # warm-up
            times, result = [], None
            for _ in range(3):
                result = stylize(content, s, run=model, image_size=None)
                times.append(result.seconds)
            row[key] = {"seconds": float(np.median(times)),
                        **measure_losses(objective, result.image, content)}
            _save(f"{key}-{style_name}", result.image)
        ref = STYLE_DIR / "reference_outputs" / f"amber-{style_name}.jpg"
        if ref.is_file():
            r = fit_long_side(as_rgb01(ref, "reference"), SIZE)
            if r.shape == content.shape:
                row["reference"] = measure_losses(objective, r, content)
        if "gatys" in row:
            for key in nets:
                row[key]["speedup_vs_gatys"] = row["gatys"]["seconds"] / row[key]["seconds"]
                row[key]["style_loss_ratio"] = row[key]["style"] / row["gatys"]["style"]
                row[key]["content_loss_ratio"] = row[key]["content"] / row["gatys"]["content"]
        out[style_name] = row
    return out


def video() -> dict[str, Any]:
    """The Johnson network per frame vs with the temporal loss on a real clip."""
    from oculi.stylize import stylize_video, temporal_warping_error
    from oculi.stylize.video import _read_frames

    run = run_dir(f"johnson-{JOHNSON_STYLES[0]}")
    if not (run / "best.safetensors").is_file():
        return {}
    folder = SHARED_DATA / "track_otb_crossing" / "img"
    frames = _read_frames(folder, VIDEO_FRAMES, 256)
    independent = stylize_video(frames, run=run, temporal_weight=0, image_size=None)
    temporal = stylize_video(frames, run=run, image_size=None)
    content_error = temporal_warping_error(frames, frames)[0]
    _save("video-independent", independent.frames[-1])
    _save("video-temporal", temporal.frames[-1])
    return {"clip": "track_otb_crossing", "frames": len(frames), "size": list(frames[0].shape[:2]),
            "warping_error_independent": independent.warping_error,
            "warping_error_temporal": temporal.warping_error,
            "warping_error_content": content_error,
            "temporal_weight": temporal.temporal_weight,
            "seconds_independent": independent.seconds, "seconds_temporal": temporal.seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", choices=[f"johnson-{s}" for s in JOHNSON_STYLES] + ["adain"],
                        help="train this run only (then exit)")
    parser.add_argument("--skip-gatys", action="store_true")
    args = parser.parse_args()
    from oculi.core.timing import pin_threads

    pin_threads(1)
    if args.train:
        t0 = time.perf_counter()
        train(args.train)
        print(f"trained {args.train} in {time.perf_counter() - t0:.0f} s")
        return
    result = images(args.skip_gatys)
    rows = []
    for style, row in result.items():
        for key, v in row.items():
            rows.append([style, key, v.get("seconds", float("nan")), v["style"], v["content"],
                         v.get("speedup_vs_gatys", float("nan")),
                         v.get("style_loss_ratio", float("nan"))])
    print_table(["style", "method", "s", "style loss", "content loss", "x faster",
                 "style / gatys"], rows)
    vid = video()
    print(vid)
    runs = {name: budget(run_dir(name)) for name in [f"johnson-{s}" for s in JOHNSON_STYLES]
            + ["adain"] if (run_dir(name) / "metrics.jsonl").is_file()}
    record("stylize", {"size": SIZE, "style_size": STYLE_SIZE, "gatys_steps": GATYS_STEPS,
                       "images": result, "video": vid, "training": runs,
                       "recipes": {"johnson": JOHNSON_RECIPE, "adain": ADAIN_RECIPE},
                       "conditions": "loaded 2-core CPU, one torch thread"})


if __name__ == "__main__":
    main()
