"""Image preprocessing: contrast (CLAHE, equalisation, gamma), normalisation, whitening, local-mean
subtraction and DICOM windowing. numpy/OpenCV only: ``import oculi.preprocess`` needs no torch.
"""

from oculi.preprocess.contrast import clahe, equalize_hist, gamma
from oculi.preprocess.dicom import (
    WINDOW_PRESETS,
    convert_dicom,
    dicom_info,
    dicom_to_uint8,
    montage,
    parse_window,
    to_display,
    window,
    window_preset,
)
from oculi.preprocess.local_mean import local_mean, subtract_local_mean
from oculi.preprocess.normalize import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    ChannelStats,
    Normalizer,
    denormalize,
    fit_normalization,
    normalize,
    standardize,
)
from oculi.preprocess.transforms import (
    CLAHE,
    TRANSFORMS,
    EqualizeHist,
    Gamma,
    LocalMeanSubtraction,
    Normalize,
    Pipeline,
    Standardize,
    Window,
    create_transform,
)
from oculi.preprocess.whitening import PCAWhitening, ZCAWhitening, extract_patches

__all__ = [
    "CLAHE",
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "TRANSFORMS",
    "WINDOW_PRESETS",
    "ChannelStats",
    "EqualizeHist",
    "Gamma",
    "LocalMeanSubtraction",
    "Normalize",
    "Normalizer",
    "PCAWhitening",
    "Pipeline",
    "Standardize",
    "Window",
    "ZCAWhitening",
    "clahe",
    "convert_dicom",
    "create_transform",
    "denormalize",
    "dicom_info",
    "dicom_to_uint8",
    "equalize_hist",
    "extract_patches",
    "fit_normalization",
    "gamma",
    "local_mean",
    "montage",
    "normalize",
    "parse_window",
    "standardize",
    "subtract_local_mean",
    "to_display",
    "window",
    "window_preset",
]
