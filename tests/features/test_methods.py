"""The method registry: every method on every kind of image, parity with OpenCV, bad input."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from oculi.core.errors import ParameterError, ShapeError, UnknownNameError
from oculi.data import load
from oculi.features import create_method, detect_and_describe, detect_keypoints, feature_methods
from oculi.features.methods import SIFT_XY_OFFSET
from oculi.features.types import Keypoints

ALL = ["sift", "surf", "usurf", "fast", "brief", "orb", "brisk", "akaze"]
DESC = {"sift": (128, "float"), "surf": (64, "float"), "usurf": (64, "float"),
        "brief": (32, "binary"), "orb": (32, "binary"), "brisk": (64, "binary"),
        "akaze": (61, "binary")}


def test_registry_lists_the_seven_methods_usurf_and_asift():
    assert sorted(feature_methods.names()) == sorted([*ALL, "asift"])


def test_unknown_method_lists_the_known_ones():
    with pytest.raises(UnknownNameError) as exc:
        detect_and_describe(load("camera"), "surff")
    msg = str(exc.value)
    assert "'surf'" in msg and all(name in msg for name in ALL)


@pytest.mark.parametrize("name", ALL)
def test_every_method_on_gray_and_colour(name):
    rgb = cv2.resize(load("astronaut"), (256, 256), interpolation=cv2.INTER_AREA)
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    for img in (rgb, gray, rgb.astype(np.float32) / 255):
        f = detect_and_describe(img, name)
        assert len(f) > 20, name
        assert f.image_size == (256, 256)
        assert np.all((f.xy >= 0) & (f.xy < 256))
        if name == "fast":
            assert f.descriptors is None and f.kind is None
        else:
            width, kind = DESC[name]
            assert f.descriptors.shape == (len(f), width) and f.kind == kind
            assert f.norm == ("l2" if kind == "float" else "hamming")
            assert f.descriptors.dtype == (np.float32 if kind == "float" else np.uint8)


@pytest.mark.parametrize("name", ALL)
def test_degenerate_images_give_zero_keypoints(name):
    for img in (np.zeros((0, 0), np.uint8), np.zeros((0, 5, 3), np.uint8),
                np.zeros((1, 1), np.uint8), np.full((120, 90), 77, np.uint8),
                np.zeros((4, 4, 3), np.float32)):
        f = detect_and_describe(img, name)
        assert len(f) == 0
        if name != "fast":
            assert f.descriptors.shape[0] == 0


def test_sift_and_orb_equal_opencv_output():
    gray = load("camera")
    ours = detect_and_describe(gray, "sift")
    kps, desc = cv2.SIFT_create().detectAndCompute(gray, None)
    assert len(ours) == len(kps)
    np.testing.assert_allclose(ours.xy, cv2.KeyPoint_convert(kps) - SIFT_XY_OFFSET, atol=1e-4)
    np.testing.assert_array_equal(ours.descriptors, desc)
    orb = detect_and_describe(gray, "orb", max_keypoints=500)
    kps, desc = cv2.ORB_create(nfeatures=500).detectAndCompute(gray, None)
    np.testing.assert_array_equal(orb.descriptors, desc)
    assert orb.keypoints.angle == pytest.approx([k.angle for k in kps], abs=1e-3)


def _mirror_offset(detect) -> np.ndarray:
    """Median offset from the pixel-centre convention: detections on an image and on its
    180-degree rotation must mirror each other (``x_a + x_b = w - 1``)."""
    from scipy.spatial import cKDTree

    im = load("astronaut", mode="gray")
    h, w = im.shape
    a = detect(im).astype(float)
    b = detect(np.ascontiguousarray(im[::-1, ::-1])).astype(float)
    d, i = cKDTree(np.c_[w - 1 - b[:, 0], h - 1 - b[:, 1]]).query(a)
    ok = d < 1.5
    assert ok.sum() > 500
    return np.median((a[ok] + b[i[ok]] - [w - 1, h - 1]) / 2, axis=0)


def test_sift_keypoint_offset_is_measured_and_removed():
    """OpenCV's SIFT reports x + 0.25: detections on an image and on its 180-degree rotation
    mirror each other only after removing the offset, which the ``sift`` method does."""
    sift = cv2.SIFT_create()
    raw = _mirror_offset(lambda g: cv2.KeyPoint_convert(sift.detect(g, None)))
    np.testing.assert_allclose(raw, SIFT_XY_OFFSET, atol=0.02)
    ours = _mirror_offset(lambda g: detect_keypoints(g, "sift").xy)
    np.testing.assert_allclose(ours, 0.0, atol=0.02)


def test_fast_equals_opencv_and_has_no_angle():
    gray = load("camera")
    k = detect_keypoints(gray, "fast", threshold=30)
    ref = cv2.FastFeatureDetector_create(threshold=30).detect(gray, None)
    assert len(k) == len(ref)
    assert np.all(np.isnan(k.angle))


@pytest.mark.parametrize(("name", "threshold", "nonmax"), [
    ("camera", 20, True), ("coins", 10, True), ("astronaut", 40, True), ("camera", 20, False)])
def test_fast_fields_equal_opencv_keypoints(name, threshold, nonmax):
    """The FAST wrapper reads only positions from OpenCV and recomputes the score: every field
    equals the full conversion of OpenCV's keypoints (response = OpenCV's FAST score)."""
    gray = load(name, mode="gray")
    ours = detect_keypoints(gray, "fast", threshold=threshold, nonmax=nonmax)
    det = cv2.FastFeatureDetector_create(threshold=threshold, nonmaxSuppression=nonmax)
    ref = Keypoints.from_cv(det.detect(gray, None))
    assert len(ours) == len(ref) > 100
    for field in ("xy", "size", "response", "octave"):
        np.testing.assert_array_equal(getattr(ours, field), getattr(ref, field), err_msg=field)
    assert np.all(np.isnan(ours.angle)) and np.all(np.isnan(ref.angle))
    assert ours.response.min() >= (threshold if nonmax else 0)


def test_bad_input_and_parameters():
    m = create_method("surf")
    with pytest.raises(ShapeError):
        m(np.zeros((10, 10, 2), np.uint8))
    with pytest.raises(ParameterError, match="unknown parameter"):
        create_method("surf", octavs=3)


def test_method_info_has_table_facts():
    from oculi.features import method_info

    assert method_info("SURF")["year"] == 2006
    assert method_info("orb")["distance"] == "Hamming"


def test_registry_does_not_hide_the_methods_module():
    import types

    import oculi.features
    import oculi.features.methods as mod
    from oculi.core.registry import Registry

    assert isinstance(mod, types.ModuleType) and mod.SIFT_XY_OFFSET == SIFT_XY_OFFSET
    assert oculi.features.methods is mod
    assert isinstance(oculi.features.feature_methods, Registry)
    with pytest.warns(DeprecationWarning, match="feature_methods"):
        assert mod.methods is feature_methods


def test_every_method_registers_its_table_facts():
    from oculi.features import method_info

    for entry in feature_methods.entries():
        assert set(entry.meta) == {"year", "detector", "orientation", "distance", "descriptor"}
        assert method_info(entry.name) == entry.meta
        assert create_method(entry.name).info == entry.meta


@pytest.mark.parametrize("name", sorted(feature_methods.names()))
def test_nan_or_inf_image_is_an_error_not_zero_keypoints(name):
    # a float image with NaN gave 0 keypoints silently
    from oculi.core.errors import ValueRangeError

    img = load("camera", mode="gray").astype(np.float32) / 255
    assert len(detect_keypoints(img, name)) > 0
    for bad in (np.nan, np.inf):
        img2 = img.copy()
        img2[10, 10] = bad
        with pytest.raises(ValueRangeError, match="image: 1 NaN or infinite"):
            detect_and_describe(img2, name)
        with pytest.raises(ValueRangeError, match="NaN or infinite"):
            detect_keypoints(img2, name)
