"""Tour section for learned compression: classic codecs at one matched bit rate on an embedded
crop (live, a second), and the Kodak rate-distortion curves, BD-rates against JPEG and the
side-by-side crops read from ``bench/results`` (``python -m bench.compress``: the trained codecs
take minutes to evaluate, so the tour does not redo it), and the GAN codec beside JPEG and the
MSE codec at a low bit rate (``python -m bench.compress_gan``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from oculi.report import Report

#: where ``python -m bench.compress`` leaves its line and its crops
RESULTS = Path(__file__).resolve().parents[3] / "bench" / "results"


def bench_line(results: Path | None = None, topic: str = "compress") -> dict | None:
    """The last line of ``<topic>.jsonl`` in ``results`` (None when there is none)."""
    from oculi.report.results import last_line

    return last_line(topic, results or RESULTS)


def rd_figure(line: dict):
    """PSNR and MS-SSIM against bpp of every curve in a bench line (a matplotlib figure)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for name, points in line["curves"].items():
        pts = sorted(points, key=lambda p: p["bpp"])
        style = "o-" if name in ("hyperprior", "factorized") else "s--"
        subset = line.get("bd_rate_vs_jpeg", {}).get(name, {}).get("images")
        label = f"{name} (first {subset} images)" if subset else name
        for ax, metric in zip(axes, ("psnr", "ms_ssim"), strict=True):
            ax.plot([p["bpp"] for p in pts], [p[metric] for p in pts], style, label=label)
    for ax, label in zip(axes, ("PSNR (dB)", "MS-SSIM"), strict=True):
        ax.set_xlabel("bits per pixel")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    axes[0].legend()
    fig.tight_layout()
    return fig


def section(report: Report, workdir: Path, quick: bool) -> None:
    from oculi.compress import at_bpp, available
    from oculi.data import load
    from oculi.restore import psnr

    sec = report.section(
        "Compression: learned codecs with real entropy coding",
        "Ballé et al.'s factorized-prior and scale-hyperprior codecs, trained with `oculi train "
        "compress`, write `.oculi` files: a header with a checksum and range-coded latents "
        "(integer probability tables, so decoding reproduces the encoder's reconstruction bit "
        "for bit). They are compared with JPEG, WebP and AVIF at matched bits per pixel.",
    )
    size = 128 if quick else 192
    crop = load("chelsea", mode="rgb")[40:40 + size, 120:120 + size]
    points = [at_bpp(c, crop, 0.6) for c in available()]
    gap = np.full((size, 6, 3), 255, np.uint8)
    strip = np.hstack([np.hstack([p.image, gap]) for p in points] + [crop])
    sec.image(strip, ", ".join(f"{p.codec} {p.bpp:.2f} bpp" for p in points) + ", original "
              "(live, the quality setting found by binary search)", name="compress-classic",
              width=160 * (len(points) + 1))
    sec.table(["codec", "quality setting", "bpp", "PSNR dB"],
              [[p.codec, p.quality, p.bpp, psnr(crop, p.image)] for p in points])
    gan_results(sec)
    line = bench_line()
    if line is None:
        sec.text("No Kodak results yet: run `python -m bench.compress --runs RUNS`.")
        return
    sec.figure(rd_figure(line), f"Kodak ({line['images']} images): rate-distortion curves "
               f"(from bench/results/compress.jsonl, {line['time'][:10]})", name="compress-rd")
    rows = [[name, v["all"]["psnr"], v["all"]["ms_ssim"], v.get("0.25-1.0", {}).get("psnr")]
            for name, v in line["bd_rate_vs_jpeg"].items()]
    sec.table(["codec", "BD-rate vs JPEG, PSNR (%)", "BD-rate, MS-SSIM (%)",
               "BD-rate, PSNR, JPEG 0.25-1.0 bpp (%)"], rows)
    crops = RESULTS / "compress_crops.png"
    info = line.get("crops") or {}
    if crops.is_file() and info:
        from oculi.io import read_image

        sec.image(read_image(crops, mode="rgb"), f"{info['image']} at {info['bpp']:.3f} bpp: "
                  + ", ".join(info["panels"]), name="compress-crops", width=800)


def gan_results(sec) -> None:
    """The GAN codec's Kodak line and crops (original | JPEG | MSE codec | GAN codec), when
    ``python -m bench.compress_gan`` has written them."""
    line = bench_line(topic="compress_gan")
    crops = RESULTS / "compress_gan_crops.png"
    if line is None or not crops.is_file():
        return
    from oculi.io import read_image

    info = line["crops"]
    bpp = ", ".join(f"{k} {v:.3f}" for k, v in info["bpp"].items())
    sec.image(read_image(crops, mode="rgb"), f"{info['image']}: original, JPEG, MSE codec, GAN "
              f"codec (bpp of the whole image: {bpp}; from bench/results/compress_gan.jsonl, "
              f"{line['time'][:10]})", name="compress-gan-crops", width=800)
    sec.table(["codec (Kodak mean)", "bpp", "PSNR dB", "MS-SSIM", "Lite0 distance",
               "FID-Lite0 (patches)", "KID-Lite0"],
              [[name, v["bpp"], v["psnr"], v["ms_ssim"], v["perceptual"], v["fid_lite0"],
                v["kid_lite0"]] for name, v in line["codecs"].items()])
