"""Tour section for preprocessing and augmentation: before/after pairs, whitening, a CutMix batch
and a windowed DICOM image."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from oculi.report import Report


def _pair(before: np.ndarray, after: np.ndarray, gap: int = 6) -> np.ndarray:
    """Side by side on a white gap (both converted to uint8 RGB)."""
    from oculi.core.convert import ensure_uint8, to_rgb

    a, b = to_rgb(ensure_uint8(before)), to_rgb(ensure_uint8(after))
    h = max(a.shape[0], b.shape[0])
    canvas = np.full((h, a.shape[1] + gap + b.shape[1], 3), 255, np.uint8)
    canvas[: a.shape[0], : a.shape[1]] = a
    canvas[: b.shape[0], a.shape[1] + gap:] = b
    return canvas


def _contrast(report: Report, quick: bool) -> None:
    import cv2

    from oculi.core.timing import time_call
    from oculi.data import load
    from oculi.preprocess import clahe, equalize_hist, gamma, subtract_local_mean

    sec = report.section(
        "Preprocessing: contrast",
        "Before (left) and after (right). oculi's CLAHE is its own numpy implementation, "
        "bit-identical to OpenCV's on gray images; colour images are equalised in the L* channel "
        "of L*a*b* so hue is kept.",
    )
    moon = load("moon", mode="gray")
    out = clahe(moon, clip_limit=2.0, tiles=(8, 8))
    ref = cv2.createCLAHE(2.0, (8, 8)).apply(moon)
    sec.image(_pair(moon, out), "moon: CLAHE clip 2.0, 8x8 tiles", name="pre-clahe", width=640)
    chelsea = load("chelsea", mode="rgb")
    sec.image(_pair(chelsea, clahe(chelsea, 3.0)), "chelsea: colour CLAHE on L*",
              name="pre-clahe-colour", width=640)
    sec.image(_pair(moon, equalize_hist(moon)), "moon: global histogram equalisation",
              name="pre-equalize", width=640)
    sec.image(_pair(chelsea, gamma(chelsea, 0.6)), "chelsea: gamma 0.6",
              name="pre-gamma", width=640)
    retina = load("retina", mode="rgb")
    if quick:
        retina = cv2.resize(retina, (352, 352), interpolation=cv2.INTER_AREA)
    yy, xx = np.mgrid[: retina.shape[0], : retina.shape[1]]
    cy, cx = (retina.shape[0] - 1) / 2, (retina.shape[1] - 1) / 2
    fundus = (yy - cy) ** 2 + (xx - cx) ** 2 < (0.45 * retina.shape[1]) ** 2
    sec.image(_pair(retina, subtract_local_mean(retina, style="retina", mask=fundus)),
              "retina: 4*I - 4*GaussianBlur(I, sigma=W/30) + 128, outside 90 % of the radius "
              "blanked", name="pre-retina", width=640)
    rep = 3 if quick else 7
    t_ours = time_call(lambda: clahe(moon, 2.0, (8, 8)), repeat=rep)["median_s"]
    t_cv = time_call(lambda: cv2.createCLAHE(2.0, (8, 8)).apply(moon), repeat=rep)["median_s"]
    sec.table(
        ["operation", "max |oculi - OpenCV|", "oculi ms", "OpenCV ms"],
        [["CLAHE 512x512 uint8", int(np.abs(out.astype(int) - ref.astype(int)).max()),
          t_ours * 1e3, t_cv * 1e3]],
        caption="bench/preprocess.py runs the full comparison",
    )


def _whitening(report: Report, quick: bool) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from oculi.data import load
    from oculi.preprocess import ZCAWhitening, extract_patches

    sec = report.section(
        "Preprocessing: ZCA whitening",
        "ZCA fitted on 8x8 patches of 'camera'. Left: the rows of the whitening matrix with "
        "epsilon 0.01 (each a centre-surround filter, the zero-phase property); right: the image "
        "whitened patch by patch. The whitened patches' covariance differs from the identity only "
        "by eps/eigenvalue per component (table, epsilon 1e-6).",
    )
    cam = load("camera", mode="gray")
    patches = extract_patches(cam, 8, stride=4 if quick else 2)
    zca = ZCAWhitening(epsilon=1e-6).fit(patches)
    white = zca.transform(patches)
    cov_err = float(np.abs(np.cov(white.astype(np.float64), rowvar=False) - np.eye(64)).max())
    inv_err = float(np.abs(zca.inverse_transform(white) - patches).max())
    shown = ZCAWhitening(epsilon=1e-2).fit(patches)
    fig, axes = plt.subplots(1, 2, figsize=(8, 4))
    w = shown.whitening_matrix()
    tiles = np.zeros((8 * 9, 8 * 9))
    for i in range(64):
        r, c = divmod(i, 8)
        f = w[i].reshape(8, 8)
        tiles[r * 9: r * 9 + 8, c * 9: c * 9 + 8] = f / (np.abs(f).max() + 1e-12)
    axes[0].imshow(tiles, cmap="gray", vmin=-0.25, vmax=0.25)
    axes[0].set_title("ZCA filters")
    grid = extract_patches(cam, 8)  # non-overlapping, so the image can be reassembled
    wg = shown.transform(grid).reshape(64, 64, 8, 8).transpose(0, 2, 1, 3).reshape(512, 512)
    axes[1].imshow(np.clip(wg, -3, 3), cmap="gray")
    axes[1].set_title("whitened 'camera'")
    for ax in axes:
        ax.axis("off")
    sec.figure(fig, "ZCA filters and a whitened image", name="pre-zca")
    sec.table(["patches", "epsilon", "max |cov - I|", "max |inverse - x|"],
              [[len(patches), 1e-6, cov_err, inv_err]])


def _cutmix(report: Report, quick: bool) -> None:
    import cv2
    import torch

    from oculi.augment import Mixer
    from oculi.core.convert import to_numpy_image, to_tensor_batch
    from oculi.data import load

    sec = report.section(
        "Augmentation: CutMix and MixUp batches",
        "A batch of four samples mixed with its reversed order (timm's pairing). Targets are "
        "mixed with the same weight as the pixels: for CutMix the pasted area after clipping.",
    )
    names = ["astronaut", "chelsea", "coffee", "rocket"]
    images = [cv2.resize(load(n, mode="rgb"), (128, 128), interpolation=cv2.INTER_AREA)
              for n in names]
    batch = to_tensor_batch(images)
    labels = torch.arange(4)
    rows = []
    for label, mixer in (
        ("CutMix", Mixer(mixup_alpha=0.0, cutmix_alpha=1.0, label_smoothing=0.0, num_classes=4,
                         seed=3)),
        ("MixUp", Mixer(mixup_alpha=0.8, cutmix_alpha=0.0, label_smoothing=0.0, num_classes=4,
                        seed=3)),
    ):
        mixed, soft = mixer(batch, labels)
        strip = np.concatenate([to_numpy_image(mixed[i]) for i in range(4)], axis=1)
        sec.image(strip, f"{label} batch (lam = {mixer.last.lam[0]:.3f})",
                  name=f"aug-{label.lower()}", width=640)
        for i in range(4):
            top = torch.topk(soft[i], 2)
            rows.append([label, names[i],
                         ", ".join(f"{names[int(j)]} {float(v):.3f}"
                                   for v, j in zip(top.values, top.indices, strict=True))])
    sec.table(["method", "image", "soft target (top 2)"], rows)


def _dicom(report: Report, workdir: Path) -> None:
    from oculi.io import read_dicom
    from oculi.preprocess import dicom_info, dicom_to_uint8

    sec = report.section(
        "Preprocessing: DICOM windowing",
        "pydicom's bundled CT_small.dcm (installed with pydicom, no download): stored values -> "
        "Hounsfield units (rescale slope/intercept) -> named VOI windows (DICOM linear function).",
    )
    try:
        from pydicom.data import get_testdata_file

        path = get_testdata_file("CT_small.dcm", download=False)
    except Exception:  # pydicom without its test files
        path = None
    if not path:
        sec.text("pydicom's bundled test files are not installed here; picture skipped.")
        return
    dcm = read_dicom(path)
    info = dicom_info(path)
    tiles = []
    for preset in ("lung", "soft_tissue", "bone", "brain"):
        tiles.append(np.pad(dicom_to_uint8(dcm, preset), 3, constant_values=255))
    sec.image(np.concatenate(tiles, axis=1), "windows: lung | soft tissue | bone | brain",
              name="pre-dicom", width=640)
    sec.table(["file", "shape", "units", "min", "max", "mean"],
              [[Path(path).name, "x".join(map(str, info["shape"])), info["units"], info["min"],
                info["max"], info["mean"]]])


def section(report: Report, workdir: Path, quick: bool) -> None:
    """Before/after contrast pairs, ZCA whitening, CutMix/MixUp batches and DICOM windows."""
    _contrast(report, quick)
    _whitening(report, quick)
    _cutmix(report, quick)
    _dicom(report, workdir)
