"""COLMAP as a structure-from-motion backend (``pycolmap``, optional): SIFT on the CPU,
exhaustive matching with geometric verification, the incremental mapper; the largest model is
read back through COLMAP's text format into an oculi :class:`Reconstruction`.

    rec = reconstruct_colmap(paths, camera)     # same inputs as oculi.sfm.reconstruct

Images COLMAP leaves out of its largest model keep no pose (their names stay listed).
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from oculi.core.errors import MissingDependencyError, NoMatchError, ParameterError
from oculi.sfm.camera import Camera
from oculi.sfm.reconstruction import Reconstruction


def colmap_available() -> bool:
    """Whether ``pycolmap`` imports."""
    try:
        import pycolmap  # noqa: F401
    except ImportError:
        return False
    return True


def _stage(images: Sequence[Any], folder: Path) -> list[str]:
    """Image files for COLMAP: paths are linked (or copied), arrays written as PNG."""
    import shutil

    from oculi.io import write_image

    names = []
    for n, im in enumerate(images):
        if isinstance(im, (str, Path)):
            src = Path(im)
            if not src.is_file():
                raise ParameterError(f"{src}: no such image file")
            dst = folder / src.name
            if dst.exists():
                raise ParameterError(f"images: two files named {src.name}")
            try:
                dst.symlink_to(src.resolve())
            except OSError:
                shutil.copyfile(src, dst)
            names.append(src.name)
        else:
            name = f"image{n:04d}.png"
            write_image(folder / name, np.asarray(im))
            names.append(name)
    return names


def reconstruct_colmap(
    images: Sequence[Any], camera: Camera | None = None, *, threads: int = -1,
    refine_intrinsics: bool | None = None,
) -> Reconstruction:
    """Run COLMAP's incremental pipeline on ``images``.

    Args:
        images: image paths or uint8 arrays (one camera).
        camera: shared pinhole intrinsics (held fixed unless ``refine_intrinsics``); ``None``
            lets COLMAP guess a ``SIMPLE_RADIAL`` camera from the image size and refine it.
        threads: CPU threads (-1 = all).
        refine_intrinsics: refine focal length and distortion (default: when no camera given).

    Returns:
        :class:`Reconstruction` of the largest model, indexed like ``images``.

    Raises:
        MissingDependencyError: pycolmap is not installed.
        NoMatchError: COLMAP built no model.
    """
    try:
        import pycolmap
    except ImportError as err:
        raise MissingDependencyError("the colmap backend needs pycolmap: pip install pycolmap"
                                     ) from err
    from oculi.sfm.export import read_colmap_text

    if len(images) < 2:
        raise ParameterError(f"images: structure from motion needs >= 2 images, got "
                             f"{len(images)}")
    refine = camera is None if refine_intrinsics is None else refine_intrinsics
    with tempfile.TemporaryDirectory(prefix="oculi-colmap-") as tmp:
        work = Path(tmp)
        img_dir = work / "images"
        img_dir.mkdir()
        names = _stage(images, img_dir)
        reader = pycolmap.ImageReaderOptions()
        if camera is not None:  # COLMAP's pixel origin is the pixel corner: +0.5
            reader.camera_model = "PINHOLE"
            reader.camera_params = (f"{camera.fx},{camera.fy},{camera.cx + 0.5},"
                                    f"{camera.cy + 0.5}")
        extraction = pycolmap.FeatureExtractionOptions()
        extraction.num_threads = threads
        db = work / "database.db"
        pycolmap.extract_features(db, img_dir, image_names=names,
                                  camera_mode=pycolmap.CameraMode.SINGLE, reader_options=reader,
                                  extraction_options=extraction, device=pycolmap.Device.cpu)
        pycolmap.match_exhaustive(db, device=pycolmap.Device.cpu)
        opts = pycolmap.IncrementalPipelineOptions()
        opts.num_threads = threads
        opts.ba_refine_focal_length = refine
        opts.ba_refine_extra_params = refine
        opts.ba_refine_principal_point = False
        models = pycolmap.incremental_mapping(db, img_dir, work / "sparse", options=opts)
        if not models:
            raise NoMatchError("colmap: the incremental mapper built no model")
        best = max(models.values(), key=lambda r: r.num_reg_images())
        text = work / "text"
        text.mkdir()
        best.write_text(str(text))
        part = read_colmap_text(text)
    return _reindex(part, names)


def _reindex(part: Reconstruction, names: list[str]) -> Reconstruction:
    """Spread a model holding the registered images only over all ``names``."""
    where = {n: k for k, n in enumerate(names)}
    idx = [where[n] for n in part.names]
    cam = part.cameras[0] if part.cameras else None
    size = part.image_sizes[0] if part.image_sizes else (0, 0)
    cams = [cam] * len(names)
    sizes = [size] * len(names)
    kps = [np.zeros((0, 2)) for _ in names]
    poses = {}
    for k, i in enumerate(idx):
        cams[i], sizes[i], kps[i] = part.cameras[k], part.image_sizes[k], part.keypoints[k]
        poses[i] = part.poses[k]
    tracks = [np.column_stack([np.asarray(idx)[t[:, 0]], t[:, 1]]) for t in part.tracks]
    return Reconstruction(list(names), cams, sizes, poses, kps, part.points3d, part.colors,
                          tracks, part.errors)
