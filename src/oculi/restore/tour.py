"""Tour section for image restoration: before/after crops of upscaling, denoising and low-light
enhancement on embedded images (no shared data, no third-party weights)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from oculi.report import Report


def _row(images: list[np.ndarray], gap: int = 6) -> np.ndarray:
    """Equal-height uint8 RGB images side by side on a white gap."""
    from oculi.core.convert import to_rgb

    rgb = [to_rgb(im) for im in images]
    h = max(im.shape[0] for im in rgb)
    width = sum(im.shape[1] for im in rgb) + gap * (len(rgb) - 1)
    canvas = np.full((h, width, 3), 255, np.uint8)
    x = 0
    for im in rgb:
        canvas[: im.shape[0], x: x + im.shape[1]] = im
        x += im.shape[1] + gap
    return canvas


def _nearest(image: np.ndarray, scale: int) -> np.ndarray:
    return np.repeat(np.repeat(image, scale, 0), scale, 1)


def section(report: Report, workdir: Path, quick: bool) -> None:
    from oculi.data import load
    from oculi.restore import denoise, enhance, estimate_noise, imresize, psnr, ssim, upscale

    sec = report.section(
        "Restoration: super-resolution, denoising, low-light enhancement",
        "Degrade an embedded image, restore it, score it against the original (PSNR in dB, "
        "SSIM). Super-resolution uses the SR literature's protocol: MATLAB-compatible bicubic "
        "downscaling, Y channel, border of `scale` pixels shaved.",
    )
    size = 96 if quick else 160
    hr = load("astronaut", mode="rgb")[40:40 + size, 160:160 + size]
    lr = imresize(hr, 0.25)
    bic, lan = upscale(lr, 4), upscale(lr, 4, "lanczos")
    rows = [[name, psnr(hr, out, y_channel=True, shave=4), ssim(hr, out, y_channel=True, shave=4)]
            for name, out in (("bicubic", bic), ("lanczos", lan))]
    sec.image(_row([_nearest(lr, 4), bic, lan, hr]),
              "x4: input (nearest), bicubic, Lanczos, original", name="restore-sr", width=640)
    sec.table(["x4 method", "PSNR (Y)", "SSIM (Y)"], rows)

    clean = load("chelsea", mode="rgb")[60:60 + size, 150:150 + size]
    noisy = np.clip(np.rint(clean + np.random.default_rng(0).normal(0, 25, clean.shape)),
                    0, 255).astype(np.uint8)
    sigma = estimate_noise(noisy)
    den = denoise(noisy, sigma, "nlm")
    sec.image(_row([noisy, den, clean]), f"sigma 25 noise (estimated {sigma:.1f}): noisy, "
              "non-local means, original", name="restore-denoise", width=640)
    sec.table(["", "PSNR", "SSIM"], [["noisy", psnr(clean, noisy), ssim(clean, noisy)],
                                     ["nlm", psnr(clean, den), ssim(clean, den)]])

    bright = load("coffee", mode="rgb")[100:100 + size, 200:200 + size]
    dark = np.rint(255 * (bright / 255.0) ** 2.2 * 0.3).astype(np.uint8)
    methods = ("gamma", "clahe", "lime", "msrcr")
    outs = [enhance(dark, m) for m in methods]
    sec.image(_row([dark, *outs, bright]), "synthetic low light: dark, " + ", ".join(methods)
              + ", original", name="restore-lowlight", width=720)
    sec.table(["method", "PSNR", "SSIM"],
              [["dark input", psnr(bright, dark), ssim(bright, dark)]]
              + [[m, psnr(bright, o), ssim(bright, o)] for m, o in zip(methods, outs,
                                                                       strict=True)])
    trained_tables(report)


#: where the restoration benchmarks leave their lines
RESULTS = Path(__file__).resolve().parents[3] / "bench" / "results"

#: (title, bench topic, how to pick the line, the line's key holding ``"condition/method"`` scores)
TRAINED = (
    ("SRMD (blur and noise as inputs) beside bicubic-trained models, Set5 x2/x3 (Y, shaved)",
     "restore", ("part", "srmd"), "set5"),
    ("Noise2Noise (noisy targets) beside clean targets, Kodak sigma 25 (RGB)",
     "restore", ("part", "n2n"), "kodak_s25"),
    ("Zero-DCE / Zero-DCE++ trained here (no reference images) beside the published weights "
     "and LIME, LOL pairs", "restore", ("bench", "lowlight_train"), "lol"),
    ("See-in-the-dark U-Net on synthetic raws x100 / x300, Kodak crops (sRGB)",
     "sid", None, "kodak"),
)


def score_rows(scores: dict[str, dict[str, float]]) -> tuple[list[str], list[list[str]]]:
    """Pivot ``{"condition/method": {"psnr": dB, "ssim": s}}`` (or plain ``"method"`` keys)
    into a table: one row per method, one ``PSNR / SSIM`` column per condition, in first-seen
    order; a missing pair is ``-``.

    Returns:
        ``(headers, rows)`` of strings.
    """
    conditions: dict[str, None] = {}
    methods: dict[str, dict[str, str]] = {}
    for key, s in scores.items():
        condition, _, method = key.rpartition("/")
        conditions[condition] = None
        methods.setdefault(method, {})[condition] = f"{s['psnr']:.2f} / {s['ssim']:.3f}"
    headers = ["method", *(f"{c or 'PSNR'} (dB / SSIM)" for c in conditions)]
    return headers, [[m, *(cells.get(c, "-") for c in conditions)]
                     for m, cells in methods.items()]


def trained_tables(report: Report, results: Path | None = None) -> None:
    """The trained models' figures, read from the newest benchmark lines (nothing is trained in
    the tour); a section says which benchmark to run when a line is missing."""
    from oculi.report.results import last_line

    results = RESULTS if results is None else results
    sec = report.section(
        "Restoration models trained here",
        "Read from bench/results (python -m bench.restore_srmd, bench.restore_n2n, "
        "bench.lowlight_train, bench.sid): every method side by side in one run; each line "
        "records its training budget.")
    for title, name, pick, key in TRAINED:
        line = last_line(name, results, **dict([pick] if pick else []))
        if line is None or key not in line:
            sec.text(f"{title}: no benchmark line yet.")
            continue
        headers, rows = score_rows(line[key])
        sec.table(headers, rows,
                  caption=f"{title} (run {line.get('git', '?')}, {line.get('time', '')[:10]})")
