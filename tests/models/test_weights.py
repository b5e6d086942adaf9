"""Offline weights: the packaged EfficientNet-Lite0 mapping, local files, the hub path on a local
cache, and bad files."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest
import torch

from oculi.core.errors import DataError, MissingDependencyError, ShapeError
from oculi.models import (
    create_model,
    load_model,
    load_weights,
    map_ordered,
    read_state_dict,
    save_model,
)
from oculi.models.weights import packaged_path


def test_packaged_lite0_maps_every_tensor_in_order(lite0) -> None:
    path = packaged_path("efficientnet_lite0")
    assert path is not None and path.name == "efficientnet-lite0-57934424.pth"
    src = read_state_dict(path)
    dst = lite0.body.state_dict()
    assert len(src) == len(dst) == 296
    for (sk, sv), (dk, dv) in zip(src.items(), dst.items(), strict=True):
        assert torch.equal(sv, dv), (sk, dk)
    assert next(iter(dst)) == "conv_stem.weight" and next(iter(src)) == "_conv_stem.weight"


def test_map_ordered_rejects_other_architectures() -> None:
    src = read_state_dict(packaged_path("efficientnet_lite0"))
    with pytest.raises(ShapeError, match="tensors"):
        map_ordered(src, create_model("resnet18").body)


def test_checkpoint_round_trip(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = create_model("resnet18", num_classes=3, head="conv")
    model.class_names = ["a", "b", "c"]
    path = save_model(model, tmp_path / "m.safetensors")
    again = load_model(path)
    assert again.class_names == ["a", "b", "c"] and again.head_type == "conv"
    x = torch.rand(1, 3, 96, 96)
    with torch.no_grad():
        torch.testing.assert_close(again(x), model(x))


def test_library_state_dict_file_loads_into_body(tmp_path: Path) -> None:
    torch.manual_seed(1)
    ref = create_model("resnet18")
    torch.save(ref.body.state_dict(), tmp_path / "r18.pth")
    model = create_model("resnet18", weights=tmp_path / "r18.pth", num_classes=2)
    torch.testing.assert_close(model.body.conv1.weight, ref.body.conv1.weight)
    assert model.body.fc.out_features == 2


def test_wrong_shape_is_a_clear_error(tmp_path: Path) -> None:
    two = create_model("resnet18", num_classes=2)
    save_model(two, tmp_path / "two.safetensors")
    five = create_model("resnet18", num_classes=5)
    with pytest.raises(ShapeError, match=r"fc.weight: file \(2, 512\) vs model \(5, 512\)"):
        load_weights(five, tmp_path / "two.safetensors")


def test_other_architecture_is_a_clear_error(tmp_path: Path) -> None:
    torch.save(create_model("squeezenext").body.state_dict(), tmp_path / "sq.pth")
    with pytest.raises((DataError, ShapeError)):
        create_model("resnet18", weights=tmp_path / "sq.pth")


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_pickled_objects_are_never_executed(tmp_path: Path) -> None:
    path = tmp_path / "evil.pth"
    with path.open("wb") as fh:
        pickle.dump({"fc.weight": _Evil()}, fh)
    with pytest.raises(DataError, match="weights_only"):
        read_state_dict(path)


def test_corrupt_and_missing_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x00" * 40)
    with pytest.raises(DataError, match="safetensors"):
        read_state_dict(bad)
    with pytest.raises(DataError, match="not found"):
        read_state_dict(tmp_path / "nope.pth")


@pytest.mark.parametrize("env_offline", [False, True])
def test_hub_path_reads_a_local_cache_offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              env_offline: bool) -> None:
    """timm's real Hugging Face loading path, pointed at a local cache with the network off.

    With ``HF_HUB_OFFLINE=1`` in the environment (what ``oculi ui`` sets) downloads are off, and
    the cache probe must look in ``cache_dir``, not in the default cache."""
    import huggingface_hub.constants as hf_constants
    from safetensors.torch import save_file

    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", True)
    if env_offline:
        monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    else:
        monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    torch.manual_seed(2)
    sd = {k: v.clone() for k, v in create_model("resnet18").body.state_dict().items()}
    repo = tmp_path / "models--timm--resnet18.tv_in1k"
    (repo / "snapshots" / "abc").mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("abc")
    save_file(sd, str(repo / "snapshots" / "abc" / "model.safetensors"))
    model = create_model("resnet18", pretrained=True, cache_dir=tmp_path)
    assert torch.equal(model.body.fc.weight, sd["fc.weight"])
    with pytest.raises(MissingDependencyError, match=r"resnet34\.tv_in1k.*weights=FILE"):
        create_model("resnet34", pretrained=True, cache_dir=tmp_path)


def test_downloads_can_be_disabled() -> None:
    with pytest.raises(MissingDependencyError, match=r"huggingface\.co/timm/densenet121"):
        create_model("densenet121", pretrained=True, allow_download=False)
