"""``oculi`` root command. Topics are added from the explicit list below (no import-order magic).

Each topic module defines a Typer ``app`` (see :func:`oculi.cli._common.topic_app`) or a single
command function; heavy imports (torch, OpenCV) happen inside commands, so ``oculi --help`` is fast.
"""

from __future__ import annotations

import atexit
import gc
import importlib

import typer

from oculi.cli._common import DEBUG, OculiGroup, start_command

app = typer.Typer(
    name="oculi",
    help="oculi: computer vision toolkit — features, stitching, flow, CNNs, explainability.",
    cls=OculiGroup,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

#: (name, module, attribute, kind): kind "app" adds a sub-app, "command" adds one command.
TOPICS: list[tuple[str, str, str, str]] = [
    ("info", "oculi.cli.basic", "info", "command"),
    ("convert", "oculi.cli.basic", "convert", "command"),
    ("tour", "oculi.cli.basic", "tour", "command"),
    ("stitch", "oculi.cli.stitching", "stitch", "command"),
    ("homography", "oculi.cli.geometry", "homography", "command"),
    ("ocr", "oculi.cli.ocr", "app", "app"),
    ("preprocess", "oculi.cli.preprocess", "app", "app"),
    ("dicom", "oculi.cli.dicom", "app", "app"),
    ("features", "oculi.cli.features", "app", "app"),
    ("models", "oculi.cli.models", "app", "app"),
    ("classify", "oculi.cli.models", "classify", "command"),
    ("train", "oculi.cli.train", "train_app", "app"),
    ("eval", "oculi.cli.train", "eval_app", "app"),
    ("detect", "oculi.cli.detect", "app", "app"),
    ("segment", "oculi.cli.segment", "app", "app"),
    ("explain", "oculi.cli.explain", "app", "app"),
    ("flow", "oculi.cli.flow", "app", "app"),
    ("video", "oculi.cli.video", "app", "app"),
    ("track", "oculi.cli.track", "app", "app"),
    ("mot", "oculi.cli.mot", "app", "app"),
    ("vo", "oculi.cli.vo", "vo", "command"),
    ("stereo", "oculi.cli.stereo", "app", "app"),
    ("normals", "oculi.cli.stereo", "normals", "command"),  # = oculi stereo normals
    ("sfm", "oculi.cli.sfm", "sfm", "command"),
    ("depth", "oculi.cli.depth", "depth", "command"),
    ("place", "oculi.cli.place", "app", "app"),
    ("upscale", "oculi.cli.restore", "upscale", "command"),
    ("denoise", "oculi.cli.restore", "denoise", "command"),
    ("enhance", "oculi.cli.restore", "enhance", "command"),
    ("colorize", "oculi.cli.colorize", "colorize", "command"),
    ("action", "oculi.cli.action", "app", "app"),
    ("ui", "oculi.cli.ui", "ui", "command"),
    ("batch", "oculi.cli.batch", "batch", "command"),
    ("tune", "oculi.cli.tune", "tune", "command"),
    ("stylize", "oculi.cli.stylize", "stylize", "command"),
    ("generate", "oculi.cli.generate", "generate", "command"),
    ("compress", "oculi.cli.compress", "compress", "command"),
    ("decompress", "oculi.cli.compress", "decompress", "command"),
]


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks on errors."),
    verbose: bool = typer.Option(False, "--verbose", "-v",
                                 help="Say how long each model took to load."),
) -> None:
    DEBUG["on"] = debug
    start_command(verbose)


def _install_topics() -> None:
    for name, module, attr, kind in TOPICS:
        obj = getattr(importlib.import_module(module), attr)
        if kind == "app":
            app.add_typer(obj, name=name)
        else:
            app.command(name)(obj)


_install_topics()


def main() -> None:
    """Console-script entry point.

    At exit the interpreter's objects are frozen out of the garbage collector: its final
    sweep would otherwise traverse every object the command's libraries made (numba's typing
    objects, torch's modules) only to free memory the process gives back anyway, 0.1-0.2 s of
    every numba or torch command on this machine. Objects still reachable are freed as before
    and ``atexit`` handlers run first (they are not changed); only ``__del__`` of garbage in
    reference cycles at exit, which Python does not promise, is skipped.
    """
    atexit.unregister(gc.freeze)  # once, however often main is called in one process
    atexit.register(gc.freeze)
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
