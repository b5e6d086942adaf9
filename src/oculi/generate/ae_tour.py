"""Tour section for autoencoders: a VAE with a 2-D code trained in seconds (``oculi train vae
--latent-dim 2``) on MNIST (Fashion-MNIST when MNIST is absent), its reconstructions, latent
interpolations and decoded manifold, and the benchmark's table (``bench/results/generate.jsonl``,
part ``ae``: FID-LeNet and PSNR of the full runs — the tour trains no feature network)."""

from __future__ import annotations

import json
from pathlib import Path

from oculi.report import Report

#: where ``python -m bench.generate_ae`` leaves its lines
RESULTS = Path(__file__).resolve().parents[3] / "bench" / "results" / "generate.jsonl"


def bench_rows(path: Path | None = None) -> list[list]:
    """The last ``ae`` line per (set, model) of the benchmark (``path``, default
    :data:`RESULTS`), as table rows."""
    path = RESULTS if path is None else path
    if not path.is_file():
        return []
    last: dict[tuple[str, str], dict] = {}
    base: dict[str, float] = {}
    for text in path.read_text().splitlines():
        if not text.strip():
            continue
        line = json.loads(text)
        if line.get("part") == "ae":
            last[(line["set"], line["model"])] = line
        elif line.get("part") == "real-baseline":
            base[line["set"]] = line["fid_lenet"]
    return [[s, m, f"{r['psnr']:.2f}", f"{r['ssim']:.3f}",
             f"{r['elbo']:.1f}" if "elbo" in r else "-",
             f"{r['fid_lenet']:.1f}" if "fid_lenet" in r else "-",
             f"{base.get(s, r.get('real_fid_lenet', float('nan'))):.2f}",
             f"{r['train_s']:.0f} s"] for (s, m), r in sorted(last.items())]


def section(report: Report, workdir: Path, quick: bool) -> None:
    from oculi.core.errors import DataError
    from oculi.data.digits import available
    from oculi.generate.ae_config import AutoencoderConfig
    from oculi.generate.ae_task import train_autoencoder
    from oculi.io import read_image

    sec = report.section(
        "Autoencoders: a VAE with a 2-D code in seconds",
        "`oculi train vae mnist --latent-dim 2` for a few epochs on 2,000 digits: reconstructions "
        "(input, output pairs), straight lines between two codes decoded, and the decoder's "
        "images over a grid of the 2-D code (the learned manifold). The full runs' scores come "
        "from `python -m bench.generate_ae`; FID-LeNet uses a LeNet trained here on the set, not "
        "Inception.")
    data = "mnist" if available("mnist") else "fashion-mnist"
    epochs = 1 if quick else 3
    cfg = AutoencoderConfig(latent_dim=2, width=16, epochs=epochs,
                            train_images=1000 if quick else 2000, batch_size=32, lr=3e-3,
                            val_images=300, threads=0)
    run = workdir / "vae-tour"
    try:
        result = train_autoencoder(data, cfg, run, progress=False, overwrite=True)
    except DataError as exc:  # neither set on this machine
        sec.text(f"No 28x28 set on this machine ({exc}): section skipped.")
        return
    last = result.history[-1]
    for name, caption in (("reconstructions", "held-out images and their reconstructions"),
                          ("interpolations", "codes of image pairs joined by straight lines"),
                          ("latent_map", "decoded 15 x 15 grid of the 2-D code, [-2.5, 2.5]²")):
        if (run / f"{name}.png").is_file():
            sec.image(read_image(run / f"{name}.png", mode="gray"), caption, name=f"vae-{name}",
                      width=420)
    sec.table(["epochs", "val PSNR (dB)", "ELBO (nats)", "bits/pixel"],
              [[len(result.history), f"{last['val_psnr']:.2f}", f"{last['val_elbo']:.1f}",
                f"{last['val_bpd']:.3f}"]])
    rows = bench_rows()
    if rows:
        sec.table(["set", "model", "PSNR", "SSIM", "ELBO", "FID-LeNet (prior samples)",
                   "FID-LeNet real halves", "training"], rows,
                  caption="bench.generate_ae: same training budget per model, one thread")
