"""Example inputs for the tabs, made from the samples the tour uses (nothing is downloaded).

Each example is a file written once into the app's ``examples`` folder the first time a tab asks
for it (:meth:`oculi.ui.context.TabContext.example`). Add one with a writer function that takes
the target path::

    @examples.register("name", help="what it is", suffix=".png")
    def _name(path): write_image(path, ...)
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

import numpy as np

from oculi.core.registry import Registry

#: name -> writer(path) of the example file; metadata ``suffix`` (with the dot)
examples: Registry[Callable[[Path], object]] = Registry("ui example")


def _write_image(path: Path, image: np.ndarray) -> None:
    from oculi.io import write_image

    write_image(path, image)


def _sample(name: str) -> Callable[[Path], None]:
    def _write(path: Path) -> None:
        from oculi.data import load

        _write_image(path, load(name, mode="unchanged"))

    return _write


for _name in ("chelsea", "astronaut", "coins", "coffee", "camera", "page", "rocket"):
    examples.register(_name, _sample(_name), help=f"the embedded '{_name}' sample", suffix=".png")


@cache
def flow_pair() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The flow tab's example: 'astronaut' at 256x256 moved by a known affine motion.

    Returns:
        frame 1, frame 2 (HxWx3 uint8) and the true flow (HxWx2 float32, px), as
        :func:`oculi.flow.synthetic.affine_pair` makes them (rotation 3°, zoom 1.04,
        shift (6.4, -4) px).
    """
    import cv2

    from oculi.data import load
    from oculi.flow.synthetic import affine_pair

    image = cv2.resize(load("astronaut", mode="rgb"), (256, 256), interpolation=cv2.INTER_AREA)
    return affine_pair(image, rotation=3.0, scale=1.04, shift=(6.4, -4.0))


@examples.register("flow-1", help="flow pair, frame 1 (astronaut, 256x256)", suffix=".png")
def _flow_1(path: Path) -> None:
    _write_image(path, flow_pair()[0])


@examples.register("flow-2", help="flow pair, frame 2 (known affine motion)", suffix=".png")
def _flow_2(path: Path) -> None:
    _write_image(path, flow_pair()[1])


@examples.register("flow-gt", help="flow pair, true flow (Middlebury .flo)", suffix=".flo")
def _flow_gt(path: Path) -> None:
    from oculi.flow import write_flo

    write_flo(path, flow_pair()[2])


@cache
def _views() -> list[np.ndarray]:
    from oculi.stitching import rotating_views

    return list(rotating_views(3, overlap=0.4, size=(240, 320), seed=0).images)


def _view(index: int) -> Callable[[Path], None]:
    def _write(path: Path) -> None:
        _write_image(path, _views()[index])

    return _write


for _i in range(3):
    examples.register(f"stitch-{_i + 1}", _view(_i), suffix=".png",
                      help=f"view {_i + 1} of 3 of a turning camera (overlap 40 %)")


def _stereo(side: str) -> Callable[[Path], None]:
    def _write(path: Path) -> None:
        from oculi.stereo import load_motorcycle

        _write_image(path, getattr(load_motorcycle(scale=0.5), side))

    return _write


examples.register("stereo-left", _stereo("left"), suffix=".png",
                  help="Middlebury 'Motorcycle', left view at half size")
examples.register("stereo-right", _stereo("right"), suffix=".png",
                  help="Middlebury 'Motorcycle', right view at half size")

#: the text of the synthetic OCR page
PAGE_TEXT = (
    "Optical character recognition turns images\n"
    "of text into strings. oculi cleans the page\n"
    "and then reads it with Tesseract."
)


@examples.register("ocr-page", help="a rendered page with known text, rotated 3°", suffix=".png")
def _ocr_page(path: Path) -> None:
    from oculi.ocr.synth import render_page

    _write_image(path, render_page(PAGE_TEXT, font_size=22, angle=-3.0, noise=6.0))


def example_path(name: str, folder: Path) -> Path:
    """The file of example ``name`` in ``folder``, written (atomically) if it is not there yet.

    Raises:
        UnknownNameError: no such example; the message lists the known ones.
    """
    entry = examples.entry(name)
    path = Path(folder) / f"{entry.name}{entry.meta.get('suffix', '.png')}"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        entry.obj(path)
    return path
