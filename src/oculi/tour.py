"""The guided tour: every topic adds a section to one HTML report, computed on embedded data.

Sections are listed explicitly in :data:`SECTIONS` as ``(name, "module:function")``; each function
has the signature ``section(report: Report, workdir: Path, quick: bool) -> None`` and adds one or
more sections to the report. A section that raises is reported in the page and the tour goes on.
"""

from __future__ import annotations

import importlib
import time
import traceback
from pathlib import Path

from oculi.report import Report

SECTIONS: list[tuple[str, str]] = [
    ("io", "oculi.io.tour:section"),
    ("preprocess", "oculi.preprocess.tour:section"),
    ("ocr", "oculi.ocr.tour:section"),
    ("features", "oculi.features.tour:section"),
    ("stitching", "oculi.stitching.tour:section"),
    ("models", "oculi.models.tour:section"),
    ("detect", "oculi.detect.tour:section"),
    ("flow", "oculi.flow.tour:section"),
    ("video", "oculi.video.tour:section"),
    ("track", "oculi.track.tour:section"),
    ("place", "oculi.place.tour:section"),
    ("sfm", "oculi.sfm.tour:section"),
    ("reconstruct", "oculi.sfm.tour:reconstruction_section"),
    ("stereo", "oculi.stereo.tour:section"),
    ("segment", "oculi.segment.tour:section"),
    ("panoptic", "oculi.panoptic.tour:section"),
    ("action", "oculi.action.tour:section"),
    ("explain", "oculi.explain.tour:section"),
    ("restore", "oculi.restore.tour:section"),
    ("colorize", "oculi.colorize.tour:section"),
    ("compress", "oculi.compress.tour:section"),
    ("stylize", "oculi.stylize.tour:section"),
    ("generate", "oculi.generate.tour:section"),
    ("autoencoders", "oculi.generate.ae_tour:section"),
    ("img2img", "oculi.generate.img2img_tour:section"),
    ("capsule", "oculi.capsule.tour:section"),
    ("embed", "oculi.embed.tour:section"),
    ("ui", "oculi.ui.tour:section"),
]


def run_tour(
    out: str | Path, *, sections: list[str] | None = None, quick: bool = False
) -> tuple[Path, list[str]]:
    """Run the tour sections (all, or those named) and write ``out/index.html``.

    Returns:
        The page's path and the names of the sections that failed.
    """
    from rich.console import Console

    from oculi.core.errors import UnknownNameError

    known = [name for name, _ in SECTIONS]
    unknown = sorted(set(sections or ()) - set(known))
    if unknown:
        raise UnknownNameError(f"sections: unknown {', '.join(unknown)}; known: {', '.join(known)}")
    console = Console(stderr=True)
    out = Path(out)
    work = out / "work"
    work.mkdir(parents=True, exist_ok=True)
    report = Report(
        "oculi tour",
        "Every capability of oculi run on embedded sample data; numbers measured on this machine.",
    )
    failed: list[str] = []
    chosen = [s for s in SECTIONS if sections is None or s[0] in sections]
    for name, target in chosen:
        module, func = target.split(":")
        t0 = time.perf_counter()
        with console.status(f"tour: {name}"):
            try:
                getattr(importlib.import_module(module), func)(report, work, quick)
            except Exception as exc:  # the tour reports a broken section and goes on
                failed.append(name)
                sec = report.section(f"{name} (failed)")
                sec.error(f"{type(exc).__name__}: {exc}\n\n{traceback.format_exc(limit=6)}")
        console.log(f"tour: {name} done in {time.perf_counter() - t0:.1f} s")
    page = report.write(out)
    return page, failed
