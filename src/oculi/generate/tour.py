"""Tour section for generative models: a tiny conditional GAN trained in a few seconds
(``oculi train gan``) on Fashion-MNIST (fast IDX files; MNIST when they are absent), its samples
one column per class and its loss curves."""

from __future__ import annotations

from pathlib import Path

from oculi.report import Report


def section(report: Report, workdir: Path, quick: bool) -> None:

    import numpy as np

    from oculi.core.errors import DataError
    from oculi.data.digits import available
    from oculi.generate.gan_config import GanConfig
    from oculi.generate.gan_data import to_uint8
    from oculi.generate.gan_sample import grid, load_gan, sample_model
    from oculi.generate.gan_task import train_gan

    sec = report.section(
        "Generative models: a conditional GAN in seconds",
        "`oculi train gan fashion-mnist --arch mlp --conditional` for a few epochs (fully "
        "connected generator and projection critic, non-saturating loss, generator EMA): one "
        "column per digit class, the same noise along each row. A real run (DCGAN, hinge, "
        "spectral norm, minutes) is in docs/generate.md with its FID-LeNet.",
    )
    data = "fashion-mnist" if available("fashion-mnist") else "mnist"
    epochs = 2 if quick else 5
    cfg = GanConfig(arch="mlp", conditional=True, width=32, latent=32, epochs=epochs,
                    train_images=1000 if quick else 2500, batch_size=50, lr=1e-3,
                    generator_lr=1e-3, ema_decay=0.99, val_images=200, grid=0, threads=0)
    run = workdir / "gan-tour"
    try:
        result = train_gan(data, cfg, run, progress=False, overwrite=True)
    except DataError as exc:  # neither set on this machine
        sec.text(f"No 28x28 set on this machine ({exc}): section skipped.")
        return
    labels = [c for _ in range(5) for c in range(10)]
    model = load_gan(run)
    images = to_uint8(sample_model(model, len(labels), seed=0, labels=labels))
    big = np.repeat(np.repeat(grid(images, 10), 2, 0), 2, 1)
    sec.image(big, f"{data}: samples after {epochs} epochs (EMA generator), columns = classes 0-9",
              name="gan-samples", width=520)
    if (run / "losses.png").is_file():
        from oculi.io import read_image

        sec.image(read_image(run / "losses.png"), "critic and generator loss per step",
                  name="gan-losses", width=520)
    last = result.history[-1]
    sec.table(["epochs", "steps/s", "val_swd_error (lower is better)"],
              [[len(result.history), last["train_images_per_s"] / cfg.batch_size,
                last["val_swd_error"]]])
