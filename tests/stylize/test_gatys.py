"""Gatys optimisation and colour preservation on tiny images."""

from __future__ import annotations

import numpy as np
import pytest

from oculi.data import load
from oculi.stylize import StyleFeatures, chroma_error, make_objective, match_colors, stylize_gatys
from oculi.stylize.color import rgb_to_yuv


@pytest.fixture(scope="module")
def pair():
    content = load("chelsea", mode="rgb")[60:108, 150:198]
    style = load("coffee", mode="rgb")[100:148, 200:248]
    return content, style


@pytest.fixture(scope="module")
def features():
    return StyleFeatures()


@pytest.mark.parametrize("method", ["lbfgs", "adam"])
def test_gatys_reduces_the_style_loss(pair, features, method):
    content, style = pair
    objective = make_objective(style.astype(np.float32) / 255, features=features)
    r = stylize_gatys(content, style, method=method, steps=6, image_size=None,
                      objective=objective, progress=False)
    first, last = r.history[0], r.losses
    assert len(r.history) >= 5
    assert last["style"] < 0.7 * first["style"]
    assert r.image.shape == content.shape and r.image.dtype == np.uint8
    assert r.method == f"gatys-{method}"


def test_luminance_preservation_keeps_the_content_chroma(pair, features):
    content, style = pair
    plain = stylize_gatys(content, style, steps=4, image_size=None, progress=False,
                          features=features)
    kept = stylize_gatys(content, style, steps=4, image_size=None, preserve_color="luminance",
                         progress=False, features=features)
    assert chroma_error(kept.image, content) < 0.006  # uint8 rounding only
    assert chroma_error(plain.image, content) > 2 * chroma_error(kept.image, content)
    # the luminance did change
    dy = np.abs(rgb_to_yuv(kept.image)[..., 0] - rgb_to_yuv(content)[..., 0]).mean()
    assert dy > 0.01


def test_histogram_matching_moves_the_style_colours_to_the_content(pair):
    content, style = pair
    out = match_colors(style, content)
    c = content.reshape(-1, 3) / 255.0
    o = out.reshape(-1, 3)
    np.testing.assert_allclose(o.mean(0), c.mean(0), atol=0.01)
    np.testing.assert_allclose(np.cov(o.T), np.cov(c.T), atol=0.003)


def test_noise_initialisation_moves_towards_the_content(pair, features):
    content, style = pair
    r = stylize_gatys(content, style, init="noise", steps=6, image_size=None, progress=False,
                      features=features, style_weight=0.0, tv_weight=0.0)
    assert r.history[0]["content"] > 0
    assert r.losses["content"] < 0.7 * r.history[0]["content"]
    again = stylize_gatys(content, style, init="noise", steps=1, image_size=None,
                          progress=False, features=features, seed=1)
    assert again.history[0]["content"] != r.history[0]["content"]  # the seed changes the start
