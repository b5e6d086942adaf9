"""The 18-layer video ResNets: the parameter count and outputs of torchvision's ``r2plus1d_18`` /
``mc3_18`` / ``r3d_18`` (random weights, no download) after loading their state dicts from a
file, the loader's checks (another layout, another width, foreign keys, a new classifier, grey
clips), and ``oculi train action --model r2plus1d18 --weights FILE``."""

from __future__ import annotations

import json

import pytest
import torch
from typer.testing import CliRunner

from oculi.action.models import ActionNet
from oculi.action.resnet3d import KINETICS_MEAN, KINETICS_STD, VideoResNet18, mid_channels
from oculi.action.videoweights import load_video_weights, torchvision_to_oculi
from oculi.cli.main import app
from oculi.core.errors import DataError, ParameterError, ShapeError

tv_video = pytest.importorskip("torchvision.models.video")


def _randomise_statistics(model: torch.nn.Module) -> None:
    """Batch-norm statistics and affine terms and the classifier drawn at random, so every tensor
    of the file shapes the output (a fresh network's are 0 / 1 and tiny)."""
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm3d):
                m.running_mean.normal_(0, 0.1, generator=g)
                m.running_var.uniform_(0.5, 2.0, generator=g)
                m.weight.uniform_(0.5, 1.5, generator=g)
                m.bias.normal_(0, 0.1, generator=g)
            elif isinstance(m, torch.nn.Linear):
                m.weight.normal_(0, 0.1, generator=g)
                m.bias.normal_(0, 0.1, generator=g)


def _equal_to_torchvision(builder: str, kind: str, tmp_path) -> None:
    torch.manual_seed(0)
    ref = getattr(tv_video, builder)(weights=None).eval()
    _randomise_statistics(ref)
    path = tmp_path / f"{builder}.pth"
    torch.save(ref.state_dict(), path)
    ours = VideoResNet18(400, kind).eval()
    n_ref = sum(p.numel() for p in ref.parameters())
    assert sum(p.numel() for p in ours.parameters()) == n_ref
    loaded = load_video_weights(ours, path)
    assert loaded.layout == f"{kind}18" and loaded.head == "loaded"
    assert loaded.tensors == len(ref.state_dict())
    clip = torch.rand(2, 3, 4, 32, 32, generator=torch.Generator().manual_seed(2))
    mean = torch.tensor(KINETICS_MEAN).view(3, 1, 1, 1)
    std = torch.tensor(KINETICS_STD).view(3, 1, 1, 1)
    with torch.no_grad():
        want = ref((clip - mean) / std)                     # torchvision expects normalised clips
        got = ours(clip)
    assert float(want.std()) > 0.1                            # logits worth comparing
    torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)


def test_r2plus1d18_is_torchvisions_r2plus1d_18(tmp_path):
    _equal_to_torchvision("r2plus1d_18", "r2plus1d", tmp_path)


def test_mc318_is_torchvisions_mc3_18(tmp_path):
    _equal_to_torchvision("mc3_18", "mc3", tmp_path)


@pytest.mark.slow
def test_r3d18_is_torchvisions_r3d_18(tmp_path):
    _equal_to_torchvision("r3d_18", "r3d", tmp_path)


def test_mid_channels_follow_the_parameter_matching_rule():
    # 27 Cin Cout parameters of a 3x3x3 kernel = 9 Cin M + 3 M Cout
    for cin, cout in ((64, 64), (64, 128), (256, 512)):
        m = mid_channels(cin, cout)
        assert 9 * cin * m + 3 * m * cout <= 27 * cin * cout < 9 * cin * (m + 1) + 3 * (m + 1) * cout
    net = VideoResNet18(3, width=16)
    assert net.stages[1][0].conv_a[0].out_channels == mid_channels(16, 32)
    assert net.stages[1][0].conv_b[0].out_channels == mid_channels(16, 32)   # the block's M


def _small(kind: str = "r2plus1d", classes: int = 5, width: int = 8, channels: int = 3):
    torch.manual_seed(0)
    return VideoResNet18(classes, kind, channels, width).eval()


def test_other_layout_or_width_is_a_shape_error_naming_the_files_layout(tmp_path):
    path = tmp_path / "r3d.pth"
    torch.save(_small("r3d").state_dict(), path)
    with pytest.raises(ShapeError, match="r3d18"):
        load_video_weights(_small("r2plus1d"), path)
    with pytest.raises(ShapeError, match="looks like r3d18"):
        load_video_weights(_small("mc3"), path)
    with pytest.raises(ShapeError, match="wrong shape"):
        load_video_weights(_small("r3d", width=16), path)


def test_foreign_or_missing_keys_are_data_errors(tmp_path):
    sd = _small().state_dict()
    with pytest.raises(DataError, match="no video ResNet layout"):
        torchvision_to_oculi({**sd, "backbone.conv1.weight": torch.zeros(1)})
    partial = {k: v for k, v in sd.items() if not k.startswith("stages.3")}
    with pytest.raises(DataError, match="missing"):
        load_video_weights(_small(), partial)
    with pytest.raises(DataError, match="not found"):
        load_video_weights(_small(), tmp_path / "absent.pth")


def test_a_classifier_of_another_class_count_is_replaced_the_rest_loaded():
    src, dst = _small(classes=400), _small(classes=3)
    torch.manual_seed(5)
    fresh = VideoResNet18(3, "r2plus1d", 3, 8).state_dict()
    dst.load_state_dict(fresh)
    res = load_video_weights(dst, src.state_dict())
    assert res.head == "replaced (400 -> 3 classes)"
    got, want = dst.state_dict(), src.state_dict()
    assert torch.equal(got["head.1.weight"], fresh["head.1.weight"])
    assert all(torch.equal(got[k], want[k]) for k in got if not k.startswith("head"))
    with pytest.raises(ShapeError, match="400 classes"):
        load_video_weights(_small(classes=3), src.state_dict(), replace_head=False)


def test_grey_model_takes_the_rgb_stem_summed_over_colours():
    src, grey = _small(), _small(channels=1)
    res = load_video_weights(grey, src.state_dict())
    assert res.grey_stem and "summed over RGB" in res.describe()
    torch.testing.assert_close(grey.stem[0].weight, src.stem[0].weight.sum(1, keepdim=True))


def test_weights_serve_the_18_layer_models_only():
    from oculi.action.config import ActionConfig

    with pytest.raises(ParameterError, match="weights"):
        ActionConfig(model="r2plus1d", weights="x.pth").validate()
    ActionConfig(model="r2plus1d18", weights="x.pth").validate()


def test_cli_fine_tunes_from_a_torchvision_checkpoint(tmp_path):
    """Six clips, one step: the run states the file, its layout and the replaced classifier
    (MC3-18, the smallest of the three, keeps it quick; r2plus1d18 takes the same path)."""
    import numpy as np

    from tests.action._synthetic import direction_clip

    lines = ["file,label,group"]
    for d in ("left", "right"):
        for i in range(3):
            np.savez_compressed(tmp_path / f"{d}{i}.npz", original=direction_clip(d, i))
            lines.append(f"{d}{i}.npz,{d},g{i}")
    (tmp_path / "labels.csv").write_text("\n".join(lines) + "\n")
    torch.manual_seed(0)
    ckpt = tmp_path / "mc3_18.pth"
    ref = tv_video.mc3_18(weights=None)
    torch.save(ref.state_dict(), ckpt)
    out = tmp_path / "run"
    res = CliRunner().invoke(app, [
        "train", "action", str(tmp_path), "-o", str(out), "--model", "mc318",
        "--weights", str(ckpt), "--epochs", "1", "--repeat", "1", "--size", "32",
        "--clip-len", "4", "--batch-size", "4", "--threads", "1", "--device", "cpu",
        "--holdout-groups", "[g2]", "--no-flip", "--channels", "3"])
    assert res.exit_code == 0, res.output
    assert f"weights {ckpt}: mc318 layout, 120 tensors loaded" in res.output
    assert "classifier replaced (400 -> 2 classes)" in res.output
    data = json.loads((out / "data.json").read_text())
    assert data["weights"]["layout"] == "mc318" and data["weights"]["tensors"] == 120
    net = ActionNet("mc318", ["left", "right"], channels=3)
    n_ref = sum(p.numel() for p in ref.parameters())
    assert sum(p.numel() for p in net.parameters()) == n_ref - (400 - 2) * (512 + 1)
    res = CliRunner().invoke(app, ["train", "action", str(tmp_path), "-o", str(out),
                                   "--model", "r2plus1d", "--weights", str(ckpt)])
    assert res.exit_code == 2 and "weights" in res.output
