"""The public surface of oculi.preprocess / oculi.augment, and import weight."""

from __future__ import annotations

import subprocess
import sys

import oculi.augment
import oculi.preprocess

PREPROCESS_API = {
    "CLAHE", "TRANSFORMS", "EqualizeHist", "Gamma", "LocalMeanSubtraction", "Normalize",
    "Pipeline", "Standardize", "Window", "create_transform",
    "IMAGENET_MEAN", "IMAGENET_STD", "WINDOW_PRESETS", "ChannelStats", "Normalizer",
    "PCAWhitening", "ZCAWhitening", "clahe", "convert_dicom", "denormalize", "dicom_info",
    "dicom_to_uint8", "equalize_hist", "extract_patches", "fit_normalization", "gamma",
    "local_mean", "montage", "normalize", "parse_window", "standardize", "subtract_local_mean",
    "to_display", "window", "window_preset",
}
AUGMENT_API = {
    "AUGMENT_PRESETS", "MixInfo", "Mixer", "augment_preset", "cutmix", "cutmix_box", "mixup",
    "preset_names", "to_soft_targets",
    # the tasks' training recipes (one augmentation path) and their resumable random state
    "classify_train", "segment_train", "detect_train", "recipe_names", "random_state",
    "set_random_state",
}


def test_public_api_surface() -> None:
    assert set(oculi.preprocess.__all__) == PREPROCESS_API
    assert set(oculi.augment.__all__) == AUGMENT_API
    for name in PREPROCESS_API:
        assert getattr(oculi.preprocess, name) is not None
    for name in AUGMENT_API:
        assert getattr(oculi.augment, name) is not None


def test_import_preprocess_does_not_import_torch_or_albumentations() -> None:
    code = (
        "import sys, oculi.preprocess; "
        "print(int('torch' in sys.modules), int('albumentations' in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["0", "0"]
