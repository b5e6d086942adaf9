"""``oculi sfm IMAGES... -o MODEL_DIR``: incremental structure from motion on an image set; writes
the COLMAP text model and a PLY of the points and camera centres, and with ``--gt`` prints the
pose errors against reference poses."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import typer

BACKENDS = ("oculi", "colmap")


def sfm(
    images: list[Path] = typer.Argument(None, metavar="IMAGES", help="Image files of one "
                                        "camera, or one folder (its image files, sorted by "
                                        "name)."),
    out: Path = typer.Option(..., "-o", "--out", help="Model folder: cameras.txt, images.txt, "
                             "points3D.txt (COLMAP text) and points.ply."),
    backend: str = typer.Option("oculi", "--backend", help="oculi (oculi.sfm.reconstruct) or "
                                "colmap (pycolmap's incremental mapper)."),
    camera: str = typer.Option(None, "--camera", help="Intrinsics fx,fy,cx,cy in pixels (pixel "
                               "centres at integers). Default: guessed and refined."),
    calib: Path = typer.Option(None, "--calib", help="Read the intrinsics from a Middlebury "
                               "*_par.txt (its first view's K)."),
    gt: Path = typer.Option(None, "--gt", help="Reference poses, a Middlebury *_par.txt matched "
                            "by image name: print the rotation and camera-centre errors."),
    ply: bool = typer.Option(True, "--ply/--no-ply", help="Also write points.ply (points in "
                             "their colours, camera centres as red vertices)."),
    json_path: Path = typer.Option(None, "--json", help="Write the summary (and pose errors) "
                                   "here."),
) -> None:
    """Reconstruct cameras and sparse 3-D points from overlapping images of one camera.

    Images that cannot be registered are listed in the summary; the model of the others is
    written anyway (exit 0). Bad inputs (fewer than two images, an unreadable file, a malformed
    --camera or par file, --backend colmap without pycolmap) exit 2 before any work.
    """
    from oculi.cli._common import write_json
    from oculi.core.checks import check_choice
    from oculi.core.errors import MissingDependencyError, ParameterError
    from oculi.io import read_image

    backend = check_choice(backend.lower(), BACKENDS, "--backend")
    if backend == "colmap":
        from oculi.sfm import colmap_available

        if not colmap_available():
            raise MissingDependencyError("--backend colmap needs pycolmap: pip install pycolmap")
    if out.exists() and not out.is_dir():
        raise ParameterError(f"-o {out}: exists and is not a folder (the model is a folder)")
    paths = _image_paths(images or [])
    cam = _camera(camera, calib)
    reference = _reference(gt, paths) if gt else None
    arrays = [read_image(p) for p in paths]  # every file readable before the long work
    t0 = time.perf_counter()
    if backend == "oculi":
        rec = _run_oculi(arrays, cam, [p.name for p in paths])
    else:
        rec = _run_colmap(paths, cam)
    seconds = time.perf_counter() - t0
    if not rec.registered:
        raise ParameterError(f"{backend}: no image could be registered")
    summary = _summarise(rec, backend, seconds)
    _write_model(rec, out, ply)
    summary["model"] = str(out)
    summary["ply"] = str(out / "points.ply") if ply else None
    if reference is not None:
        summary["pose_errors"] = _pose_errors(rec, reference, gt)
    if json_path:
        write_json(json_path, summary)


def _image_paths(images: list[Path]) -> list[Path]:
    """The image files: as given, or one folder's image files (sorted by name)."""
    from oculi.core.errors import ParameterError

    if len(images) == 1 and images[0].is_dir():
        from oculi.sfm.kitti import list_frames

        images = list_frames(images[0])
    if len(images) < 2:
        raise ParameterError(f"IMAGES: structure from motion needs at least 2 images, got "
                             f"{len(images)}{' (' + str(images[0]) + ')' if images else ''}")
    return list(images)


def _camera(camera: str | None, calib: Path | None) -> Any:
    """The shared intrinsics of ``--camera`` or ``--calib`` (None when neither is given)."""
    from oculi.core.errors import ParameterError
    from oculi.sfm import Camera

    if camera and calib:
        raise ParameterError("--camera and --calib: give one of them, not both")
    if calib:
        return _read_par(calib)[0].camera
    if not camera:
        return None
    try:
        values = [float(v) for v in camera.split(",")]
    except ValueError:
        values = []
    if len(values) != 4 or not all(v == v and abs(v) != float("inf") for v in values):
        raise ParameterError(f"--camera: expected four numbers fx,fy,cx,cy (pixels), got "
                             f"{camera!r}")
    if values[0] <= 0 or values[1] <= 0:
        raise ParameterError(f"--camera: focal lengths fx, fy must be > 0, got {camera!r}")
    return Camera(*values)


def _read_par(path: Path) -> list[Any]:
    """Views of a Middlebury par file, at least one (DataError otherwise)."""
    from oculi.core.errors import DataError
    from oculi.sfm import read_middlebury_par

    try:
        views = read_middlebury_par(path)
    except UnicodeDecodeError as err:
        raise DataError(f"{path}: not a text file ({err.reason})") from err
    if not views:
        raise DataError(f"{path}: lists no views")
    return views


def _reference(gt: Path, paths: list[Path]) -> list[Any]:
    """The ``--gt`` views, checked to name at least 3 of the images (needed to align)."""
    from oculi.core.errors import DataError

    views = _read_par(gt)
    names = {p.name for p in paths}
    common = sum(v.name in names for v in views)
    if common < 3:
        raise DataError(f"--gt {gt}: {common} of its {len(views)} views name one of the images "
                        "(3 are needed to align the model)")
    return views


def _run_oculi(arrays: list[Any], camera: Any, names: list[str]) -> Any:
    from oculi.core.progress import progress_bar
    from oculi.sfm import reconstruct

    with progress_bar("sfm") as bar:
        tasks: dict[str, Any] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        return reconstruct(arrays, camera, names=names, progress=progress)


def _run_colmap(paths: list[Path], camera: Any) -> Any:
    import pycolmap

    from oculi.cli._common import DEBUG
    from oculi.core.progress import progress_bar
    from oculi.sfm import reconstruct_colmap

    level = pycolmap.logging.minloglevel
    if not DEBUG["on"]:  # COLMAP's own log (hundreds of lines) only with --debug
        pycolmap.logging.minloglevel = 2
    try:
        with progress_bar("colmap") as bar:
            bar.add_task("colmap (features, matching, mapping)", total=None)
            return reconstruct_colmap(paths, camera)
    finally:
        pycolmap.logging.minloglevel = level


def _summarise(rec: Any, backend: str, seconds: float) -> dict[str, Any]:
    """Print the summary lines and return them as a dict."""
    reg, n = len(rec.registered), len(rec.names)
    missing = [rec.names[i] for i in range(n) if i not in rec.poses]
    error = rec.mean_reprojection_error()
    cam = rec.cameras[rec.registered[0]]
    typer.echo(f"{backend}: {reg}/{n} images registered, {len(rec.points3d)} points, mean "
               f"track length {rec.mean_track_length():.2f}, mean reprojection error "
               f"{error:.3f} px, {seconds:.1f} s")
    typer.echo(f"camera: fx {cam.fx:.2f}, fy {cam.fy:.2f}, cx {cam.cx:.2f}, cy {cam.cy:.2f} px"
               + (f", k1 {cam.k1:.4g}, k2 {cam.k2:.4g}" if cam.k1 or cam.k2 else ""))
    if missing:
        shown = ", ".join(missing[:8]) + (f" (+{len(missing) - 8} more)" if len(missing) > 8
                                           else "")
        typer.echo(f"not registered: {shown}")
    return {"backend": backend, "images": n, "registered": reg, "not_registered": missing,
            "points": len(rec.points3d), "mean_track_length": rec.mean_track_length(),
            "reprojection_px": error, "seconds": round(seconds, 3),
            "camera": {"fx": cam.fx, "fy": cam.fy, "cx": cam.cx, "cy": cam.cy, "k1": cam.k1,
                       "k2": cam.k2}}


def _write_model(rec: Any, out: Path, ply: bool) -> None:
    import numpy as np

    from oculi.sfm import write_colmap_text, write_ply

    write_colmap_text(rec, out)
    written = "cameras.txt, images.txt, points3D.txt"
    if ply:
        centres = np.array([rec.center(i) for i in rec.registered])
        write_ply(out / "points.ply", rec.points3d, rec.colors, cameras=centres)
        written += ", points.ply"
    typer.echo(f"wrote {out}/ ({written})")


def _pose_errors(rec: Any, reference: list[Any], gt: Path) -> dict[str, Any] | None:
    from oculi.core.errors import DataError
    from oculi.sfm import pose_errors

    try:
        e = pose_errors(rec, reference)
    except DataError as err:  # too few registered images to align: the model is still written
        typer.echo(f"pose errors: n/a ({err})")
        return None
    typer.echo(f"pose errors vs {gt.name} ({e.registered} registered of {e.total}): rotation "
               f"{e.rotation_deg_mean:.3f} deg mean, {e.rotation_deg_max:.3f} max; camera "
               f"centre {e.center_pct_mean:.2f} % of the camera radius mean, "
               f"{e.center_pct_max:.2f} % max (radius {e.radius:.4g})")
    return e.json_dict()
