"""``oculi ocr IMAGE...`` (read text) and ``oculi ocr eval DIR`` (CER/WER against ground truth)."""

from __future__ import annotations

from pathlib import Path

import typer

from oculi.cli._common import fail, report_failures, topic_app, write_json

app = topic_app(
    "Read text in images (Tesseract or PP-OCR) and measure character/word error rates "
    "(oculi ocr eval DIR).",
    default_command=True,
)

_ENGINE_HELP = "Engine: tesseract (documents) or ppocr (deep detector, photos and scene text)."
_LANG_HELP = "Language(s) for Tesseract, e.g. eng or eng+deu+fra (default eng)."


def _target(template: Path | None, image: Path, several: bool, what: str) -> Path | None:
    if template is None:
        return None
    text = str(template)
    if "{stem}" in text:
        return Path(text.replace("{stem}", image.stem))
    if several:
        fail(f"{what}: several images need a {{stem}} placeholder, e.g. out/{{stem}}.txt")
    return template


@app.command("default", hidden=True)
def read(
    images: list[Path] = typer.Argument(..., help="Image files."),
    engine: str = typer.Option("tesseract", "--engine", "-e", help=_ENGINE_HELP),
    lang: str = typer.Option(None, "--lang", "-l", help=_LANG_HELP),
    no_preprocess: bool = typer.Option(
        False, "--no-preprocess", help="Skip border/orientation/deskew/rescale/binarization."
    ),
    psm: int = typer.Option(3, "--psm", help="Tesseract page segmentation mode (3 auto, 6 block)."),
    out: Path = typer.Option(
        None, "--out", "-o",
        help="Write the result; .txt .json .tsv .hocr .pdf (searchable). With several images "
        "use {stem}: out/{stem}.txt",
    ),
    overlay: Path = typer.Option(
        None, "--overlay", help="Write the image with word boxes (PNG/JPEG); {stem} as for -o."
    ),
    json_path: Path = typer.Option(None, "--json", help="All results as one JSON file."),
) -> None:
    """Read the text in IMAGE(s); prints it (or writes -o). Unreadable images are listed at the
    end and make the exit code 2."""
    from oculi.core.errors import ImageReadError
    from oculi.io import read_image, write_image
    from oculi.ocr import create_engine, draw_boxes, recognize, write_result

    opts = {"psm": psm} if engine.strip().lower() == "tesseract" else {}
    eng = create_engine(engine, **opts)
    several = len(images) > 1
    results, failed = [], {}
    for path in images:
        try:
            image = read_image(path, mode="unchanged")
        except ImageReadError as exc:
            failed[str(path)] = " ".join(str(exc).split())
            continue
        res = recognize(image, engine=eng, lang=lang, preprocess=not no_preprocess)
        results.append({"file": str(path), **res.to_dict()})
        dst = _target(out, path, several, "--out")
        if dst is not None:
            write_result(dst, res, image, psm=psm)
        ov = _target(overlay, path, several, "--overlay")
        if ov is not None:
            write_image(ov, draw_boxes(image, res))
        if dst is None:
            if several:
                typer.echo(f"==> {path} <==")
            typer.echo(res.text)
        summary = (
            f"{path}: {len(res.words)} words in {len(res.lines)} lines, "
            f"mean confidence {res.confidence:.2f}, {res.seconds:.2f} s"
        )
        typer.echo(summary + (f" -> {dst}" if dst else ""), err=True)
    if json_path is not None:
        write_json(json_path, {"engine": eng.name, "results": results,
                               "failed": [f"{p}: {m}" for p, m in failed.items()]})
    report_failures(failed)


@app.command("eval")
def evaluate(
    folder: Path = typer.Argument(
        ..., help="Folder of <name>.<png|tif|jpg> with <name>.txt, or a labels.csv (file,text)."
    ),
    engine: str = typer.Option("tesseract", "--engine", "-e", help=_ENGINE_HELP),
    lang: str = typer.Option(None, "--lang", "-l", help=_LANG_HELP),
    no_preprocess: bool = typer.Option(False, "--no-preprocess", help="Skip preprocessing."),
    lines: bool = typer.Option(False, "--lines", help="Also print per-line CER."),
    json_path: Path = typer.Option(None, "--json", help="Write the scores as JSON."),
) -> None:
    """CER and WER per page and averaged (whitespace-normalised edit distance). Pages that could
    not be read are listed at the end and make the exit code 2."""
    from oculi.ocr import evaluate_dir

    rep = evaluate_dir(folder, engine=engine, lang=lang, preprocess=not no_preprocess, lines=lines)
    typer.echo(f"{'page':<28} {'CER %':>7} {'WER %':>7} {'chars':>6} {'time s':>7}")
    for p in rep.pages:
        if p.rates is None:
            typer.echo(f"{p.name:<28} failed: {p.error}")
            continue
        r = p.rates
        typer.echo(f"{p.name:<28} {100 * r.cer:7.2f} {100 * r.wer:7.2f} {r.ref_chars:6d} "
                   f"{p.seconds:7.2f}")
        for ln in p.lines:
            typer.echo(f"    {100 * ln['cer']:6.1f}  {ln['reference'][:60]}")
    typer.echo(f"{'mean':<28} {100 * rep.mean_cer:7.2f} {100 * rep.mean_wer:7.2f}")
    typer.echo(f"{'all characters':<28} {100 * rep.total_cer:7.2f}")
    if json_path is not None:
        write_json(json_path, rep.to_dict())
    report_failures({p.name: str(p.error) for p in rep.failed}, what="page")
