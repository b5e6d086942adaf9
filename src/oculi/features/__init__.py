"""Feature detection, description, matching and evaluation.

One API over SIFT, SURF (oculi's own), FAST, BRIEF, ORB, BRISK, AKAZE and ASIFT (affine view
simulation around any of them, for extreme viewpoint changes)::

    from oculi.features import detect_and_describe, match_descriptors
    f1 = detect_and_describe(image1, "surf")
    f2 = detect_and_describe(image2, "surf")
    matches = match_descriptors(f1, f2, ratio=0.8, mutual=True)
    xy1, xy2 = matches.points(f1, f2)

Results are plain arrays: :class:`Keypoints` (x, y, size, angle in degrees, response, octave),
:class:`Features` (keypoints + descriptors with their kind and norm) and :class:`Matches` (index
arrays + distances). :func:`find_correspondences` gives matched points of two images by a feature
method or a pair matcher (``asift``; ``aliked-lightglue`` and ``disk-lightglue`` with the optional
``learned`` extra). SURF may still be covered by patents in some countries for commercial use.
"""

from oculi.features.asift import (
    AsiftMethod,
    dedupe_matches,
    detect_and_describe_asift,
    match_simulated,
    simulations,
)
from oculi.features.compare import DEFAULT_METHODS, MethodSummary, compare_methods, format_table
from oculi.features.correspond import (
    Correspondences,
    find_correspondences,
    matcher_names,
    pair_matchers,
)
from oculi.features.datasets import HomographyPair, load_pairs, read_homography
from oculi.features.evaluate import (
    PairResult,
    corner_error,
    evaluate_pair,
    project,
    repeatability,
)
from oculi.features.match import match_descriptors, mutual_nearest, ratio_test
from oculi.features.methods import (
    FeatureMethod,
    create_method,
    detect_and_describe,
    detect_keypoints,
    feature_methods,
    method_info,
)
from oculi.features.surf import detect_and_describe_surf
from oculi.features.types import Features, Keypoints, Matches

__all__ = [
    "DEFAULT_METHODS",
    "AsiftMethod",
    "Correspondences",
    "FeatureMethod",
    "Features",
    "HomographyPair",
    "Keypoints",
    "Matches",
    "MethodSummary",
    "PairResult",
    "compare_methods",
    "corner_error",
    "create_method",
    "dedupe_matches",
    "detect_and_describe",
    "detect_and_describe_asift",
    "detect_and_describe_surf",
    "detect_keypoints",
    "evaluate_pair",
    "feature_methods",
    "find_correspondences",
    "format_table",
    "load_pairs",
    "match_descriptors",
    "match_simulated",
    "matcher_names",
    "method_info",
    "mutual_nearest",
    "pair_matchers",
    "project",
    "ratio_test",
    "read_homography",
    "repeatability",
    "simulations",
]
