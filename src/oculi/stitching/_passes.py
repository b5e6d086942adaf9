"""The feature passes of :func:`oculi.stitching.stitch` and when a pass is good enough."""

from __future__ import annotations

from typing import Any

from oculi.core.errors import ParameterError
from oculi.stitching import registration

#: keypoint cap of the last pass when the first ones (``max_keypoints``) leave images unconnected
RETRY_KEYPOINTS = 2000
#: ``features="auto"``: ORB first (a tenth of SIFT's time; its pixel-level keypoints are made
#: sub-pixel by the Lucas–Kanade refinement), SIFT when ORB leaves images unconnected or
#: weakly placed (narrow overlaps, small images: ORB's FAST corners and binary descriptors find
#: too few matches there)
AUTO_FEATURES = ("orb", "sift")
#: a pass other than the last is kept only when every image is placed through pairs with at
#: least this many inliers (the weakest edge of the maximum spanning tree): fewer ORB matches,
#: crowded in a narrow overlap, fix the camera worse than SIFT's (harness corner errors of
#: 1-5 px against 0.1-0.4 px below ~50; the spanning trees of the shared sets have 149 (weir)
#: and 60 (budapest) at their weakest)
FAST_PASS_MIN_INLIERS = 50
#: ORB detects this many times ``max_keypoints``, then keeps ``max_keypoints`` spread over the
#: image (:func:`~oculi.stitching.registration.spread`)
ORB_OVERDETECT = 3


def feature_passes(features: str, max_keypoints: int | None,
                   feature_params: dict[str, Any] | None) -> list[tuple[str, dict[str, Any]]]:
    """``(method, detect_all keyword arguments)`` of the successive feature passes (see
    :func:`~oculi.stitching.stitch`)."""
    fparams = dict(feature_params or {})
    name = features.lower()
    if name == "auto":
        if fparams:
            raise ParameterError("feature_params: name a feature method (features='sift', ...)"
                                 " to pass parameters to it; 'auto' runs several")
        methods = list(AUTO_FEATURES)
    else:
        methods = [name]
    capped = max_keypoints is not None and "max_keypoints" not in fparams
    passes = []
    for m in methods:
        if capped and m == "orb":
            # ORB ranks by corner strength: detect more and keep them spread over the image
            passes.append((m, {**fparams, "max_keypoints": ORB_OVERDETECT * int(max_keypoints),
                               "spread_to": int(max_keypoints)}))
        elif capped and m == "sift":
            passes.append((m, {**fparams, "max_keypoints": int(max_keypoints)}))
        else:
            passes.append((m, fparams))
    last, params = passes[-1]
    if capped and last in ("sift", "orb") and int(max_keypoints) < RETRY_KEYPOINTS:
        more = {"max_keypoints": RETRY_KEYPOINTS} if last == "sift" else \
            {"max_keypoints": ORB_OVERDETECT * RETRY_KEYPOINTS, "spread_to": RETRY_KEYPOINTS}
        passes.append((last, {**params, **more}))
    return passes


def weakest_link(comp: list[int], pairs: list[registration.PairMatch]) -> int:
    """Inliers of the weakest edge of the maximum spanning tree (what places the images)."""
    _, tree = registration.max_spanning_tree(comp, [(p.i, p.j, p.n_inliers) for p in pairs])
    w = {}
    for p in pairs:
        w[(p.i, p.j)] = w[(p.j, p.i)] = p.n_inliers
    return min((w[e] for e in tree), default=0)
