"""HTML report builder: a title, sections with text, tables, images with captions.

Images are written as PNG files into ``assets/`` beside ``index.html``; the page uses no external
CSS, fonts or scripts, so it opens offline (:meth:`Section.scene3d` embeds its own small script).
The page is written atomically.

    >>> import numpy as np, tempfile, pathlib
    >>> r = Report("demo")
    >>> s = r.section("Numbers", "Two rows.")
    >>> s.table(["a", "b"], [[1, 2.5], [3, 4.0]])
    >>> s.image(np.zeros((8, 8, 3), np.uint8), "black", name="black")
    >>> out = r.write(tempfile.mkdtemp())
    >>> "black" in out.read_text() and (out.parent / "assets" / "black.png").exists()
    True
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from oculi.core.atomic import write_text_atomic

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;
max-width:1200px;color:#222;padding:0 1em}
h1{border-bottom:2px solid #444}h2{margin-top:2em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:1em 0;font-size:0.92em}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:right}th{background:#f0f0f0}
td:first-child,th:first-child{text-align:left}
figure{display:inline-block;margin:0.5em;vertical-align:top;max-width:100%}
figure img{max-width:100%;border:1px solid #ddd}
figcaption{font-size:0.85em;color:#555;max-width:560px}
.err{color:#a00;white-space:pre-wrap}.note{color:#555}
nav a{margin-right:1em}
"""


def _fmt(value: Any) -> str:
    if isinstance(value, float | np.floating):
        v = float(value)
        if v != v:
            return "–"
        return f"{v:.4g}" if abs(v) < 1e4 else f"{v:.0f}"
    return html.escape(str(value))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "item"


def _figure_png(fig: Any) -> bytes:
    """PNG bytes of a matplotlib figure (100 dpi, tight), which is then closed."""
    import io

    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


@dataclass
class Section:
    """One section of a :class:`Report`. Use its methods in the order the content should appear."""

    title: str
    report: Report
    parts: list[str] = field(default_factory=list)

    def text(self, text: str, *, cls: str = "") -> None:
        """A paragraph of plain text (escaped)."""
        attr = f' class="{cls}"' if cls else ""
        self.parts.append(f"<p{attr}>{html.escape(text)}</p>")

    def html(self, fragment: str) -> None:
        """A raw HTML fragment (the caller is responsible for escaping)."""
        self.parts.append(fragment)

    def error(self, text: str) -> None:
        """A highlighted error message (a step that failed without stopping the report)."""
        self.text(text, cls="err")

    def table(self, headers: list[str], rows: list[list[Any]], caption: str | None = None) -> None:
        """A table; floats are shown with 4 significant digits."""
        head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
        body = "".join("<tr>" + "".join(f"<td>{_fmt(c)}</td>" for c in r) + "</tr>" for r in rows)
        cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
        self.parts.append(
            f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        )

    def image(
        self,
        image: np.ndarray | str | Path,
        caption: str = "",
        *,
        name: str | None = None,
        width: int | None = None,
    ) -> None:
        """An image: an HWC/HW array (uint8, or float in [0, 1]) or an existing PNG/JPEG file.

        Arrays are written as PNG into ``assets/`` when the report is written.
        """
        fname = self.report._add_asset(image, name or caption or self.title)
        style = f' style="width:{int(width)}px"' if width else ""
        cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
        self.parts.append(
            f'<figure><img src="assets/{fname}" alt="{html.escape(caption)}"{style}>{cap}</figure>'
        )

    def figure(self, fig: Any, caption: str = "", *, name: str | None = None) -> None:
        """A matplotlib figure, rendered to PNG (and closed)."""
        fname = self.report._add_asset_bytes(_figure_png(fig), name or caption or self.title,
                                             ".png")
        cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
        self.parts.append(
            f'<figure><img src="assets/{fname}" alt="{html.escape(caption)}">{cap}</figure>'
        )

    def scene3d(
        self,
        points: Any,
        colors: Any = None,
        *,
        frusta: Any = None,
        caption: str = "",
        max_points: int = 50_000,
        fallback: bool = True,
        name: str | None = None,
    ) -> None:
        """An interactive 3-D view of a point cloud (orbit, pan, zoom; works offline).

        Args:
            points: ``(N, 3)`` points or a reconstruction (see
                :func:`oculi.report.viewer3d.viewer_html`, which takes the same arguments).
            colors: ``(N, 3)`` uint8 RGB, optional.
            frusta: ``(C, 5, 3)`` camera pyramids, optional.
            caption: text under the view.
            max_points: larger clouds are cut to a random subset of this size.
            fallback: also render a static PNG (:func:`oculi.report.viewer3d.plot_scene`,
                about 0.5 s) shown where JavaScript is off.
            name: file stem of that PNG in ``assets/``.
        """
        from oculi.report.viewer3d import plot_scene, viewer_html

        src = None
        if fallback:
            png = _figure_png(plot_scene(points, colors, frusta=frusta))
            src = "assets/" + self.report._add_asset_bytes(png, name or caption or self.title,
                                                           ".png")
        self.parts.append(viewer_html(points, colors, frusta=frusta, caption=caption,
                                      max_points=max_points, fallback=src))


class Report:
    """An HTML report: ``section()`` adds sections, ``write(dir)`` writes ``dir/index.html``."""

    def __init__(self, title: str, intro: str = "") -> None:
        self.title = title
        self.intro = intro
        self.sections: list[Section] = []
        self._assets: dict[str, np.ndarray | Path | bytes] = {}

    def section(self, title: str, text: str | None = None) -> Section:
        """Add and return a new section, optionally starting with a paragraph."""
        sec = Section(title, self)
        self.sections.append(sec)
        if text:
            sec.text(text)
        return sec

    def _unique(self, stem: str, suffix: str) -> str:
        base = _slug(stem)[:60]
        name, k = f"{base}{suffix}", 1
        while name in self._assets:
            k += 1
            name = f"{base}-{k}{suffix}"
        return name

    def _add_asset(self, image: np.ndarray | str | Path, stem: str) -> str:
        if isinstance(image, str | Path):
            src = Path(image)
            name = self._unique(stem, src.suffix.lower() or ".png")
            self._assets[name] = src
            return name
        name = self._unique(stem, ".png")
        self._assets[name] = np.asarray(image)
        return name

    def _add_asset_bytes(self, data: bytes, stem: str, suffix: str) -> str:
        name = self._unique(stem, suffix)
        self._assets[name] = data
        return name

    def render(self) -> str:
        """The page as an HTML string."""
        nav = "".join(
            f'<a href="#{_slug(s.title)}">{html.escape(s.title)}</a>' for s in self.sections
        )
        body = "".join(
            f'<section id="{_slug(s.title)}"><h2>{html.escape(s.title)}</h2>'
            f'{"".join(s.parts)}</section>'
            for s in self.sections
        )
        intro = f"<p>{html.escape(self.intro)}</p>" if self.intro else ""
        return (
            "<!DOCTYPE html><html><head><meta charset='utf-8'>"
            f"<title>{html.escape(self.title)}</title><style>{_CSS}</style></head><body>"
            f"<h1>{html.escape(self.title)}</h1>{intro}<nav>{nav}</nav>{body}</body></html>\n"
        )

    def write(self, out_dir: str | Path) -> Path:
        """Write ``out_dir/index.html`` and its ``assets/``; return the page's path."""
        from oculi.core.atomic import write_bytes_atomic
        from oculi.io.image import write_image

        out = Path(out_dir)
        assets = out / "assets"
        assets.mkdir(parents=True, exist_ok=True)
        for name, item in self._assets.items():
            if isinstance(item, bytes):
                write_bytes_atomic(assets / name, item)
            elif isinstance(item, Path):
                write_bytes_atomic(assets / name, item.read_bytes())
            else:
                write_image(assets / name, item)
        return write_text_atomic(out / "index.html", self.render())
