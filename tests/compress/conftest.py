"""A tiny random-initialised codec per architecture, with latents scaled up so that rounding
gives many distinct symbols (a freshly initialised analysis transform outputs values far
below one quantisation step)."""

import pytest
import torch


def tiny_codec(kind: str, seed: int = 0, gain: float = 40.0):
    from oculi.compress import build_codec

    torch.manual_seed(seed)
    model = build_codec({"model": kind, "channels": 8, "latent_channels": 12})
    with torch.no_grad():
        model.g_a[-1].weight.mul_(gain)
        model.g_a[-1].bias.uniform_(-3, 3)
    return model.eval()


@pytest.fixture(params=["factorized", "hyperprior"])
def codec(request):
    return tiny_codec(request.param)
