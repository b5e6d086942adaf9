"""PLY and COLMAP-text export / import, checked against pycolmap when it is installed."""

from __future__ import annotations

import os
import stat

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from oculi.core.errors import DataError, ParameterError, ShapeError
from oculi.io import read_ply as io_read_ply
from oculi.sfm import Camera, Reconstruction, read_colmap_text, read_ply, write_colmap_text
from oculi.sfm import write_ply as sfm_write_ply
from oculi.stereo import write_ply as stereo_write_ply


def _model(rng: np.random.Generator, n_images: int = 4, n_points: int = 30) -> Reconstruction:
    """A synthetic model: image 2 unregistered, images 0/1 share a camera, 3 is distorted."""
    shared = Camera(520.0, 515.0, 319.5, 239.5)
    cams = [shared, shared, Camera(400.0, 400.0, 160.0, 120.0),
            Camera(610.0, 600.0, 330.25, 250.75, k1=-0.12, k2=0.03)][:n_images]
    sizes = [(480, 640), (480, 640), (240, 320), (500, 660)][:n_images]
    X = rng.uniform([-2, -1.5, 5], [2, 1.5, 9], (n_points, 3))
    poses, keypoints = {}, []
    for i in range(n_images):
        r = Rotation.from_rotvec(rng.normal(0, 0.1, 3)).as_matrix()
        t = rng.normal(0, 0.5, 3)
        kp = rng.uniform(0, 300, (n_points + 5, 2))  # 5 keypoints without a point
        if i != 2:
            poses[i] = (r, t)
            q = X @ r.T + t
            kp[:n_points] = cams[i].project(q)
        keypoints.append(kp)
    tracks = [np.array([[i, p] for i in sorted(poses) if (p + i) % 4 != 0]) for p in
              range(n_points)]
    return Reconstruction(
        names=[f"img_{i:03d}.png" for i in range(n_images)], cameras=cams, image_sizes=sizes,
        poses=poses, keypoints=keypoints, points3d=X,
        colors=rng.integers(0, 256, (n_points, 3)).astype(np.uint8), tracks=tracks,
        errors=np.where(np.arange(n_points) == 3, np.nan, rng.uniform(0.1, 2, n_points)))


def _assert_same(back: Reconstruction, rec: Reconstruction) -> None:
    """``back`` is ``rec`` read from COLMAP: registered images only, renumbered in order."""
    ids = rec.registered
    assert back.names == [rec.names[i] for i in ids]
    assert back.image_sizes == [rec.image_sizes[i] for i in ids]
    for k, i in enumerate(ids):
        c, d = back.cameras[k], rec.cameras[i]
        assert np.allclose([c.fx, c.fy, c.cx, c.cy, c.k1, c.k2],
                           [d.fx, d.fy, d.cx, d.cy, d.k1, d.k2], rtol=0, atol=1e-12)
        assert np.allclose(back.poses[k][0], rec.poses[i][0], atol=1e-12)
        assert np.allclose(back.poses[k][1], rec.poses[i][1], atol=1e-12)
        assert np.allclose(back.keypoints[k], rec.keypoints[i], atol=1e-12)
    assert np.array_equal(back.points3d, rec.points3d)
    assert np.array_equal(back.colors, rec.colors)
    assert np.allclose(back.errors, rec.errors, equal_nan=True)
    remap = {i: k for k, i in enumerate(ids)}
    for tb, tr in zip(back.tracks, rec.tracks, strict=True):
        assert tb.tolist() == [[remap[i], kp] for i, kp in tr.tolist()]
    assert back.mean_reprojection_error() == pytest.approx(rec.mean_reprojection_error())


def test_colmap_text_round_trip(tmp_path, rng):
    rec = _model(rng)
    assert rec.mean_reprojection_error() < 1e-9  # keypoints are exact projections
    out = write_colmap_text(rec, tmp_path / "model")
    assert sorted(p.name for p in out.iterdir()) == ["cameras.txt", "images.txt", "points3D.txt"]
    mode = stat.S_IMODE(os.stat(out / "images.txt").st_mode)
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o666 & ~umask
    cams = (out / "cameras.txt").read_text().splitlines()[3:]
    assert cams == ["1 PINHOLE 640 480 520 515 320 240",
                    "2 OPENCV 660 500 610 600 330.75 251.25 -0.12 0.03 0 0"]
    lines = (out / "images.txt").read_text().splitlines()
    assert lines[4].split()[0] == "1" and lines[4].endswith(" 1 img_000.png")
    assert lines[8].split()[0] == "4" and lines[8].split()[-2:] == ["2", "img_003.png"]
    first = lines[5].split()  # keypoint 0 of image 0: + 0.5 and point 1 (seen unless p+i % 4)
    assert float(first[0]) == pytest.approx(rec.keypoints[0][0, 0] + 0.5, abs=1e-12)
    assert first[2] == "-1" and lines[5].split()[5] == "2" and lines[5].split()[-1] == "-1"
    points = (out / "points3D.txt").read_text().splitlines()
    assert points[3 + 3].split()[7] == "-1"  # point 4: unknown error
    _assert_same(read_colmap_text(out), rec)


def test_colmap_text_checks_the_model(tmp_path, rng):
    rec = _model(rng)
    rec.names[1] = "with space.png"
    with pytest.raises(ParameterError, match=r"rec.names\[1\] 'with space.png'"):
        write_colmap_text(rec, tmp_path)
    rec = _model(rng)
    rec.tracks[5] = np.array([[2, 0]])  # image 2 is not registered
    with pytest.raises(ParameterError, match=r"rec.tracks\[5\]"):
        write_colmap_text(rec, tmp_path)
    rec = _model(rng)
    rec.colors = rec.colors[:-1]
    with pytest.raises(ShapeError, match=r"rec\.points3d / rec\.colors"):
        write_colmap_text(rec, tmp_path)
    assert not (tmp_path / "cameras.txt").exists()


def _write(folder, cameras="", images="", points=""):
    folder.mkdir(exist_ok=True)
    (folder / "cameras.txt").write_text(cameras)
    (folder / "images.txt").write_text(images)
    (folder / "points3D.txt").write_text(points)
    return folder


CAM = "1 PINHOLE 640 480 500 500 320 240\n"
IMG = "1 1 0 0 0 0 0 0 1 a.png\n10 20 1 30 40 -1\n"
PTS = "1 0 0 5 1 2 3 0.5 1 0\n"


def test_colmap_text_camera_models(tmp_path):
    models = {"SIMPLE_PINHOLE 640 480 500 320 240": (500, 500, 319.5, 239.5, 0, 0),
              "SIMPLE_RADIAL 640 480 500 320 240 -0.1": (500, 500, 319.5, 239.5, -0.1, 0),
              "RADIAL 640 480 500 320 240 -0.1 0.02": (500, 500, 319.5, 239.5, -0.1, 0.02),
              "OPENCV 640 480 500 490 320 240 -0.1 0.02 0 0": (500, 490, 319.5, 239.5, -0.1, 0.02)}
    for line, want in models.items():
        rec = read_colmap_text(_write(tmp_path / "m", "7 " + line + "\n",
                                      IMG.replace(" 1 a.png", " 7 a.png"), PTS))
        c = rec.cameras[0]
        assert (c.fx, c.fy, c.cx, c.cy, c.k1, c.k2) == want
        assert rec.image_sizes == [(480, 640)]
        assert rec.keypoints[0].tolist() == [[9.5, 19.5], [29.5, 39.5]]
        assert rec.tracks[0].tolist() == [[0, 0]] and rec.errors.tolist() == [0.5]
    with pytest.raises(DataError, match=r"cameras.txt: line 1: camera model FISHEYE"):
        read_colmap_text(_write(tmp_path / "m", "1 FISHEYE 640 480 500 320 240 0 0 0 0\n",
                                IMG, PTS))
    with pytest.raises(DataError, match=r"line 1: OPENCV with tangential"):
        read_colmap_text(_write(tmp_path / "m", "1 OPENCV 640 480 5 5 3 2 0 0 0.01 0\n",
                                IMG, PTS))


@pytest.mark.parametrize(("files", "message"), [
    ((CAM, IMG + "2 1 0 0 0 0 0 0 1\n\n", PTS), r"images.txt: line 3: expected IMAGE_ID"),
    ((CAM, IMG.replace("-1", "x"), PTS), r"images.txt: line 2: expected POINTS2D"),
    ((CAM, IMG.replace("40 -1", "40"), PTS), r"images.txt: line 2: expected POINTS2D"),
    ((CAM, IMG.replace(" 1 a.png", " 3 a.png"), PTS), r"images.txt: line 1: camera 3 is not"),
    ((CAM, IMG, "# c\n" + PTS.replace("1 0\n", "1\n")), r"points3D.txt: line 2: expected POI"),
    ((CAM, IMG, PTS.replace("1 0\n", "4 0\n")), r"points3D.txt: line 1: image 4 is not in"),
    ((CAM, IMG, PTS.replace("1 0\n", "1 2\n")), r"points3D.txt: line 1: image 1 has no point2D"),
    ((CAM, IMG.replace("20 1", "20 9"), PTS), r"images.txt: line 2: image 1 refers to point 9"),
    ((CAM.replace("500 320", "x 320"), IMG, PTS), r"cameras.txt: line 1: expected integer"),
    ((CAM.replace(" 240", ""), IMG, PTS), r"cameras.txt: line 1: PINHOLE has 4 parameters"),
    ((CAM.replace("500 500", "-5 500"), IMG, PTS), r"cameras.txt: line 1: Camera: focal"),
    (("# Number of cameras: 2\n" + CAM, IMG, PTS), r"header says 2 cameras, the file has 1"),
    ((CAM, IMG, "# Number of points: 3, mean\n" + PTS), r"header says 3 points"),
    ((CAM, IMG + IMG, PTS), r"images.txt: an IMAGE_ID is used twice"),
])
def test_colmap_text_bad_files(tmp_path, files, message):
    folder = _write(tmp_path / "m", *files)
    with pytest.raises(DataError, match=message):
        read_colmap_text(folder)


def test_colmap_text_missing_file(tmp_path):
    folder = _write(tmp_path / "m", CAM, IMG, PTS)
    (folder / "points3D.txt").unlink()
    with pytest.raises(DataError, match=r"points3D.txt: no such file"):
        read_colmap_text(folder)


def test_colmap_text_against_pycolmap_reader(tmp_path, rng):
    pycolmap = pytest.importorskip("pycolmap")
    rec = _model(rng)
    ref = pycolmap.Reconstruction(str(write_colmap_text(rec, tmp_path)))
    assert sorted(ref.reg_image_ids()) == [1, 2, 4] and ref.num_points3D() == len(rec.points3d)
    for i in rec.registered:
        image = ref.image(i + 1)
        assert image.name == rec.names[i]
        m = image.cam_from_world().matrix()
        assert np.allclose(m[:, :3], rec.poses[i][0], atol=1e-12)
        assert np.allclose(m[:, 3], rec.poses[i][1], atol=1e-12)
        assert np.allclose(np.array([p.xy for p in image.points2D]), rec.keypoints[i] + 0.5)
        cam, ours = image.camera, rec.cameras[i]
        assert (cam.width, cam.height) == rec.image_sizes[i][::-1]
        # pycolmap projects with COLMAP's corner origin: oculi's projection + 0.5
        q = rec.points3d[:5] @ rec.poses[i][0].T + rec.poses[i][1]
        assert np.allclose(cam.img_from_cam(q), ours.project(q) + 0.5, atol=1e-9)
    for p in range(len(rec.points3d)):
        point = ref.point3D(p + 1)
        assert np.allclose(point.xyz, rec.points3d[p], atol=0)
        assert point.color.tolist() == rec.colors[p].tolist()
        assert sorted((e.image_id - 1, e.point2D_idx) for e in point.track.elements) == \
            sorted(map(tuple, rec.tracks[p].tolist()))
    ref.update_point_3d_errors()  # COLMAP's own reprojection, with its pixel origin
    assert ref.compute_mean_reprojection_error() < 1e-9


def test_colmap_text_reads_pycolmap_output(tmp_path, rng):
    pycolmap = pytest.importorskip("pycolmap")
    ref = pycolmap.Reconstruction()
    cam = pycolmap.Camera.create_from_model_name(3, "SIMPLE_RADIAL", 480.0, 640, 480)
    cam.params = [480.0, 321.0, 238.0, -0.05]
    ref.add_camera_with_trivial_rig(cam)
    X = rng.uniform([-1, -1, 4], [1, 1, 6], (12, 3))
    truth = {}
    for image_id in (5, 9):  # sparse ids: oculi numbers them 0, 1
        r = Rotation.from_rotvec(rng.normal(0, 0.1, 3)).as_matrix()
        t = rng.normal(0, 0.3, 3)
        xy = cam.img_from_cam(X @ r.T + t)
        image = pycolmap.Image(name=f"view{image_id}.jpg", keypoints=xy, camera_id=3,
                               image_id=image_id)
        ref.add_image_with_trivial_frame(image, pycolmap.Rigid3d(np.column_stack([r, t])))
        truth[image_id] = (r, t, xy)
    for p in range(12):
        track = pycolmap.Track()
        track.add_element(5, p)
        if p % 2:
            track.add_element(9, p)
        ref.add_point3D(X[p], track, np.array([p, 2 * p, 3 * p], np.uint8))
    ref.update_point_3d_errors()
    ref.write_text(str(tmp_path))
    rec = read_colmap_text(tmp_path)
    assert rec.names == ["view5.jpg", "view9.jpg"] and rec.image_sizes == [(480, 640)] * 2
    assert rec.cameras[0] == Camera(480.0, 480.0, 320.5, 237.5, k1=-0.05)
    for k, image_id in enumerate((5, 9)):
        r, t, xy = truth[image_id]
        assert np.allclose(rec.poses[k][0], r, atol=1e-12)
        assert np.allclose(rec.poses[k][1], t, atol=1e-12)
        assert np.allclose(rec.keypoints[k], xy - 0.5, atol=1e-12)
    assert np.allclose(rec.points3d, X, atol=1e-12)
    assert rec.tracks[3].tolist() == [[0, 3], [1, 3]] and rec.tracks[4].tolist() == [[0, 4]]
    assert rec.colors[4].tolist() == [4, 8, 12]
    assert np.allclose(rec.errors, [ref.point3D(p + 1).error for p in range(12)])
    assert rec.mean_reprojection_error() == pytest.approx(ref.compute_mean_reprojection_error())


# -- PLY -----------------------------------------------------------------------------------


def test_ply_is_one_implementation():
    assert sfm_write_ply is stereo_write_ply and read_ply is io_read_ply


@pytest.mark.parametrize("binary", [True, False])
def test_ply_round_trip_with_cameras(tmp_path, rng, binary):
    pts = rng.normal(0, 100, (50, 3))
    pts[7] = np.nan
    cols = rng.integers(0, 256, (50, 3)).astype(np.uint8)
    centres = rng.normal(size=(3, 3))
    path = sfm_write_ply(tmp_path / "c.ply", pts, cols, cameras=centres, binary=binary)
    head = path.read_bytes()[:400]
    assert (b"binary_little_endian" in head) == binary and b"element vertex 52" in head
    cloud = read_ply(path)
    keep = np.arange(50) != 7
    assert np.array_equal(cloud.points, pts[keep].astype(np.float32))
    assert np.array_equal(cloud.colors, cols[keep])
    assert np.array_equal(cloud.cameras, centres.astype(np.float32))
    plain = read_ply(sfm_write_ply(tmp_path / "p.ply", pts[:3], binary=binary))
    assert plain.colors is None and plain.cameras.shape == (0, 3)
    assert np.array_equal(plain.points, pts[:3].astype(np.float32))


def test_ply_reads_other_writers(tmp_path):
    """Big-endian doubles with extra properties, a face element and float colours."""
    dtype = np.dtype([("x", ">f8"), ("y", ">f8"), ("z", ">f8"), ("nx", ">f4"),
                      ("red", ">f4"), ("green", ">f4"), ("blue", ">f4")])
    rec = np.array([(1.5, 2.5, -3.0, 0.0, 1.0, 0.5, 0.0), (4, 5, 6, 1, 0, 0, 1)], dtype)
    head = ("ply\nformat binary_big_endian 1.0\ncomment x\nelement vertex 2\n"
            + "".join(f"property {'double' if n in 'xyz' else 'float'} {n}\n"
                      for n in dtype.names)
            + "element face 1\nproperty list uchar int vertex_indices\nend_header\n")
    (tmp_path / "b.ply").write_bytes(head.encode() + rec.tobytes() + b"\x03" + bytes(12))
    cloud = read_ply(tmp_path / "b.ply")
    assert cloud.points.tolist() == [[1.5, 2.5, -3.0], [4, 5, 6]]
    assert cloud.colors.tolist() == [[255, 128, 0], [0, 0, 255]]
    text = ("ply\nformat ascii 1.0\nelement camera 1\nproperty float f\nelement vertex 2\n"
            "property float x\nproperty float y\nproperty float z\nproperty int alpha\n"
            "end_header\n7\n1 2 3 4\n5 6 7 8\n")
    (tmp_path / "a.ply").write_text(text)
    assert read_ply(tmp_path / "a.ply").points.tolist() == [[1, 2, 3], [5, 6, 7]]


@pytest.mark.parametrize(("data", "message"), [
    (b"hello", "not a PLY file"),
    (b"ply\nformat ascii 1.0\nelement vertex 2\nproperty float x\nend_header\n1\n",
     "line 7: expected 2 vertex lines of 1 numbers"),  # line 7 is missing
    (b"ply\nformat ascii 1.0\nelement vertex 1\nproperty float q\nend_header\n1\n",
     "no x, y, z"),
    (b"ply\nformat binary_little_endian 1.0\nelement vertex 3\nproperty float x\n"
     b"property float y\nproperty float z\nend_header\n" + bytes(20), "truncated"),
    (b"ply\nformat ascii 1.0\nelement vertex 1\nproperty quad x\nend_header\n",
     "header line 4 'property quad x'"),
    (b"ply\nelement vertex 1\nproperty float x\nend_header\n", "no 'format' line"),
])
def test_ply_bad_files(tmp_path, data, message):
    (tmp_path / "bad.ply").write_bytes(data)
    with pytest.raises(DataError, match=message):
        read_ply(tmp_path / "bad.ply")


def test_ply_missing_file_and_bad_shapes(tmp_path):
    with pytest.raises(DataError, match=r"nope\.ply: cannot read"):
        read_ply(tmp_path / "nope.ply")
    with pytest.raises(ShapeError, match=r"cameras: expected \(C, 3\)"):
        sfm_write_ply(tmp_path / "x.ply", np.zeros((2, 3)), cameras=np.zeros((2, 2)))


def test_ply_against_pycolmap(tmp_path, rng):
    """pycolmap's PLY importer reads what oculi writes (its ``import_PLY``)."""
    pycolmap = pytest.importorskip("pycolmap")
    pts = rng.normal(size=(20, 3))
    cols = rng.integers(0, 256, (20, 3)).astype(np.uint8)
    ref = pycolmap.Reconstruction()
    ref.import_PLY(str(sfm_write_ply(tmp_path / "c.ply", pts, cols)))
    got = sorted((tuple(np.round(p.xyz, 5)), tuple(p.color)) for p in ref.points3D.values())
    want = sorted((tuple(np.round(pts[i].astype(np.float32).astype(float), 5)),
                   tuple(cols[i])) for i in range(20))
    assert got == want
