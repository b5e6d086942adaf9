"""Grad-CAM over space and time: the per-frame maps equal a hand computation of Grad-CAM of the
clip's score (channel weights per frame, one scale for the whole clip), a trained network's heat
sits on the frames and the place that hold the evidence; 3-D models: Grad-CAM over time and space
at a 3-D stage equals a hand computation and pytorch-grad-cam on the same layer, upsampled in
time and space; the CLI explains 3-D runs; the centre-frame model is refused."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from oculi.action.clipcam import clip_gradcam, video_gradcam
from oculi.action.models import ActionNet
from oculi.action.task import load_action_model, train_action
from oculi.cli.main import app
from oculi.core.errors import ParameterError
from tests.action.test_train import _cfg


def test_maps_are_grad_cam_of_the_clip_score_scaled_over_the_whole_clip():
    torch.manual_seed(0)
    net = ActionNet("tsm", ["a", "b", "c"], clip_len=4, width=8).eval()
    clip = torch.rand(1, 4, 32, 32)
    cam = clip_gradcam(net, clip, target="b")
    feats = {}
    handle = net.net.stages.register_forward_hook(lambda m, i, o: feats.setdefault("a", o))
    logits = net(clip[None])
    handle.remove()
    act = feats["a"]                                          # (T, C, h, w)
    (grad,) = torch.autograd.grad(logits[0, 1], act)
    raw = torch.relu((grad.mean((2, 3), keepdim=True) * act).sum(1)).detach()
    up = torch.nn.functional.interpolate(raw[:, None], size=(32, 32), mode="bilinear",
                                         align_corners=False)[:, 0]
    assert cam.label == "b" and cam.layer == "net.stages"
    np.testing.assert_allclose(cam.maps, (up / raw.max()).numpy(), atol=1e-5)
    np.testing.assert_allclose(cam.frame_weight, (raw.sum((1, 2)) / raw.sum()).numpy(),
                               atol=1e-5)
    assert cam.score == pytest.approx(float(logits.detach().softmax(1)[0, 1]), abs=1e-5)
    assert cam.frames.shape == (4, 32, 32, 3) and cam.strip(gap=2).shape == (32, 4 * 34 - 2, 3)


def _square_clip(label: str, seed: int) -> tuple[np.ndarray, tuple[int, int]]:
    """``(4, 32, 32)`` uint8 noise; class ``square``: a bright 10x10 square at a random place in
    frames 1 and 2 only. Returns the clip and the square's top-left corner."""
    rng = np.random.default_rng(seed)
    a = rng.uniform(0, 40, (4, 32, 32)).astype(np.uint8)
    y, x = (int(v) for v in rng.integers(0, 22, 2))
    if label == "square":
        a[1:3, y:y + 10, x:x + 10] = 255
    return a, (y, x)


@pytest.fixture(scope="module")
def square_run(tmp_path_factory):
    """TSN at 64 px trained for seconds on noise clips with or without a square in frames 1-2;
    returns (data folder, the squares' corners)."""
    tmp_path = tmp_path_factory.mktemp("square")
    lines, corners = ["file,label,group"], {}
    for c in ("square", "none"):
        for i in range(12):
            a, corners[f"{c}{i}"] = _square_clip(c, i + 100 * (c == "none"))
            np.savez_compressed(tmp_path / f"{c}{i}.npz", original=a)
            lines.append(f"{c}{i}.npz,{c},g{i % 3}")
    (tmp_path / "labels.csv").write_text("\n".join(lines) + "\n")
    cfg = _cfg(model="tsn", clip_len=4, size=64, epochs=4, repeat=8, holdout_groups=("g2",),
               lr=3e-3, weight_decay=0.0, dropout=0.0)
    train_action(tmp_path, cfg, tmp_path / "run", progress=False)
    return tmp_path, corners


def test_a_trained_network_looks_at_the_frames_and_place_holding_the_evidence(square_run):
    """Held-out clips: measured inside/outside 0.70-0.85 / 0.13-0.27, frames 1-2 hold 0.94-0.98
    of the heat; at 32 px (a 2x2 last stage) the maps are too coarse."""
    tmp_path, corners = square_run
    net = load_action_model(tmp_path / "run")
    for i in (2, 5, 8, 11):                                   # group g2, not trained on
        cam = video_gradcam(net, tmp_path / f"square{i}.npz", target="square")
        y, x = corners[f"square{i}"]
        box = np.zeros((64, 64), bool)
        box[2 * y:2 * y + 20, 2 * x:2 * x + 20] = True
        inside, outside = cam.maps[1:3, box].mean(), cam.maps[1:3, ~box].mean()
        assert inside > 2 * outside, (i, inside, outside)
        assert cam.frame_weight[1:3].sum() > 0.8, cam.frame_weight


def test_cli_action_writes_the_grad_cam_strip(square_run, tmp_path):
    from oculi.io import read_image
    from oculi.video import write_video

    data, _ = square_run
    clip = np.load(data / "square2.npz")["original"]
    video = write_video(tmp_path / "square.avi", np.repeat(clip[..., None], 3, -1), fps=25.0)
    cam = tmp_path / "cam.png"
    res = CliRunner().invoke(app, ["action", str(video), "--run", str(data / "run"),
                                   "--gradcam", str(cam)])
    assert res.exit_code == 0, res.output
    assert "Grad-CAM" in res.output and "square" in res.output.splitlines()[-1]
    assert read_image(cam).shape == (64, 4 * 64 + 3 * 2, 3)


def test_frame_model_is_refused_and_unknown_class_too():
    net = ActionNet("frame", ["a", "b"], clip_len=4, width=8).eval()
    with pytest.raises(ParameterError, match="per-frame"):
        clip_gradcam(net, torch.rand(1, 4, 32, 32))
    tsm = ActionNet("tsm", ["a", "b"], clip_len=4, width=8).eval()
    with pytest.raises(ParameterError, match="target"):
        clip_gradcam(tsm, torch.rand(1, 4, 32, 32), target="c")


def _hand_cam_3d(net, layer, clip, k):
    """Grad-CAM by hand: gradient of class k's logit averaged over (t, h, w) per channel, the
    channel-weighted activations summed, ReLU."""
    feats = {}
    module = dict(net.named_modules())[layer]
    handle = module.register_forward_hook(lambda m, i, o: feats.setdefault("a", o))
    logits = net(clip[None])
    handle.remove()
    act = feats["a"]                                          # (1, K, t, h, w)
    (grad,) = torch.autograd.grad(logits[0, k], act)
    raw = torch.relu((grad.mean((2, 3, 4), keepdim=True) * act).sum(1))[0].detach()
    return raw, logits.detach().softmax(1)[0, k]


@pytest.mark.parametrize(("model", "layer", "time_steps"),
                         [("r2plus1d", "net.stages", 2), ("x3d", "net.stages", 8),
                          ("r2plus1d", "net.stages.1", 8)])
def test_3d_maps_are_grad_cam_over_space_and_time(model, layer, time_steps):
    torch.manual_seed(0)
    net = ActionNet(model, ["a", "b", "c"], clip_len=8, width=8).eval()
    clip = torch.rand(1, 8, 32, 32)
    cam = clip_gradcam(net, clip, target="c", layer=None if layer == "net.stages" else layer)
    raw, prob = _hand_cam_3d(net, layer, clip, 2)
    assert raw.shape[0] == time_steps and cam.layer == layer and cam.label == "c"
    np.testing.assert_allclose(cam.raw, raw.numpy(), atol=1e-6)
    up = torch.nn.functional.interpolate(raw[None, None], size=(8, 32, 32), mode="trilinear",
                                         align_corners=False)[0, 0]
    np.testing.assert_allclose(cam.maps, (up / raw.max()).numpy(), atol=1e-5)
    np.testing.assert_allclose(cam.frame_weight, (up.sum((1, 2)) / up.sum()).numpy(), atol=1e-5)
    assert cam.score == pytest.approx(float(prob), abs=1e-5)
    assert cam.maps.shape == (8, 32, 32) and cam.frames.shape == (8, 32, 32, 3)
    assert len(set(np.round(cam.frame_weight, 4))) > 1        # the heat changes over time


def test_18_layer_models_default_to_stage_3_and_refuse_a_flat_layer():
    from oculi.action.clipcam import default_cam_layer

    assert default_cam_layer(ActionNet("r2plus1d18", ["a", "b"], channels=3)) == "net.stages.2"
    assert default_cam_layer(ActionNet("mc318", ["a", "b"], channels=3)) == "net.stages"
    net = ActionNet("r2plus1d", ["a", "b"], clip_len=4, width=8).eval()
    with pytest.raises(ParameterError, match="3-D feature maps"):
        clip_gradcam(net, torch.rand(1, 4, 32, 32), layer="net.head.1")


def test_3d_cam_equals_pytorch_grad_cam_on_the_same_layer():
    pgc = pytest.importorskip("pytorch_grad_cam")
    from pytorch_grad_cam.utils.image import scale_cam_image
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    torch.manual_seed(1)
    net = ActionNet("r2plus1d", ["a", "b", "c"], clip_len=8, width=8).eval()
    clip = torch.rand(1, 8, 32, 32)
    ours = clip_gradcam(net, clip, target=1, layer="net.stages.2")
    with pgc.GradCAM(model=net, target_layers=[net.net.stages[2]]) as ref:
        theirs = ref(input_tensor=clip[None], targets=[ClassifierOutputTarget(1)])
        act = ref.activations_and_grads.activations[0].cpu().numpy()
        grad = ref.activations_and_grads.gradients[0].cpu().numpy()
        raw = np.maximum(ref.get_cam_image(clip[None], net.net.stages[2], None, act, grad), 0)
    np.testing.assert_allclose(ours.raw, raw[0], atol=1e-6)
    # their post-processing (min-max, spline zoom to (T, H, W)) applied to our raw map
    np.testing.assert_allclose(scale_cam_image(ours.raw[None], (32, 32, 8)), theirs, atol=1e-5)


@pytest.fixture(scope="module")
def square_3d_run(square_run):
    """A small R(2+1)D trained for one epoch on the square clips (the CLI works on 3-D runs)."""
    data, _ = square_run
    cfg = _cfg(model="r2plus1d", clip_len=4, size=32, epochs=1, repeat=1,
               holdout_groups=("g2",))
    train_action(data, cfg, data / "run3d", progress=False)
    return data / "run3d"


def test_cli_action_grad_cam_of_a_3d_run(square_run, square_3d_run, tmp_path):
    from oculi.io import read_image
    from oculi.video import write_video

    data, _ = square_run
    clip = np.load(data / "square2.npz")["original"]
    video = write_video(tmp_path / "square.avi", np.repeat(clip[..., None], 3, -1), fps=25.0)
    cam = tmp_path / "cam.png"
    res = CliRunner().invoke(app, ["action", str(video), "--run", str(square_3d_run),
                                   "--gradcam", str(cam)])
    assert res.exit_code == 0, res.output
    assert "Grad-CAM" in res.output and "net.stages" in res.output
    assert read_image(cam).shape == (32, 4 * 32 + 3 * 2, 3)
