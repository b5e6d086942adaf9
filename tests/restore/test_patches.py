"""oculi.restore.patches.read_short_side: the reader the stylize and colorize crops share."""

import cv2
import numpy as np

from oculi.io import write_image


def test_read_short_side_scales_the_shorter_side(tmp_path):
    from oculi.restore.patches import read_short_side

    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (60, 90, 3), dtype=np.uint8)
    write_image(tmp_path / "a.png", image)
    down = read_short_side(str(tmp_path / "a.png"), 30)
    assert down.shape == (30, 45, 3) and down.dtype == np.uint8
    np.testing.assert_array_equal(down, cv2.resize(image, (45, 30), interpolation=cv2.INTER_AREA))
    up = read_short_side(str(tmp_path / "a.png"), 120)
    assert up.shape == (120, 180, 3)
    np.testing.assert_array_equal(up, cv2.resize(image, (180, 120),
                                                 interpolation=cv2.INTER_CUBIC))


def test_image_files_lists_images_recursively_in_name_order(tmp_path):
    from oculi.restore.patches import image_files

    image = np.zeros((8, 8, 3), np.uint8)
    (tmp_path / "sub").mkdir()
    for name in ("b.png", "sub/a.JPG", "c.ppm"):
        write_image(tmp_path / name, image)
    (tmp_path / "notes.txt").write_text("x")
    assert image_files(tmp_path) == sorted(str(tmp_path / n) for n in ("b.png", "c.ppm",
                                                                         "sub/a.JPG"))
