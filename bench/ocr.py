"""OCR: plain Tesseract CLI (the anchor) vs oculi+tesseract (preprocessing) vs oculi+ppocr.

Inputs from ../shared/data: ``ocr_pages`` (Tesseract's phototest and eurotext, the UNLV magazine
scan 8071_093.3B, each with an exact transcription), copies of phototest rotated by 180 and 8
degrees (made here, bicubic, white fill), and ``ocr_numbers`` (six number crops, labels.csv).

* anchor: ``tesseract IMG - -l eng`` as a subprocess on the image file as given;
* oculi+tesseract: ``oculi.ocr.recognize(image)`` (border, orientation, deskew, 30 px x-height,
  Sauvola, specks; then Tesseract LSTM, psm 3, eng);
* oculi+ppocr: ``recognize(image, engine="ppocr")`` (PP-OCRv4 ONNX, orientation via OSD).

CER/WER: whitespace-normalised edit distance (:mod:`oculi.ocr.metrics`). Times: wall-clock
medians over ``--repeat`` runs after one warm-up (the 8071 page, 3312x2550, runs once per variant
unless ``--repeat-large`` says otherwise), threads pinned to the machine's cores.

Run: ``.venv/bin/python -m bench.ocr [--repeat 3] [--repeat-large 1]``
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench._common import SHARED_DATA, print_table, record
from oculi.core.timing import pin_threads, time_call
from oculi.io import read_image, write_image
from oculi.ocr import error_rates, ocr_engines, recognize
from oculi.ocr.page import rotate

PAGES = ("phototest", "eurotext", "8071_093.3B")
LARGE = {"8071_093.3B"}


def _plain_tesseract(path: Path) -> str:
    out = subprocess.run(["tesseract", str(path), "-", "-l", "eng"], capture_output=True,
                         text=True, check=True)
    return out.stdout


def _measure(fn: Any, repeat: int) -> tuple[str, float]:
    box: dict[str, str] = {}

    def run() -> None:
        box["text"] = fn()

    t = time_call(run, repeat=repeat, warmup=1 if repeat > 1 else 0)
    return box["text"], t["median_s"]


def _inputs(tmp: Path) -> list[tuple[str, Path, str]]:
    root = SHARED_DATA / "ocr_pages"
    items = []
    for name in PAGES:
        items.append((name, root / f"{name}.tif", (root / f"{name}.txt").read_text("utf-8")))
    photo = read_image(root / "phototest.tif", mode="gray")
    ref = (root / "phototest.txt").read_text("utf-8")
    for angle in (180, 8):
        rotated, _ = rotate(photo, angle)
        path = tmp / f"phototest_rot{angle}.png"
        write_image(path, rotated)
        items.append((f"phototest_rot{angle}", path, ref))
    return items


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--repeat-large", type=int, default=1)
    ap.add_argument("--no-record", action="store_true")
    args = ap.parse_args(argv)
    if not (SHARED_DATA / "ocr_pages").is_dir():
        print(f"skip: {SHARED_DATA / 'ocr_pages'} not found")
        return 0
    threads = pin_threads()
    load_start = list(os.getloadavg())  # the machine is shared: times depend on its load
    tess = ocr_engines.create("tesseract")
    pp = ocr_engines.create("ppocr")
    variants = {
        "tesseract CLI": lambda path, image: _plain_tesseract(path),
        "oculi+tesseract": lambda path, image: recognize(image, engine=tess).text,
        "oculi+ppocr": lambda path, image: recognize(image, engine=pp).text,
    }
    results: dict[str, dict[str, Any]] = {}
    rows = []
    with tempfile.TemporaryDirectory() as td:
        for name, path, ref in _inputs(Path(td)):
            image = read_image(path, mode="unchanged")
            repeat = args.repeat_large if name in LARGE else args.repeat
            results[name] = {}
            for label, fn in variants.items():
                text, secs = _measure(lambda fn=fn, path=path, image=image: fn(path, image), repeat)
                e = error_rates(ref, text)
                results[name][label] = {"cer": e.cer, "wer": e.wer, "median_s": secs,
                                        "char_errors": e.char_errors, "ref_chars": e.ref_chars}
                rows.append([name, label, 100 * e.cer, 100 * e.wer, secs])
                print(f"{name:<20} {label:<16} CER {100 * e.cer:6.2f}%  WER {100 * e.wer:6.2f}%  "
                      f"{secs:6.2f} s", file=sys.stderr)
    numbers: dict[str, Any] = {}
    num_root = SHARED_DATA / "ocr_numbers"
    if (num_root / "labels.csv").is_file():
        with (num_root / "labels.csv").open(newline="") as fh:
            labels = [(r["file"], r["text"]) for r in csv.DictReader(fh)]
        for label, fn in variants.items():
            exact, errs, chars, total_s, texts = 0, 0, 0, 0.0, {}
            for fname, truth in labels:
                p = num_root / fname
                text, secs = _measure(lambda fn=fn, p=p: fn(p, read_image(p, mode="unchanged")),
                                      args.repeat)
                e = error_rates(truth, text)
                exact += int(" ".join(text.split()) == truth)
                errs, chars, total_s = errs + e.char_errors, chars + e.ref_chars, total_s + secs
                texts[fname] = " ".join(text.split())
            numbers[label] = {"exact": exact, "n": len(labels), "cer": errs / max(chars, 1),
                              "median_s_per_image": total_s / len(labels), "texts": texts}
            rows.append(["ocr_numbers", label, 100 * errs / max(chars, 1),
                         f"{exact}/{len(labels)} exact", total_s / len(labels)])
    print_table(["input", "variant", "CER %", "WER % / exact", "median s"], rows)
    for name in results:
        base = results[name]["tesseract CLI"]["cer"]
        ours = results[name]["oculi+tesseract"]["cer"]
        print(f"{name:<20} CER oculi+tesseract / CLI: {100 * ours:.2f}% vs {100 * base:.2f}%")
    if not args.no_record:
        path = record("ocr", {"benchmark": "ocr", "threads": threads, "repeat": args.repeat,
                              "load_average_start": load_start,
                              "load_average_end": list(os.getloadavg()),
                              "repeat_large": args.repeat_large, "pages": results,
                              "ocr_numbers": numbers})
        print(f"appended to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
