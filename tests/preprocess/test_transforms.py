"""Transform objects equal their functions; configs round-trip through JSON."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from skimage import data

from oculi.core.errors import DataError, ParameterError, UnknownNameError
from oculi.preprocess import (
    CLAHE,
    TRANSFORMS,
    Gamma,
    LocalMeanSubtraction,
    Pipeline,
    Window,
    create_transform,
    gamma,
    window,
)


def test_transforms_apply_their_functions() -> None:
    cam = data.camera()
    assert np.array_equal(CLAHE(3.0, (4, 4))(cam), cv2.createCLAHE(3.0, (4, 4)).apply(cam))
    assert np.array_equal(create_transform("equalize")(cam), cv2.equalizeHist(cam))
    assert np.array_equal(Gamma(0.7)(cam), gamma(cam, 0.7))
    retina = LocalMeanSubtraction(sigma=5, style="retina")(cam)
    ref = cv2.addWeighted(cam, 4, cv2.GaussianBlur(cam, (0, 0), 5), -4, 128)
    assert np.array_equal(retina, ref)
    hu = np.linspace(-1200, 1200, 50)
    np.testing.assert_array_equal(Window(preset="lung")(hu), window(hu, "lung"))
    np.testing.assert_array_equal(Window(40, 80)(hu), window(hu, 40, 80))
    z = create_transform("standardize")(cam)
    assert abs(float(z.astype(np.float64).std()) - 1) < 1e-6
    n = create_transform("normalize", mean=[0.5], std=[0.25])(cam)
    np.testing.assert_allclose(n, (cam / 255 - 0.5) / 0.25, atol=1e-5)


def test_pipeline_roundtrip(tmp_path: Path) -> None:
    pipe = Pipeline([Gamma(0.8), CLAHE(2.5, (6, 6)), LocalMeanSubtraction(sigma=3.0)])
    path = tmp_path / "pipe.json"
    pipe.save(path)
    loaded = Pipeline.load(path)
    assert loaded.to_config() == pipe.to_config()
    image = data.coins()
    np.testing.assert_array_equal(loaded(image), pipe(image))
    expected = LocalMeanSubtraction(sigma=3.0)(CLAHE(2.5, (6, 6))(Gamma(0.8)(image)))
    np.testing.assert_array_equal(pipe(image), expected)
    assert set(TRANSFORMS.names()) == {
        "clahe", "equalize", "gamma", "local_mean", "normalize", "standardize", "window"}


def test_bad_configs(tmp_path: Path) -> None:
    with pytest.raises(UnknownNameError, match="clahe"):
        create_transform("clahee")
    with pytest.raises(ParameterError, match="clip"):
        create_transform("clahe", clip=3)
    with pytest.raises(ParameterError, match="preset"):
        Window(center=40)
    with pytest.raises(ParameterError, match="cannot save"):
        Pipeline([lambda im: im]).to_config()
    bad = tmp_path / "p.json"
    bad.write_text('{"kind": "x"}')
    with pytest.raises(DataError, match="pipeline"):
        Pipeline.load(bad)
    with pytest.raises(DataError, match="name"):
        Pipeline.from_config([{"gamma": 1.0}])
    bad.write_text('[{"name": "gamma",')  # truncated file
    with pytest.raises(DataError, match="invalid JSON"):
        Pipeline.load(bad)
