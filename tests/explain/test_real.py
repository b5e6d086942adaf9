"""Real ImageNet weights (EfficientNet-Lite0 through oculi.models) on the embedded photos."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from oculi.core.convert import to_tensor_batch
from oculi.data import load
from oculi.explain import gradcam, normalize_maps
from oculi.explain._base import upsample
from oculi.explain.metrics import deletion_auc, pointing_game

# Boxes drawn by hand on skimage.data.chelsea() (451x300), xyxy in original pixels:
# the whole head (left cheek to right ear, top to bottom edge) and its core (eyes, nose, mouth).
CHELSEA_HEAD = (35.0, 0.0, 375.0, 300.0)
CHELSEA_FACE = (110.0, 50.0, 365.0, 290.0)


def test_gradcam_points_at_the_cat(lite0) -> None:
    image = to_tensor_batch(load("chelsea"))  # (1, 3, 300, 451)
    x = F.interpolate(image, size=(224, 337), mode="bilinear", antialias=True).clamp(0, 1)
    sx, sy = 337 / 451, 224 / 300
    face = [CHELSEA_FACE[0] * sx, CHELSEA_FACE[1] * sy, CHELSEA_FACE[2] * sx,
            CHELSEA_FACE[3] * sy]
    head = [CHELSEA_HEAD[0] * sx, CHELSEA_HEAD[1] * sy, CHELSEA_HEAD[2] * sx,
            CHELSEA_HEAD[3] * sy]
    names = lite0.class_names
    cats = [names.index(n) for n in ("tabby", "tiger cat", "Egyptian cat")]
    e = gradcam(lite0, x.expand(3, -1, -1, -1), cats)
    assert e.maps.shape == (3, 224, 337)
    assert pointing_game(e.maps[:2], [face, face], tolerance=0).all()  # tabby, tiger cat
    assert pointing_game(e.maps, [head] * 3, tolerance=0).all()
    # and the top prediction is one of the three
    assert int(lite0(x).argmax()) in cats


def test_gradcam_deletion_beats_random_maps(lite0, photos) -> None:
    e = gradcam(lite0, photos)
    ours = deletion_auc(lite0, photos, e.maps, e.targets, steps=6)
    gen = torch.Generator().manual_seed(0)
    rand = torch.stack([
        deletion_auc(lite0, photos, normalize_maps(upsample(torch.rand(e.raw.shape, generator=gen),
                                                            (224, 224))), e.targets, steps=6)
        for _ in range(2)
    ])
    assert float(ours.mean()) < float(rand.mean()) - 0.02, (ours, rand)


@pytest.mark.slow
def test_guided_backprop_real_weights_differs_from_gradient(lite0, photos) -> None:
    from oculi.explain import guided_backprop, saliency

    g = guided_backprop(lite0, photos[:2]).attributions
    s = saliency(lite0, photos[:2]).attributions
    assert float((g - s).abs().max()) > 0.1 * float(s.abs().max())
