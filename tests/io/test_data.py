import numpy as np

from oculi.data import load, names, sample_path


def test_every_sample_is_embedded_and_readable():
    assert len(names()) >= 20
    for name in names():
        assert sample_path(name).is_file(), name
        image = load(name, mode="rgb")
        assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
        assert min(image.shape[:2]) >= 64
