"""Video style transfer: the temporal loss and the warping error."""

from __future__ import annotations

import numpy as np
import torch

from oculi.data import load
from oculi.stylize import TransformerNet, occlusion_mask, stylize_video, temporal_warping_error


def _net():
    torch.manual_seed(0)
    return TransformerNet(width=4, blocks=1).eval()


def test_static_video_has_zero_temporal_error():
    frame = load("astronaut", mode="rgb")[100:164, 150:214]
    frames = [frame.copy() for _ in range(3)]
    for weight in (0.0, 2.0):
        r = stylize_video(frames, run=_net(), temporal_weight=weight, image_size=None)
        assert r.warping_error == 0.0 and len(r.frame_errors) == 2


def test_temporal_loss_lowers_the_warping_error_of_a_panning_video():
    image = load("astronaut", mode="rgb")
    frames = [image[100:164, 150 + 3 * t:214 + 3 * t] for t in range(4)]
    rng = np.random.default_rng(0)
    # a per-frame stylisation with flicker: independent noise on each frame
    noisy = [np.clip(f + rng.normal(0, 20, f.shape), 0, 255).astype(np.uint8) for f in frames]
    err_noisy = temporal_warping_error(noisy, frames)[0]
    err_clean = temporal_warping_error(frames, frames)[0]
    assert err_clean < 0.2 * err_noisy
    ind = stylize_video(frames, run=_net(), temporal_weight=0, image_size=None)
    tmp = stylize_video(frames, run=_net(), temporal_weight=4.0, image_size=None)
    assert tmp.warping_error < ind.warping_error


def test_occlusion_mask_forward_backward():
    f = np.zeros((20, 30, 2), np.float32)
    f[..., 0] = 2.0
    b = -f.copy()
    m = occlusion_mask(f, b)
    assert m[:, :28].all() and not m[:, 29].any()  # samples past the right edge are out
    b[5:10, 5:10] = 5.0  # inconsistent backward flow there
    assert not occlusion_mask(f, b)[5:10, 3:8].any()
