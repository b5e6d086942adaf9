"""The offline 3-D viewer: its payload, ids, frusta, the static fallback, and its script run
under node with a fake DOM (and in headless Chromium when that is installed)."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from oculi.core.errors import ParameterError, ShapeError
from oculi.io import read_image
from oculi.report import Report
from oculi.report.viewer3d import camera_frusta, plot_scene, viewer_html
from oculi.sfm import Camera, Reconstruction

HARNESS = Path(__file__).with_name("viewer3d_harness.js")


def _payload(fragment: str) -> list[dict]:
    """Every viewer's JSON block, with ``points`` / ``colors`` / ``frusta`` decoded."""
    out = []
    for uid, text in re.findall(r'<script type="application/json" id="([^"]+)-data">(.*?)'
                                r"</script>", fragment):
        data = json.loads(text)
        data["id"] = uid
        data["points"] = np.frombuffer(base64.b64decode(data["points"]), "<f4").reshape(-1, 3)
        data["colors"] = np.frombuffer(base64.b64decode(data["colors"]), "u1").reshape(-1, 3)
        data["frusta"] = np.frombuffer(base64.b64decode(data["frusta"]), "<f4").reshape(-1, 5, 3)
        out.append(data)
    return out


def _scene(rng: np.random.Generator, n: int = 3000, cameras: int = 3) -> Reconstruction:
    """A red wall at z = 10 and a green floor at y = 2, seen by cameras along x at z = 0."""
    half = n // 2
    wall = np.column_stack([rng.uniform(-4, 4, half), rng.uniform(-3, 2, half), np.full(half, 10)])
    floor = np.column_stack([rng.uniform(-4, 4, n - half), np.full(n - half, 2.0),
                             rng.uniform(2, 10, n - half)])
    colors = np.repeat(np.array([[255, 0, 0], [0, 255, 0]], np.uint8), [half, n - half], axis=0)
    poses = {}
    for i in range(cameras):
        a = 0.1 * (i - 1)
        r = np.array([[np.cos(a), 0, -np.sin(a)], [0, 1, 0], [np.sin(a), 0, np.cos(a)]])
        poses[i] = (r, -r @ np.array([i - 1.0, 0.0, 0.0]))
    cam = Camera(500.0, 480.0, 319.5, 239.5)
    return Reconstruction([f"{i}.png" for i in range(cameras + 1)], [cam] * (cameras + 1),
                          [(480, 640)] * (cameras + 1), poses,
                          points3d=np.concatenate([wall, floor]), colors=colors)


def test_fragment_embeds_the_points(rng):
    pts = rng.normal(0, 5, (400, 3)) + np.array([1000.0, -2000.0, 50.0])  # far from the origin
    pts[10] = np.nan
    cols = rng.integers(0, 256, (400, 3)).astype(np.uint8)
    frag = viewer_html(pts, cols, caption="cloud <1>")
    assert "<canvas" in frag and "<script>" in frag and "oculiView3d(" in frag
    assert "cloud &lt;1&gt; (399 points)" in frag
    (data,) = _payload(frag)
    keep = np.arange(400) != 10
    back = data["points"].astype(np.float64) + data["offset"]
    assert len(back) == 399 and data["total"] == 399
    assert np.allclose(back, pts[keep], atol=1e-3)  # relative to the centre: float32 is enough
    assert np.array_equal(data["colors"], cols[keep])
    assert data["frusta"].shape == (0, 5, 3)
    assert not re.search(r"https?:|<script src|<link", frag, re.IGNORECASE)


def test_subsampling_keeps_a_subset(rng):
    pts = rng.normal(size=(5000, 3))
    cols = (pts * 40 + 128).clip(0, 255).astype(np.uint8)  # colour tied to its point
    frag = viewer_html(pts, cols, max_points=700, seed=3)
    (data,) = _payload(frag)
    assert len(data["points"]) == 700 and data["total"] == 5000
    assert "700 of 5,000 points (random subset)" in frag
    back = data["points"].astype(np.float64) + data["offset"]
    idx = [int(np.argmin(np.abs(pts - p).sum(axis=1))) for p in back]
    assert len(set(idx)) == 700 and np.allclose(pts[idx], back, atol=1e-5)
    assert np.array_equal(cols[idx], data["colors"])
    assert _payload(viewer_html(pts, cols, max_points=700, seed=3))[0]["points"].tobytes() == \
        data["points"].tobytes()  # seeded
    with pytest.raises(ParameterError, match="max_points"):
        viewer_html(pts, max_points=0)


def test_two_viewers_do_not_clash(rng):
    pts = rng.normal(size=(50, 3))
    page = viewer_html(pts) + viewer_html(pts)
    ids = re.findall(r'id="([^"]+)"', page)
    assert len(ids) == len(set(ids)) == 2 * 6  # figure, canvas, 3 buttons, data per viewer
    assert len({d["id"] for d in _payload(page)}) == 2


def test_camera_frusta_match_the_cameras(rng):
    rec = _scene(rng)
    fr = camera_frusta(rec, size=2.0)
    assert fr.shape == (3, 5, 3)  # image 3 is not registered
    corners = [[-0.5, -0.5], [639.5, -0.5], [639.5, 479.5], [-0.5, 479.5]]
    for k, i in enumerate(rec.registered):
        r, t = rec.poses[i]
        assert np.allclose(fr[k, 0], rec.center(i))
        cam_pts = fr[k, 1:] @ r.T + t
        assert np.allclose(cam_pts[:, 2], 2.0)  # the pyramid is `size` deep
        assert np.allclose(rec.cameras[i].project(cam_pts), corners)
    auto = camera_frusta(rec)  # default depth: 5 % of the scene's extent
    depth = (auto[0, 1:] @ rec.poses[0][0].T + rec.poses[0][1])[:, 2]
    assert np.allclose(depth, 0.05 * 10.0, rtol=0.02)  # z spans 0 (cameras) .. 10 (wall)
    (data,) = _payload(viewer_html(rec))
    assert np.allclose(data["frusta"] + data["offset"], auto, atol=1e-5)
    assert len(data["points"]) == 3000 and data["colors"][0].tolist() == [255, 0, 0]


def test_bad_inputs(rng):
    pts = rng.normal(size=(10, 3))
    with pytest.raises(ShapeError, match="points: expected"):
        viewer_html(pts[:, :2])
    with pytest.raises(ShapeError, match="colors: expected"):
        viewer_html(pts, np.zeros((9, 3), np.uint8))
    with pytest.raises(ShapeError, match="frusta: expected"):
        viewer_html(pts, frusta=np.zeros((2, 4, 3)))
    with pytest.raises(ParameterError, match="view"):
        plot_scene(pts, view="side")


@pytest.mark.parametrize("view", ["3d", "top"])
def test_plot_scene_draws_points_and_cameras(rng, view):
    fig = plot_scene(_scene(rng, n=400), view=view)
    ax = fig.axes[0]
    assert len(ax.collections[0].get_offsets()) == 400
    assert len(ax.lines) == 3 * 8  # eight edges per frustum
    assert ax.get_title() == "400 points, 3 cameras"


def test_report_section_scene3d(tmp_path, rng):
    report = Report("scene")
    sec = report.section("Model")
    sec.scene3d(_scene(rng, n=300), caption="sparse model")
    sec.scene3d(rng.normal(size=(20, 3)), fallback=False)
    page = report.write(tmp_path).read_text()
    (src,) = re.findall(r'<canvas [^>]*><img src="([^"]+)"', page)
    assert src == "assets/sparse-model.png"
    assert read_image(tmp_path / src).shape[0] > 200
    assert [len(d["points"]) for d in _payload(page)] == [300, 20]
    assert "3-D view: needs JavaScript" in page


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_script_draws_under_node(tmp_path, rng):
    """The page's own script, run against a fake DOM: it draws the points, one line segment
    per frustum edge, redraws on a drag and on the wheel, and reset restores the first view."""
    rec = _scene(rng)
    page = tmp_path / "page.html"
    page.write_text(viewer_html(rec) + viewer_html(rng.normal(size=(30, 3)), point_size=1))
    proc = subprocess.run(["node", str(HARNESS), str(page), str(tmp_path / "view")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    first, second = json.loads(proc.stdout)
    assert first["segments"] == 3 * 8 and second["segments"] == 0
    assert first["lit"] > 5000 and 0 < second["lit"] <= 30
    assert first["dragChanged"] > 1000 and first["wheelChanged"] > 1000
    assert first["resetRestores"] and second["resetRestores"]
    image = np.fromfile(tmp_path / "view0.raw", np.uint8).reshape(500, 800, 4)
    red = (image[..., 0] == 255) & (image[..., 1] == 0)
    green = (image[..., 1] == 255) & (image[..., 0] == 0)
    rows_red, rows_green = np.nonzero(red)[0], np.nonzero(green)[0]
    # looking down on the scene: the wall stands above (smaller rows) the floor in front of it
    assert red.sum() > 1000 and green.sum() > 1000
    assert np.median(rows_red) < np.median(rows_green)


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")
def test_page_renders_in_chromium(tmp_path, rng):
    report = Report("scene")
    report.section("Model").scene3d(_scene(rng), fallback=False)
    index = report.write(tmp_path)
    shot = tmp_path / "shot.png"
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu",
                    "--hide-scrollbars", "--window-size=1000,900", "--virtual-time-budget=3000",
                    f"--screenshot={shot}", index.as_uri()], capture_output=True, timeout=120)
    image = read_image(shot)
    red = (image[..., 0] > 200) & (image[..., 1] < 60) & (image[..., 2] < 60)
    dark = (image == 27).all(axis=-1)
    assert dark.sum() > 10_000 and red.sum() > 200  # the canvas was painted, points on it
