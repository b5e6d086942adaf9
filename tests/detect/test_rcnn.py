"""R-CNN and Fast R-CNN: box coding, selective search, and both detectors learning a coloured
square on noise through the detection task (engine, checkpoint, rebuild) in seconds."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from oculi.detect import coco_evaluate, load_detector
from oculi.detect.rcnn import decode_boxes, encode_boxes, selective_search


def _square_set(n: int, seed: int, shape=(90, 120)) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Noise images (HxW ``shape``) with one red square each, and its xyxy box."""
    rng = np.random.default_rng(seed)
    images, boxes = [], []
    for _ in range(n):
        im = rng.integers(0, 256, (*shape, 3)).astype(np.uint8)
        s = int(rng.integers(24, 48))
        y, x = int(rng.integers(0, shape[0] - s)), int(rng.integers(0, shape[1] - s))
        im[y:y + s, x:x + s] = (230, 30, 30)
        images.append(im)
        boxes.append(np.array([[x, y, x + s, y + s]], np.float32))
    return images, boxes


def test_box_coding_round_trip_and_values():
    p = torch.tensor([[0.0, 0.0, 10.0, 20.0], [5.0, 5.0, 9.0, 7.0]])
    g = torch.tensor([[5.0, 0.0, 15.0, 40.0], [4.0, 4.0, 12.0, 10.0]])
    d = encode_boxes(p, g)
    # centre shift of half a width; height doubled: (10 * 0.5, 10 * 0.5, 0, 5 * log 2)
    assert d[0].tolist() == pytest.approx([5.0, 5.0, 0.0, 5 * np.log(2)], abs=1e-6)
    np.testing.assert_allclose(decode_boxes(p, d).numpy(), g.numpy(), atol=1e-4)
    # class-specific deltas (n, 4k) decode per class
    two = decode_boxes(p, torch.cat([d, torch.zeros_like(d)], 1))
    assert two.shape == (2, 8)
    np.testing.assert_allclose(two[:, 4:].numpy(), p.numpy(), atol=1e-5)


def test_selective_search_finds_the_square():
    from torchvision.ops import box_iou

    images, boxes = _square_set(3, 5)
    for im, b in zip(images, boxes, strict=True):
        props = selective_search(im, max_proposals=40)
        assert 0 < len(props) <= 40
        assert (props[:, 2:] > props[:, :2]).all()
        assert props[:, 2].max() <= im.shape[1] and props[:, 3].max() <= im.shape[0]
        assert float(box_iou(torch.from_numpy(props), torch.from_numpy(b)).max()) > 0.9


def _write_set(folder, images, boxes) -> None:
    from oculi.io import write_image

    folder.mkdir(parents=True, exist_ok=True)
    rows = ["filename,width,height,class,xmin,ymin,xmax,ymax"]
    for i, (im, b) in enumerate(zip(images, boxes, strict=True)):
        write_image(folder / f"{i}.png", im)
        x0, y0, x1, y1 = b[0].tolist()
        rows.append(f"{i}.png,{im.shape[1]},{im.shape[0]},square,{x0},{y0},{x1},{y1}")
    (folder / "labels.csv").write_text("\n".join(rows) + "\n")


@pytest.mark.parametrize(("arch", "options", "epochs", "lr"), [
    ("rcnn", {"crop_size": 64, "max_proposals": 60, "rois_per_image": 16}, 6, 3e-3),
    # 6 epochs at 1e-3 left Fast R-CNN's boxes at mAP@[.5:.95] 0.59-0.74 over training seeds
    # (0.51 once, with unseeded proposals); 12 at 2e-3, last checkpoint: 0.61-0.75 over seeds
    # 0-5 (this test: seed 0, 0.66), mAP@.5 >= 0.986, top-box error <= 2.1 px
    ("fastrcnn", {"max_proposals": 60, "rois_per_image": 32}, 12, 2e-3),
])
def test_learns_the_square_through_the_detection_task(tmp_path, arch, options, epochs, lr):
    from oculi.detect import DetectionConfig, train_detector

    tr_images, tr_boxes = _square_set(12, 0)
    te_images, te_boxes = _square_set(8, 1)
    _write_set(tmp_path / "train", tr_images, tr_boxes)
    _write_set(tmp_path / "val", te_images[:2], te_boxes[:2])
    # images 120 px wide, the network sees 96: the boxes must come back in the input's pixels
    cfg = DetectionConfig(model=arch, image_size=96, epochs=epochs, batch_size=4, lr=lr,
                          warmup_epochs=0.0, augment=False, threads=1, grid_images=0,
                          monitor="val_map",
                          arch_options=options, val_data=str(tmp_path / "val" / "labels.csv"))
    train_detector(tmp_path / "train" / "labels.csv", cfg, tmp_path / "run", progress=False)
    # the trained model, not the epoch two validation images liked best (that pick was noise:
    # often the first or second epoch)
    model = load_detector(tmp_path / "run" / "last.safetensors")
    assert model.arch == arch and model.net.max_proposals == 60
    dets = model.detect(te_images, score_threshold=0.0)
    gts = [{"boxes": b, "labels": np.array([1])} for b in te_boxes]
    preds = [{"boxes": d.boxes, "scores": d.scores, "labels": d.labels} for d in dets]
    r = coco_evaluate(gts, preds, ["square"])
    # the box regressor and the resize back: mAP over IoU .50-.95, not only @.5
    assert r["map50"] > 0.9
    assert r["map"] > 0.6
    top = [d.boxes[np.argmax(d.scores)] for d in dets]
    err = np.abs(np.stack(top) - np.concatenate(te_boxes)).mean()
    assert err < 4.0                                   # pixels, on 24-48 px squares


def test_detect_list_shows_them():
    from oculi.cli.main import app

    out = CliRunner().invoke(app, ["detect", "list"])
    assert out.exit_code == 0
    lines = {ln.split()[0]: ln for ln in out.output.splitlines() if ln.strip()}
    assert "selective search" in lines["rcnn"] and "SVM" in lines["rcnn"]
    assert "RoI pooling" in lines["fastrcnn"]


def test_bad_roi_op_is_a_parameter_error():
    from oculi.core.errors import ParameterError
    from oculi.detect import create_detector

    with pytest.raises(ParameterError, match="roi_op"):
        create_detector("fastrcnn", num_classes=1, pretrained=False, image_size=64,
                        roi_op="warp")


_SS_CHECK = """
import numpy as np
from oculi.data import load
from oculi.detect.rcnn import selective_search

image = load("astronaut")[::2, ::2]
first = selective_search(image, max_proposals=100)
for _ in range(3):
    np.testing.assert_array_equal(selective_search(image, max_proposals=100), first)
other = selective_search(image, max_proposals=100, seed=5)
assert not np.array_equal(other, first)           # the seed is what fixes the ranking
full = selective_search(image, max_proposals=10**6)
assert {tuple(b) for b in first} <= {tuple(b) for b in full}
print("ok")
"""


def test_selective_search_is_deterministic():
    # OpenCV ranks regions with the C library's rand(): unseeded, the kept boxes changed from
    # call to call (and with them Fast R-CNN's training samples). Checked in a fresh process:
    # rand() is process-wide, and a thread another test left running that calls it (the full
    # suite has such threads) shifts the sequence between the seed and OpenCV's calls.
    import subprocess
    import sys

    res = subprocess.run([sys.executable, "-c", _SS_CHECK], capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0 and res.stdout.strip() == "ok", res.stderr[-2000:]
