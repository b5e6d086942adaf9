"""Tour section for OCR: a scanned page and a page oculi renders from known text, rotated."""

from __future__ import annotations

from pathlib import Path

from oculi.report import Report

KNOWN_TEXT = (
    "Optical character recognition turns images\n"
    "of text into strings. oculi cleans the page:\n"
    "it finds the orientation, measures the skew\n"
    "by projection profiles, scales the letters to\n"
    "a good height and binarizes with Sauvola's\n"
    "local threshold before Tesseract reads it."
)


def section(report: Report, workdir: Path, quick: bool) -> None:
    """OCR on skimage's scanned page and on a rendered, rotated, noisy page with known text."""
    import shutil

    from oculi.data import load
    from oculi.ocr import draw_boxes, error_rates, recognize
    from oculi.ocr.synth import render_page

    sec = report.section(
        "OCR: Tesseract with page preprocessing",
        "oculi.ocr.recognize cleans a page (border removal, orientation by Tesseract OSD, deskew "
        "by projection profiles, rescale to a 30 px x-height, Sauvola binarization, speck "
        "removal) and then runs an engine; boxes are mapped back to the input image. CER/WER "
        "are whitespace-normalised edit distances (oculi.ocr.metrics).",
    )
    if shutil.which("tesseract") is None:
        sec.error("tesseract is not installed (apt-get install tesseract-ocr); section skipped")
        return

    # 1. the page oculi renders itself: known text, rotated a few degrees, with sensor noise
    lines = KNOWN_TEXT.split("\n")[: 3 if quick else None]
    truth = "\n".join(lines)
    page = render_page(truth, font_size=20, angle=-5.0, noise=10.0)
    plain = recognize(page, preprocess=False)
    ours = recognize(page, keep_images=True)
    rows = []
    variants = (("Tesseract on the raw image", plain), ("oculi: preprocess + Tesseract", ours))
    for label, res in variants:
        e = error_rates(truth, res.text)
        rows.append([label, 100 * e.cer, 100 * e.wer, res.seconds])
    sec.image(page, "rendered from known text (DejaVu Serif 20 px), rotated -5 degrees, noise",
              name="ocr-rendered")
    sec.table(["variant", "CER %", "WER %", "seconds"], rows)
    sec.table(["step", "what it found / did", "seconds"],
              [[s["step"], ", ".join(f"{k}={v}" for k, v in s.items()
                                     if k not in ("step", "seconds")), s["seconds"]]
               for s in ours.preprocessing])
    if ours.page is not None:
        for step in ours.page.steps:
            if step.image is not None and step.name in ("deskew", "binarize"):
                sec.image(step.image, f"after {step.name}", name=f"ocr-step-{step.name}",
                          width=360)
    sec.image(draw_boxes(page, ours), "word boxes (green: confident, red: doubtful)",
              name="ocr-rendered-boxes")
    sec.text("oculi read: " + ours.text.replace("\n", " / "))

    # 2. skimage's scanned page with uneven lighting (no ground truth: show the text)
    scan = load("page")
    sec = report.section(
        "OCR on a scanned page with uneven light",
        "skimage.data.page(): 191x384, x-height about 8 px, dark lower-left corner. Tesseract on "
        "the raw image loses most lines; after rescaling to a 30 px x-height and Sauvola "
        "binarization it reads them.",
    )
    raw = recognize(scan, preprocess=False)
    prep = recognize(scan, keep_images=True)
    sec.image(scan, "input", name="ocr-page-input", width=384)
    page_obj = prep.page
    if page_obj is not None:
        sec.image(page_obj.image, "prepared for Tesseract", name="ocr-page-prepared", width=384)
    sec.table(["variant", "words", "mean confidence", "seconds"],
              [["raw", len(raw.words), raw.confidence, raw.seconds],
               ["preprocessed", len(prep.words), prep.confidence, prep.seconds]])
    sec.text("raw: " + (raw.text.replace("\n", " / ") or "(nothing)"))
    sec.text("preprocessed: " + prep.text.replace("\n", " / "))
    sec.image(draw_boxes(scan, prep), "word boxes on the input", name="ocr-page-boxes", width=384)

    if quick:
        return
    # 3. the deep detector on scene text
    from oculi.ocr.synth import paste_sign

    photo, _ = paste_sign(load("coffee", mode="rgb"), "OPEN 24 HOURS", center=(300, 120))
    res = recognize(photo, engine="ppocr")
    tess = recognize(photo, engine="tesseract")
    sec = report.section(
        "Scene text: PP-OCR",
        "A perspective-warped sign on a photo. PP-OCR's DB detector finds the tilted line, the "
        "recognizer reads it; Tesseract, built for documents, finds little.",
    )
    sec.image(draw_boxes(photo, res), "ppocr word boxes", name="ocr-scene-boxes")
    sec.table(["engine", "text", "CER %", "seconds"],
              [["ppocr", res.text, 100 * error_rates("OPEN 24 HOURS", res.text).cer, res.seconds],
               ["tesseract", tess.text or "(nothing)",
                100 * error_rates("OPEN 24 HOURS", tess.text).cer, tess.seconds]])
