"""Preprocessing: oculi vs OpenCV / scikit-image / scipy / scikit-learn on the same inputs.

- CLAHE (uint8 gray 512x512 and 2048x2048, uint16 gray, RGB via L*) against ``cv2.createCLAHE``:
  oculi's own implementation must be identical (max difference 0). scikit-image's
  ``equalize_adapthist`` is a different CLAHE variant (float, its own clip rule): its time is
  listed with the mean absolute difference for orientation only.
- Local mean: the retina recipe against ``cv2.addWeighted(I, 4, GaussianBlur(I), -4, 128)``
  (identical expected), and the signed float form against ``scipy.ndimage.gaussian_filter``.
- Whitening on 8x8 patches: ``PCAWhitening`` against ``sklearn.decomposition.PCA(whiten=True)``
  (fit + transform time, max difference of sign-aligned outputs), and ZCA against the ZCA built
  from scikit-learn's PCA (``W = V diag(1/sqrt(l + eps)) V^T``).
- Real data (when ``../shared/data/dicom_pydicom`` exists): CLAHE of the CT's stored uint16 values.

Medians of repeated runs after a warm-up, threads pinned to the machine's cores. One JSON line is
appended to ``bench/results/preprocess.jsonl``.

Run: ``.venv/bin/python -m bench.preprocess [--repeat 7]``
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

import cv2
import numpy as np

from bench._common import SHARED_DATA, print_table, record
from oculi.core.timing import pin_threads, time_call


def _row(task: str, anchor: str, ours: Callable[[], Any], ref: Callable[[], Any],
         diff: Callable[[Any, Any], float], repeat: int) -> dict[str, Any]:
    a, b = ours(), ref()
    t_ours = time_call(ours, repeat=repeat)["median_s"]
    t_ref = time_call(ref, repeat=repeat)["median_s"]
    return {"task": task, "anchor": anchor, "oculi_ms": t_ours * 1e3, "anchor_ms": t_ref * 1e3,
            "ratio": t_ours / t_ref, "max_diff": float(diff(a, b))}


def _maxabs(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.float64) - b.astype(np.float64)).max())


def _meanabs(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.float64) - b.astype(np.float64)).mean())


def clahe_rows(repeat: int) -> list[dict[str, Any]]:
    from skimage import exposure

    from oculi.data import load
    from oculi.preprocess import clahe

    cam = load("camera", mode="gray")
    big = cv2.resize(cam, (2048, 2048), interpolation=cv2.INTER_CUBIC)
    u16 = (big.astype(np.uint16) * 257) ^ np.random.default_rng(0).integers(
        0, 256, big.shape, dtype=np.uint16)  # 16-bit with fine levels
    rgb = load("astronaut", mode="rgb")
    rows = []
    for name, image in (("CLAHE uint8 512x512", cam), ("CLAHE uint8 2048x2048", big),
                        ("CLAHE uint16 2048x2048", u16)):
        c = cv2.createCLAHE(2.0, (8, 8))
        rows.append(_row(name, "cv2.createCLAHE", lambda im=image: clahe(im, 2.0, (8, 8)),
                         lambda im=image, c=c: c.apply(im), _maxabs, repeat))

    def cv_rgb() -> np.ndarray:
        lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB)
        lab[..., 0] = cv2.createCLAHE(2.0, (8, 8)).apply(lab[..., 0])
        return cv2.cvtColor(lab, cv2.COLOR_LAB2RGB)

    rows.append(_row("CLAHE RGB 512x512 (L*)", "cv2 LAB + createCLAHE",
                     lambda: clahe(rgb, 2.0, (8, 8)), cv_rgb, _maxabs, repeat))
    row = _row("CLAHE uint8 512x512 (other variant)", "skimage equalize_adapthist (mean |d|)",
               lambda: clahe(cam, 2.0, (8, 8)),
               lambda: exposure.equalize_adapthist(cam, kernel_size=64, clip_limit=0.01),
               lambda a, b: _meanabs(a, np.rint(b * 255)), max(3, repeat // 2))
    rows.append(row)
    ct = SHARED_DATA / "dicom_pydicom" / "CT_small.dcm"
    if ct.is_file():
        from oculi.io import read_dicom

        stored = read_dicom(ct, apply_rescale=False).pixels.astype(np.uint16)
        c = cv2.createCLAHE(2.0, (4, 4))
        rows.append(_row("CLAHE uint16 CT_small.dcm (shared)", "cv2.createCLAHE",
                         lambda: clahe(stored, 2.0, (4, 4)), lambda: c.apply(stored), _maxabs,
                         repeat))
    return rows


def local_mean_rows(repeat: int) -> list[dict[str, Any]]:
    from scipy import ndimage

    from oculi.data import load
    from oculi.preprocess import subtract_local_mean

    retina = load("retina", mode="rgb")
    sigma = retina.shape[1] / 30
    rows = [_row(f"local mean retina {retina.shape[1]}x{retina.shape[0]} RGB", "cv2.addWeighted",
                 lambda: subtract_local_mean(retina, style="retina"),
                 lambda: cv2.addWeighted(retina, 4, cv2.GaussianBlur(retina, (0, 0), sigma), -4,
                                         128), _maxabs, repeat)]
    cam = load("camera", mode="gray").astype(np.float32) / 255
    rows.append(_row("local mean signed 512x512 float32 sigma 4", "scipy gaussian_filter",
                     lambda: subtract_local_mean(cam, sigma=4.0),
                     lambda: cam - ndimage.gaussian_filter(cam, 4.0, mode="mirror", truncate=4),
                     _maxabs, repeat))
    return rows


def whitening_rows(repeat: int) -> list[dict[str, Any]]:
    from sklearn.decomposition import PCA

    from oculi.data import load
    from oculi.preprocess import PCAWhitening, ZCAWhitening, extract_patches

    patches = extract_patches(load("camera", mode="gray"), 8, stride=2)  # 64009 x 64
    eps = 1e-5

    def sk_pca() -> np.ndarray:
        return PCA(whiten=True, svd_solver="full").fit_transform(patches)

    def ours_pca() -> np.ndarray:
        return PCAWhitening(epsilon=0.0).fit(patches).transform(patches)

    def aligned(a: np.ndarray, b: np.ndarray) -> float:
        signs = np.sign((a * b).sum(0))
        return _maxabs(a * signs, b)

    def sk_zca() -> np.ndarray:
        p = PCA(svd_solver="full").fit(patches)
        w = (p.components_.T / np.sqrt(p.explained_variance_ + eps)) @ p.components_
        return (patches - p.mean_) @ w

    def ours_zca() -> np.ndarray:
        return ZCAWhitening(epsilon=eps).fit(patches).transform(patches)

    rep = max(3, repeat // 2)
    return [
        _row(f"PCA whitening fit+transform {patches.shape[0]}x64", "sklearn PCA(whiten=True)",
             ours_pca, sk_pca, aligned, rep),
        _row(f"ZCA whitening fit+transform {patches.shape[0]}x64", "sklearn PCA -> ZCA",
             ours_zca, sk_zca, _maxabs, rep),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    threads = pin_threads()
    rows = clahe_rows(args.repeat) + local_mean_rows(args.repeat) + whitening_rows(args.repeat)
    print_table(["task", "anchor", "oculi ms", "anchor ms", "ratio", "max diff"],
                [[r["task"], r["anchor"], r["oculi_ms"], r["anchor_ms"], r["ratio"],
                  r["max_diff"]] for r in rows])
    path = record("preprocess", {"threads": threads, "repeat": args.repeat, "rows": rows})
    print(f"appended to {path}")


if __name__ == "__main__":
    main()
