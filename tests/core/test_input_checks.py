"""The public image-taking entry points refuse ``None``, bytes, strings, lists of strings and
NaN sizes with an oculi error naming the argument (they raised TypeError/AttributeError/
ValueError from deep inside), through the shared checks of :mod:`oculi.core.checks`."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from oculi.core.checks import check_images, check_number, check_path, check_paths, check_size
from oculi.core.errors import DTypeError, OculiError, ParameterError
from oculi.data import load, sample_path

BAD_INPUTS = [None, b"\x89PNG\r\n", ["a.png", "b.png"], math.nan, 3]


@pytest.mark.parametrize("value", BAD_INPUTS, ids=repr)
def test_read_image_refuses_what_is_not_a_path(value):
    from oculi.io import read_image

    with pytest.raises(DTypeError, match=r"^path: expected a file path \(str or os.PathLike\)"):
        read_image(value)


@pytest.mark.parametrize("key", ["max_size", "short_side", "max_pixels", "scale"])
@pytest.mark.parametrize("value", [math.nan, math.inf, "512", [512]], ids=repr)
def test_read_image_refuses_nan_and_non_numeric_sizes(key, value):
    from oculi.io import read_image

    # NaN and inf sizes were accepted silently (every comparison with NaN is false)
    with pytest.raises(ParameterError, match=f"^{key}: expected"):
        read_image(sample_path("chelsea"), **{key: value})


def test_decode_image_refuses_a_path():
    from oculi.io import decode_image

    with pytest.raises(DTypeError, match="data: expected encoded image bytes, got str — for a "
                                         "file use read_image"):
        decode_image("photo.png")


@pytest.mark.parametrize("value", [None, "a.png", b"abc", math.nan, [None], ["a.png"]],
                         ids=repr)
def test_detect_refuses_what_is_not_a_list_of_images(value):
    from oculi.detect import detect

    with pytest.raises(DTypeError, match=r"^images(\[0\])?: expected"):
        detect(value, "hog-people")


def test_detect_and_detect_files_take_one_image_or_one_path(tmp_path):
    from oculi.detect import detect, detect_files
    from oculi.io import write_image

    image = load("rocket")
    assert len(detect(image, "hog-people")) == 1  # one array is one image, not its rows
    path = write_image(tmp_path / "r.png", image)
    results, failures = detect_files(str(path), "hog-people")  # not one file per character
    assert list(results) == [str(path)] and failures == {}
    with pytest.raises(DTypeError, match=r"^paths: expected a list of file paths, got None"):
        detect_files(None, "hog-people")
    with pytest.raises(DTypeError, match=r"^paths\[1\]: expected a file path"):
        detect_files([path, b"x.png"], "hog-people")


def test_classify_files_refuses_none_before_loading_a_model():
    from oculi.classify import classify_files

    with pytest.raises(DTypeError, match=r"^paths: expected a list of file paths, got None"):
        classify_files(None, "resnet18", allow_download=False)


@pytest.mark.parametrize("value", [None, "5", b"5", [5], math.nan], ids=repr)
def test_flow_sizes_are_parameter_errors(value):
    from oculi.flow import compute_flow

    frame = load("camera")[:64, :64]
    with pytest.raises(ParameterError, match=r"^levels: expected"):
        compute_flow(frame, frame, "farneback", levels=value)


@pytest.mark.parametrize("value", [None, b"abc", ["a.png"], "x.png"], ids=repr)
def test_image_functions_refuse_non_arrays(value):
    from oculi.features import detect_and_describe
    from oculi.flow import compute_flow

    frame = load("camera")[:64, :64]
    with pytest.raises(OculiError):
        detect_and_describe(value)
    with pytest.raises(OculiError):
        compute_flow(frame, value)


def test_the_shared_checks():
    assert check_size(512.0, "n") == 512 and check_size(None, "n") is None
    for bad in (0, -1, 2.5, math.nan, math.inf, "8", None):
        with pytest.raises(ParameterError):
            check_size(bad, "n", allow_none=False)
    assert check_number(np.float32(2), "x") == 2 and check_number(np.array([3.0]), "x") == 3
    with pytest.raises(ParameterError, match="x: expected a number, got str '1'"):
        check_number("1", "x")
    with pytest.raises(DTypeError, match="one path at a time"):
        check_path(("a", "b"))
    assert [str(p) for p in check_paths(("a.png", "b.png"))] == ["a.png", "b.png"]
    stack = np.zeros((2, 8, 8, 3), np.uint8)
    assert len(check_images(stack)) == 2 and len(check_images(stack[0])) == 1
    with pytest.raises(DTypeError, match=r"images\[1\]: expected a numpy array, got str — read "
                                         r"files with oculi.io.read_image first"):
        check_images([stack[0], "b.png"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_images((stack[0],))
