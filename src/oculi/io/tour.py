"""Tour section for image I/O: the embedded samples and a decode-speed comparison."""

from __future__ import annotations

from pathlib import Path

from oculi.report import Report


def section(report: Report, workdir: Path, quick: bool) -> None:
    """Show the embedded samples and time JPEG decoding (oculi vs Pillow vs OpenCV)."""
    import io as _io

    import cv2
    import numpy as np
    from PIL import Image

    from oculi.core.timing import time_call
    from oculi.data import load, names, sample_path, samples
    from oculi.io import encode_image, read_image

    sec = report.section(
        "Sample images",
        "Embedded images shipped inside scikit-image (no download); oculi.data names them.",
    )
    for name in names()[: 6 if quick else None]:
        image = load(name, mode="rgb")
        sec.image(image, f"{name}: {samples.entry(name).help}", name=f"sample-{name}", width=200)

    sec = report.section(
        "JPEG decoding",
        "A 4x upscaled copy of the 'rocket' sample (2560x1708) encoded at quality 90, decoded "
        "in full and to a 224-pixel short side. Medians of repeated runs on this machine; "
        "bench/io_jpeg.py runs the full benchmark.",
    )
    rocket = read_image(sample_path("rocket"))
    big = cv2.resize(
        rocket, (rocket.shape[1] * 4, rocket.shape[0] * 4), interpolation=cv2.INTER_CUBIC
    )
    data = encode_image(big, "jpeg", quality=90)
    path = workdir / "rocket_x4.jpg"
    path.write_bytes(data)
    rep = 3 if quick else 7

    def pil_full() -> np.ndarray:
        return np.asarray(Image.open(_io.BytesIO(data)).convert("RGB"))

    def pil_224() -> np.ndarray:
        im = Image.open(_io.BytesIO(data))
        im.draft("RGB", (224 * im.width // min(im.size), 224 * im.height // min(im.size)))
        im = im.convert("RGB")
        s = 224 / min(im.size)
        return np.asarray(im.resize((round(im.width * s), round(im.height * s)), Image.BILINEAR))

    rows = []
    full = {
        "oculi": lambda: read_image(path),
        "Pillow": pil_full,
        "OpenCV": lambda: cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR),
    }
    small = {
        "oculi (DCT-scaled)": lambda: read_image(path, short_side=224),
        "Pillow draft + resize": pil_224,
    }
    mp = big.shape[0] * big.shape[1] / 1e6
    for label, fn in {**full, **small}.items():
        t = time_call(fn, repeat=rep)["median_s"]
        rows.append([label, "full" if label in full else "224 short side", t * 1e3, mp / t])
    sec.table(["decoder", "output", "ms (median)", "MP/s"], rows)
