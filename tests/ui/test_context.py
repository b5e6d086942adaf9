"""The tab context without a browser: errors in one line, fresh output paths, examples, and the
offline settings applied before gradio is imported."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from oculi.core.errors import ImageReadError, ParameterError
from oculi.ui.context import TabContext, error_message, make_context, one_line


def test_importing_oculi_ui_imports_neither_gradio_nor_torch() -> None:
    code = ("import sys, os, oculi.ui; "
            "assert 'gradio' not in sys.modules and 'torch' not in sys.modules, 'heavy'; "
            "assert os.environ['GRADIO_ANALYTICS_ENABLED'] == 'False'; "
            "assert os.environ['HF_HUB_OFFLINE'] == '1'")
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "True"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)


def test_error_messages_are_one_line() -> None:
    assert one_line(ValueError("a\n  b\tc")) == "a b c"
    assert one_line(RuntimeError()) == "RuntimeError"
    assert error_message(ParameterError("ratio: expected\n0..1")) == "ratio: expected 0..1"
    assert error_message(KeyError("x")) == "unexpected error (KeyError): 'x'"


def test_guard_turns_errors_into_gradio_errors(tmp_path) -> None:
    gr = pytest.importorskip("gradio")
    ctx = make_context(tmp_path)
    upload = ctx.root / "uploads" / "3f9a" / "photo.png"

    def bad(path):
        raise ImageReadError(f"{path}: not an image\n(text)")

    with pytest.raises(gr.Error) as err:
        ctx.guard(bad)(str(upload))
    assert err.value.message == "photo.png: not an image (text)"
    with pytest.raises(gr.Error) as err:
        ctx.guard(lambda: 1 / 0)()
    assert err.value.message == "unexpected error (ZeroDivisionError): division by zero"


def test_guard_hands_progress_on_and_keeps_results(tmp_path) -> None:
    gr = pytest.importorskip("gradio")
    import inspect

    ctx = make_context(tmp_path)
    seen = []

    def with_progress(a, b, progress=None):
        seen.append(progress)
        return a + b

    wrapped = ctx.guard(with_progress)
    params = inspect.signature(wrapped).parameters
    assert list(params) == ["a", "b", "progress"]
    assert isinstance(params["progress"].default, gr.Progress)  # Gradio injects it
    marker = gr.Progress()
    assert wrapped(1, 2, marker) == 3 and seen == [marker]
    assert ctx.guard(lambda a: a * 2)(21) == 42


def test_output_paths_are_fresh_and_in_the_work_dir(tmp_path) -> None:
    ctx = make_context(tmp_path)
    paths = {ctx.output_path("matches", ".png") for _ in range(50)}
    assert len(paths) == 50
    assert all(p.parent == ctx.work_dir and p.suffix == ".png" for p in paths)
    assert all(p.name.startswith("matches-") for p in paths)


def test_examples_are_written_once_from_the_samples(tmp_path) -> None:
    from oculi.data import load
    from oculi.flow import read_flo
    from oculi.io import read_image
    from oculi.ui.examples import flow_pair

    ctx = TabContext(tmp_path)
    path = ctx.example("chelsea")
    assert np.array_equal(read_image(path), load("chelsea", mode="rgb"))
    stamp = path.stat().st_mtime_ns
    assert ctx.example("Chelsea") == path and path.stat().st_mtime_ns == stamp
    f1, f2, gt = flow_pair()
    assert np.array_equal(read_image(ctx.example("flow-1")), f1)
    assert np.array_equal(read_image(ctx.example("flow-2")), f2)
    assert np.allclose(read_flo(ctx.example("flow-gt")), gt)
    with pytest.raises(KeyError, match="did you mean 'chelsea'"):
        ctx.example("chelsae")
