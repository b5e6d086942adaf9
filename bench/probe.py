"""The CLI probe: every image-taking command against awkward and broken inputs.

Each command runs in this process through the real ``oculi`` app (typer's ``CliRunner``), on a
matrix of inputs: broken ones (missing, empty, truncated, text named .png, a directory, a PNG
claiming 0x0) must give exit 2 with one line naming the input; unusual but valid ones (1x1,
16-bit, gray+alpha, RGBA, CMYK JPEG, float32 TIFF) must give exit 0 or exit 2 with one line
(a documented refusal) — never a traceback. A command also gets bad option values.

Verdicts per run: ``ok`` (exit 0 on a valid input), ``clean`` (exit 2, one line naming the
input or the option), ``traceback`` (an exception escaped), ``noisy`` (exit 2 with several
lines or without the name), ``wrong-exit`` (exit 0 on a broken input, or another code).

    python -m bench.probe [--only convert,stitch]     # prints a table, records counts
"""

from __future__ import annotations

import argparse
import struct
import tempfile
import zlib
from collections import Counter
from pathlib import Path

import numpy as np

from bench._common import print_table, record

BROKEN = ("missing", "empty", "truncated", "text", "directory", "zero-size")
ODD = ("1x1", "16-bit", "gray+alpha", "rgba", "cmyk", "float-tiff")


def _png_header_only(path: Path, w: int, h: int) -> None:
    """A PNG whose IHDR claims ``w x h`` and whose image data is empty."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
                     + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b""))


def make_inputs(folder: Path) -> dict[str, Path]:
    """Write the input matrix; returns name -> path."""
    import cv2
    from PIL import Image
    from skimage import data

    rgb = data.astronaut()[::4, ::4].copy()  # 128x128
    p: dict[str, Path] = {}
    good = folder / "good.png"
    cv2.imwrite(str(good), rgb[:, :, ::-1])
    p["good"] = good
    p["missing"] = folder / "missing.png"
    (folder / "empty.png").write_bytes(b"")
    p["empty"] = folder / "empty.png"
    raw = good.read_bytes()
    (folder / "truncated.png").write_bytes(raw[: len(raw) // 3])
    p["truncated"] = folder / "truncated.png"
    (folder / "text.png").write_text("this is not an image\n")
    p["text"] = folder / "text.png"
    (folder / "dir.png").mkdir()
    p["directory"] = folder / "dir.png"
    _png_header_only(folder / "zero.png", 0, 0)
    p["zero-size"] = folder / "zero.png"
    cv2.imwrite(str(folder / "one.png"), rgb[:1, :1])
    p["1x1"] = folder / "one.png"
    cv2.imwrite(str(folder / "deep.png"), (rgb[:, :, 0].astype(np.uint16) * 257))
    p["16-bit"] = folder / "deep.png"
    Image.fromarray(np.dstack([rgb[:, :, 0], np.full(rgb.shape[:2], 200, np.uint8)]),
                    "LA").save(folder / "la.png")
    p["gray+alpha"] = folder / "la.png"
    Image.fromarray(np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)]),
                    "RGBA").save(folder / "rgba.png")
    p["rgba"] = folder / "rgba.png"
    Image.fromarray(rgb).convert("CMYK").save(folder / "cmyk.jpg")
    p["cmyk"] = folder / "cmyk.jpg"
    cv2.imwrite(str(folder / "float.tif"), (rgb[:, :, 0] / 255.0).astype(np.float32))
    p["float-tiff"] = folder / "float.tif"
    return p


def commands(out: Path) -> dict[str, list[str]]:
    """name -> argument template; ``{in}`` is the probed input, ``{good}`` a valid image."""
    return {
        "convert": ["convert", "{in}", str(out / "c.png")],
        "features detect": ["features", "detect", "{in}"],
        "features match": ["features", "match", "{in}", "{good}"],
        "homography": ["homography", "{in}", "{good}"],
        "flow compute": ["flow", "compute", "{in}", "{good}", "-o", str(out / "f.flo")],
        "preprocess clahe": ["preprocess", "clahe", "{in}", "-o", str(out / "p.png")],
        "preprocess equalize": ["preprocess", "equalize", "{in}", "-o", str(out / "e.png")],
        "preprocess gamma": ["preprocess", "gamma", "{in}", "--gamma", "0.5", "-o",
                             str(out / "g.png")],
        "stitch": ["stitch", "{in}", "{good}", "-o", str(out / "s.png")],
        "stereo": ["stereo", "{in}", "{good}", "-o", str(out / "d.png")],
        "normals": ["normals", "{in}", "-o", str(out / "n.png")],
        "detect": ["detect", "{in}", "-m", "hog-people", "-o", str(out / "det.png")],
        "ocr": ["ocr", "{in}"],
        "dicom info": ["dicom", "info", "{in}"],
        "video info": ["video", "info", "{in}"],
    }


#: bad option values per command: (arguments after the template's input, expected name)
BAD_OPTIONS: dict[str, list[tuple[list[str], str]]] = {
    "convert": [(["--quality", "0"], "quality"), (["--quality", "1000"], "quality")],
    "features detect": [(["--max-draw", "-1"], "max-draw"), (["-m", "bogus"], "bogus")],
    "homography": [(["--threshold", "nan"], "threshold")],
    "preprocess clahe": [(["--tiles", "100000"], "tiles"), (["--clip-limit", "nan"], "clip")],
    "preprocess gamma": [(["--gamma", "nan"], "gamma")],
    "flow compute": [(["-m", "bogus"], "bogus")],
    "stereo": [(["--method", "bogus"], "bogus")],
}


def _verdict(res, name: str, broken: bool) -> str:
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        return "traceback"
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    if res.exit_code == 0:
        return "wrong-exit" if broken else "ok"
    if res.exit_code != 2:
        return "wrong-exit"
    if len(lines) == 1 and name in lines[0]:
        return "clean"
    return "noisy"


def _tail(res) -> str:
    """The output's lines joined (or the escaped exception), shortened."""
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        return repr(res.exception)[:200]
    return " / ".join(ln.strip() for ln in res.output.splitlines() if ln.strip())[:300]


def run(only: set[str] | None = None) -> tuple[dict, list[tuple[str, str, str, str]]]:
    from typer.testing import CliRunner

    from oculi.cli.main import app

    runner = CliRunner()
    counts: dict[str, Counter] = {}
    bad: list[tuple[str, str, str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        out = folder / "out"
        out.mkdir()
        inputs = make_inputs(folder)
        for cname, template in commands(out).items():
            if only and cname not in only:
                continue
            c = counts.setdefault(cname, Counter())
            for iname in BROKEN + ODD:
                path = inputs[iname]
                args = [a.replace("{in}", str(path)).replace("{good}", str(inputs["good"]))
                        for a in template]
                res = runner.invoke(app, args)
                v = _verdict(res, path.name, iname in BROKEN)
                c[v] += 1
                if v not in ("ok", "clean"):
                    bad.append((cname, iname, v, _tail(res)))
            for extra, opt in BAD_OPTIONS.get(cname, []):
                args = [a.replace("{in}", str(inputs["good"])).replace(
                    "{good}", str(inputs["good"])) for a in template] + extra
                res = runner.invoke(app, args)
                v = _verdict(res, opt, True)
                c[v] += 1
                if v != "clean":
                    bad.append((cname, " ".join(extra), v, _tail(res)))
    return counts, bad


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="", help="comma-separated command names")
    args = ap.parse_args()
    only = {s.strip() for s in args.only.split(",") if s.strip()} or None
    counts, bad = run(only)
    kinds = ["ok", "clean", "traceback", "noisy", "wrong-exit"]
    print_table(["command", *kinds], [[c, *(n[k] for k in kinds)] for c, n in counts.items()])
    total = sum((n for n in counts.values()), Counter())
    print("total:", dict(total))
    for row in bad:
        print("  ", " | ".join(row))
    record("probe", {"task": "cli_probe", "counts": {c: dict(n) for c, n in counts.items()},
                     "total": dict(total), "problems": [list(r) for r in bad]})


if __name__ == "__main__":
    main()
