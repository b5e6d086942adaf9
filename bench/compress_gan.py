"""The GAN codec against the MSE codec it was fine-tuned from and JPEG, at low bit rates on the
Kodak images, side by side in one run.

- **Codecs**: the MSE codec (``--mse RUN``) and the GAN codec (``--gan RUN``, its
  ``last.safetensors``: the GAN run's ``best`` is chosen by a loss without the adversarial term)
  compress each Kodak image to a real ``.oculi`` stream and decode it (bpp counts every byte of
  the file); the GAN codec's decoded image is checked against its reconstruction without entropy
  coding (``round_trip_exact``). JPEG (Pillow, 4:2:0) at each image's GAN-codec bit rate
  (:func:`oculi.compress.at_bpp`, the quality closest to it).
- **Fidelity**: RGB PSNR (peak 255) and MS-SSIM, means over the images.
- **Perception**: the EfficientNet-Lite0 perceptual distance of the whole images
  (:class:`oculi.train.losses.perceptual.PerceptualLoss`, mean squared difference of its five
  feature levels; lower: closer), and the distribution scores of HiFiC's evaluation on patches:
  FID-Lite0 and KID-Lite0 (:mod:`oculi.generate.metrics`) between the original and the decoded
  ``--patch``-pixel windows (stride ``--stride``, both multiples of 32): the Lite0 pool feature
  of each window is the mean of the full image's last feature map (stride 32) over the window —
  one network pass per image instead of one per window (the features also see the window's
  surroundings), at native scale (the texture the codecs keep or lose is seen at its size).
- **Crops**: original | JPEG | MSE codec | GAN codec, a 192-pixel crop of one image, written to
  ``bench/results/compress_gan_crops.png``.

One JSON line goes to ``bench/results/compress_gan.jsonl``.

Run: ``.venv/bin/python -m bench.compress_gan --mse RUN --gan RUN [--threads 1]``
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from bench._common import RESULTS, SHARED_DATA, print_table, record
from oculi.core.convert import to_tensor_batch
from oculi.core.timing import pin_threads

CROP_IMAGE, CROP_AT, CROP = "kodim05.png", (160, 300), 192


def window_features(network: Any, image: np.ndarray, size: int, stride: int) -> np.ndarray:
    """Lite0 pool features ``(N, 1280)`` of every ``size``-pixel window of an HxWx3 uint8 image
    at ``stride`` (multiples of 32): its last feature map averaged over each window."""
    import torch

    with torch.no_grad():
        fmap = network.model.forward_features(to_tensor_batch(image))
        pooled = torch.nn.functional.avg_pool2d(fmap, size // 32, stride // 32)
    return pooled.flatten(2)[0].T.double().numpy()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mse", type=Path, required=True, help="the MSE codec's run")
    ap.add_argument("--gan", type=Path, required=True, help="the GAN codec's run")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--patch", type=int, default=128)
    ap.add_argument("--stride", type=int, default=32)
    ap.add_argument("--limit", type=int, default=0, help="only the first N Kodak images")
    args = ap.parse_args()
    if args.patch % 32 or args.stride % 32 or args.patch < 32 or args.stride < 32:
        ap.error("--patch and --stride: multiples of 32 pixels")
    pin_threads(args.threads)
    import torch

    torch.set_num_threads(args.threads)
    from oculi.compress import (
        at_bpp,
        compress_image,
        decompress_image,
        load_codec,
        ms_ssim,
        reconstruct_image,
    )
    from oculi.generate.extractors import Lite0Pool
    from oculi.generate.metrics import frechet_distance, kernel_distance
    from oculi.io import read_image, write_image
    from oculi.restore import psnr
    from oculi.train.losses.perceptual import PerceptualLoss

    kodak = SHARED_DATA / "compress_kodak"
    if not kodak.is_dir():
        print(f"skipped: {kodak} is missing")
        return
    gan_ckpt = args.gan / "last.safetensors" if args.gan.is_dir() else args.gan
    codecs = {"mse": load_codec(args.mse), "gan": load_codec(gan_ckpt)}
    perceptual = PerceptualLoss("efficientnet_lite0")
    files = sorted(kodak.glob("*.png"))[:args.limit or None]
    rows: dict[str, list[dict[str, float]]] = {"jpeg": [], "mse": [], "gan": []}
    decoded: dict[str, dict[str, np.ndarray]] = {"jpeg": {}, "mse": {}, "gan": {}}
    originals: dict[str, np.ndarray] = {}
    exact = True
    for f in files:
        ref = read_image(f, mode="rgb")
        originals[f.name] = ref
        for name, model in codecs.items():
            data = compress_image(ref, model)
            out = decompress_image(data, model, f.name)
            if name == "gan":
                exact &= bool(np.array_equal(out, reconstruct_image(ref, model)))
            decoded[name][f.name] = out
            rows[name].append({"bpp": 8.0 * len(data) / (ref.shape[0] * ref.shape[1])})
        point = at_bpp("jpeg", ref, rows["gan"][-1]["bpp"])
        decoded["jpeg"][f.name] = point.image
        rows["jpeg"].append({"bpp": point.bpp})
        for name in rows:
            out = decoded[name][f.name]
            with torch.no_grad():
                dist = float(perceptual(to_tensor_batch(out), to_tensor_batch(ref)))
            rows[name][-1].update(psnr=psnr(ref, out), ms_ssim=ms_ssim(ref, out),
                                  perceptual=dist)
        print(f.name, {k: round(v[-1]["bpp"], 3) for k, v in rows.items()}, flush=True)
    network = Lite0Pool().eval()
    real = np.concatenate([window_features(network, v, args.patch, args.stride)
                           for v in originals.values()])
    summary: dict[str, dict[str, float]] = {}
    for name, per_image in rows.items():
        fake = np.concatenate([window_features(network, decoded[name][k], args.patch,
                                               args.stride) for k in originals])
        kid, kid_std = kernel_distance(real, fake, subsets=50, subset_size=1000)
        summary[name] = {**{k: float(np.mean([r[k] for r in per_image])) for k in per_image[0]},
                         "fid_lite0": frechet_distance(real, fake), "kid_lite0": kid,
                         "kid_lite0_std": kid_std}
    name = CROP_IMAGE if CROP_IMAGE in originals else next(iter(originals))
    y, x = CROP_AT if name == CROP_IMAGE else (0, 0)
    panels = [originals[name]] + [decoded[k][name] for k in ("jpeg", "mse", "gan")]
    gap = np.full((CROP, 4, 3), 255, np.uint8)
    strip = np.hstack([np.hstack([p[y:y + CROP, x:x + CROP], gap]) for p in panels])[:, :-4]
    write_image(RESULTS / "compress_gan_crops.png", strip)
    crop_bpp = {k: rows[k][list(originals).index(name)]["bpp"] for k in rows}
    print_table(["codec", "bpp", "PSNR dB", "MS-SSIM", "Lite0 dist", "FID-Lite0", "KID-Lite0"],
                [[k, f"{v['bpp']:.3f}", f"{v['psnr']:.2f}", f"{v['ms_ssim']:.4f}",
                  f"{v['perceptual']:.1f}", f"{v['fid_lite0']:.2f}", f"{v['kid_lite0']:.4f}"]
                 for k, v in summary.items()])
    print("GAN round trip exact on every image:", exact)
    record("compress_gan", {
        "images": len(files), "data": "compress_kodak", "threads": args.threads,
        "patches": {"size": args.patch, "stride": args.stride, "count": len(real)},
        "codecs": summary, "round_trip_exact": exact,
        "runs": {"mse": str(args.mse), "gan": str(gan_ckpt)},
        "crops": {"image": name, "crop_yx": [y, x], "size": CROP,
                  "panels": ["original", "jpeg", "mse", "gan"], "bpp": crop_bpp},
        "note": "loaded shared 2-core CPU, one thread; all codecs scored in this one run"})


if __name__ == "__main__":
    main()
