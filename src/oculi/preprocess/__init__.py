"""Image preprocessing: contrast (CLAHE, equalisation, gamma), normalisation, whitening, local-mean
subtraction and DICOM windowing. numpy/OpenCV only: ``import oculi.preprocess`` needs no torch.
"""

from oculi.preprocess.contrast import clahe, equalize_hist, gamma

__all__ = ["clahe", "equalize_hist", "gamma"]
