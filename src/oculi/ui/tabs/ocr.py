"""OCR tab: a page image -> its text, the word boxes drawn and the table of words, as
``oculi ocr IMAGE --engine E --overlay boxes.png -o text.txt``."""

from __future__ import annotations

import gradio as gr

from oculi.ui.context import TabContext
from oculi.ui.tabs import tabs
from oculi.ui.tabs.widgets import (
    examples,
    files_output,
    image_input,
    image_output,
    run_button,
    save_image,
    table_output,
)

NAME = "ocr"
#: the table's columns: one row per word (box xyxy pixels of the input image)
HEADERS = ("word", "confidence", "x0", "y0", "x1", "y1")


def _engines() -> list[str]:
    from oculi.ocr import ocr_engines

    return ocr_engines.names()


def run(path: str | None, engine: str, lang: str, preprocess: bool, ctx: TabContext) -> tuple:
    """Read the image as stored, :func:`oculi.ocr.recognize`, draw the boxes, write TXT and JSON
    with :func:`oculi.ocr.write_result`. A missing engine (no tesseract binary, no PP-OCR
    package) is oculi's MissingDependencyError, shown as the tab's error."""
    from oculi.core.errors import ParameterError
    from oculi.io import read_image
    from oculi.ocr import create_engine, draw_boxes, recognize, write_result

    if not path:
        raise ParameterError("ocr: upload a page image (or click an example)")
    image = read_image(path, mode="unchanged")
    res = recognize(image, engine=create_engine(engine), lang=lang.strip() or None,
                    preprocess=preprocess)
    picture = draw_boxes(image, res)
    rows = [[w.text, round(w.confidence, 3), *(round(float(v), 1) for v in w.box)]
            for line in res.lines for w in line.words]
    files = [save_image(ctx, "ocr-boxes", picture)]
    files += [write_result(ctx.output_path("ocr", suffix), res, image)
              for suffix in (".txt", ".json")]
    return picture, res.text, rows, [str(f) for f in files]


@tabs.register(NAME, help="A page image → its text and word boxes (green: confident, red: "
               "doubtful). Tesseract reads documents after oculi cleans the page (orientation, "
               "deskew, rescale, Sauvola binarization); ppocr (PP-OCR, the rapidocr package) "
               "reads photos and scene text.", order=80, title="OCR")
def build(ctx: TabContext) -> None:
    """One upload, the engine, language and preprocessing; boxes, text, words, files."""
    image = image_input(NAME, label="page image")
    with gr.Row():
        engine = gr.Dropdown(_engines(), value="tesseract", label="engine",
                             elem_id=f"{NAME}-engine")
        lang = gr.Textbox(label="Tesseract language(s), e.g. eng or eng+deu (empty: eng)",
                          elem_id=f"{NAME}-lang")
        preprocess = gr.Checkbox(value=True, label="clean the page first",
                                 elem_id=f"{NAME}-preprocess")
    examples(ctx, [image], [["ocr-page"], ["page"]])
    go = run_button(NAME, "Read")
    out = image_output(NAME, "word boxes")
    text = gr.Textbox(label="text", lines=6, interactive=False, elem_id=f"{NAME}-text")
    table = table_output(NAME, HEADERS, label="words")
    files = files_output(NAME)
    go.click(ctx.guard(lambda p, e, lg, pre: run(p, e, lg, pre, ctx)),
             [image, engine, lang, preprocess], [out, text, table, files])
