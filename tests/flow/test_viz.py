from __future__ import annotations

import numpy as np
import pytest

from oculi.flow import color_wheel, draw_flow_arrows, flow_legend, flow_to_color


def test_wheel_has_55_hues_starting_at_red():
    wheel = color_wheel()
    assert wheel.shape == (55, 3)
    assert wheel[0].tolist() == [255, 0, 0]
    assert wheel[15].tolist() == [255, 255, 0]  # red -> yellow takes the first 15
    assert wheel[21].tolist() == [0, 255, 0]
    assert wheel[25].tolist() == [0, 255, 255]
    assert wheel[36].tolist() == [0, 0, 255]
    assert wheel[49].tolist() == [255, 0, 255]


def _color(u: float, v: float, max_flow: float = 1.0) -> list[int]:
    return flow_to_color(np.array([[[u, v]]], np.float32), max_flow=max_flow)[0, 0].tolist()


def test_directions_follow_the_middlebury_key():
    assert _color(0, 0) == [255, 255, 255]  # no motion: white
    assert _color(1, 0) == [255, 0, 0]  # full-length motion to the right: red
    # to the left: hue index 27 of 55, between cyan and blue
    assert _color(-1, 0) == [0, int(255 * (1 - 2 / 11)), 255]
    # half length: halfway to white
    assert _color(0.5, 0) == [255, 127, 127]
    # longer than max_flow: darkened to 75 %
    assert _color(2, 0) == [191, 0, 0]


def test_unknown_is_black_and_auto_scaling():
    flow = np.array([[[2.0, 0.0], [np.nan, np.nan], [1.0, 0.0]]], np.float32)
    img = flow_to_color(flow)
    assert img[0, 1].tolist() == [0, 0, 0]
    assert img[0, 0].tolist() == [255, 0, 0]  # the largest motion is fully saturated
    assert img[0, 2].tolist() == [255, 127, 127]


def test_legend():
    key = flow_legend(101)
    assert key.shape == (101, 101, 3)
    assert key[0, 0].tolist() == [255, 255, 255]  # outside the disc
    r, g, b = key[52, 98].tolist()  # near the right edge, just off the axis: almost pure red
    assert r == 255 and g < 40 and b < 40
    assert key[50, 20].tolist() == [96, 96, 96]  # the grey axis
    with_legend = flow_to_color(np.zeros((80, 80, 2), np.float32), legend=True)
    np.testing.assert_array_equal(with_legend[-20:, -20:], flow_legend(20))


def test_arrows_drawn_where_flow_is():
    image = np.zeros((40, 40), np.uint8)
    flow = np.zeros((40, 40, 2), np.float32)
    flow[20, 20] = (10, 0)
    out = draw_flow_arrows(image, flow, step=40, color=(0, 255, 0))
    assert out.shape == (40, 40, 3)
    assert out[20, 25, 1] > 0 and out[20, 25, 0] == 0  # on the arrow's shaft
    assert out[5, 5].tolist() == [0, 0, 0]
    with pytest.raises(ValueError, match="match"):
        draw_flow_arrows(image, np.zeros((30, 40, 2), np.float32))


def test_arrows_draw_on_a_copy_of_a_read_only_frame():
    image = np.zeros((40, 40, 3), np.uint8)
    image.setflags(write=False)  # as oculi.io.read_image returns them
    flow = np.zeros((40, 40, 2), np.float32)
    flow[20, 20] = (10, 0)
    out = draw_flow_arrows(image, flow, step=40)
    assert out[20, 25, 0] > 0 and not image.any()
    writable = np.zeros((40, 40, 3), np.uint8)
    draw_flow_arrows(writable, flow, step=40)
    assert not writable.any()  # the caller's frame is left alone
