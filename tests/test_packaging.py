"""Install-level promises: the OpenCV build, cheap imports, the public API surface, doctests."""

import contextlib
import doctest
import importlib
import importlib.metadata as md
import subprocess
import sys

import pytest


def test_opencv_contrib_is_the_cv2_on_disk():
    import cv2

    contrib = md.version("opencv-contrib-python-headless")
    assert hasattr(cv2, "xfeatures2d") and hasattr(cv2, "optflow")
    assert cv2.__version__ == ".".join(contrib.split(".")[:3])
    for other in ("opencv-python", "opencv-python-headless"):
        with contextlib.suppress(md.PackageNotFoundError):
            assert md.version(other) == contrib, f"{other} differs from the contrib build"


def test_pinned_torch():
    assert md.version("torch").split("+")[0] == "2.14.1"
    assert md.version("torchvision").split("+")[0] == "0.29.1"


def test_import_oculi_is_cheap():
    code = (
        "import sys, oculi, oculi.core, oculi.io, oculi.data, oculi.report;"
        "heavy=[m for m in ('torch','cv2','timm','matplotlib') if m in sys.modules];print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


PUBLIC = {
    "oculi": {"OculiError", "__version__"},
    "oculi.io": {"read_image", "write_image", "decode_image", "encode_image", "read_dicom"},
    # video moved to its own topic; the old oculi.io names are deprecated aliases
    "oculi.video": {"open_video", "iter_video_frames", "VideoWriter", "write_video"},
    "oculi.core": {"Registry", "OculiError", "ShapeError", "check_image", "to_gray"},
    "oculi.report": {"Report", "Section"},
    "oculi.data": {"load", "names", "sample_path"},
}


@pytest.mark.parametrize("module", sorted(PUBLIC))
def test_public_api_surface(module):
    mod = importlib.import_module(module)
    assert PUBLIC[module] <= set(mod.__all__)
    for name in mod.__all__:
        assert hasattr(mod, name), f"{module}.{name} in __all__ but missing"


@pytest.mark.parametrize(
    "module",
    ["oculi.core.registry", "oculi.core.checks", "oculi.core.convert", "oculi.core.atomic",
     "oculi.io.image", "oculi.io._format", "oculi.io._exif", "oculi.data", "oculi.report.builder"],
)
def test_doctests(module):
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0
