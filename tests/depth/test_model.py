"""Loading depth networks: ONNX (a tiny DepthNet exported here) against torch, state-dict round
trips, mismatched weights and bad inputs named by oculi errors."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from oculi.core.errors import (
    DataError,
    ParameterError,
    ShapeError,
    UnknownNameError,
    ValueRangeError,
)
from oculi.depth import load_depth_model, load_onnx_model, predict_depth
from tests.depth.conftest import NET_SIZE


@pytest.fixture(scope="module")
def photo():
    from oculi.data import load

    return load("chelsea", mode="rgb")[:150, :200]


def test_onnx_matches_torch(tiny_net, model_files, rng):
    import torch

    model = load_depth_model(model_files["onnx"])
    assert (model.kind, model.size, model.output) == ("onnx", NET_SIZE, "inverse")
    batch = rng.random((1, 3, *NET_SIZE), dtype=np.float32)
    with torch.no_grad():
        ref = tiny_net(torch.from_numpy(batch)).numpy()
    out = model.run(batch)                              # normalises with ImageNet mean/std
    assert out.shape == ref.shape == (1, 1, *NET_SIZE)
    assert np.abs(out - ref).max() < 1e-4 * max(1.0, float(np.abs(ref).max()))
    assert float(ref.std()) > 0                         # a real, non-constant map was compared


def test_state_dict_round_trip_and_predict(tiny_net, model_files, photo):
    import torch

    from oculi.depth import DepthNet

    from_st = load_depth_model(model_files["safetensors"])
    assert (from_st.kind, from_st.size, from_st.module.config()) == (
        "state-dict", NET_SIZE, {"backbone": "mobilenet_v2", "features": 16})
    for key, value in tiny_net.state_dict().items():
        assert torch.equal(from_st.module.state_dict()[key], value), key
    inv_torch = predict_depth(from_st, photo)
    inv_onnx = predict_depth(load_depth_model(model_files["onnx"]), photo)
    assert inv_torch.shape == photo.shape[:2] and inv_torch.dtype == np.float32
    np.testing.assert_allclose(inv_onnx, inv_torch, atol=1e-4 * float(np.abs(inv_torch).max()))
    # a plain .pt state dict needs the architecture as arguments
    pt = model_files["safetensors"].with_suffix(".pt")
    torch.save(tiny_net.state_dict(), pt)
    from_pt = load_depth_model(pt, backbone="mobilenet_v2", features=16, size=NET_SIZE)
    np.testing.assert_array_equal(predict_depth(from_pt, photo), inv_torch)
    assert isinstance(from_pt.module, DepthNet)


def test_mismatched_state_dict_names_the_file(tiny_net, tmp_path):
    import torch

    state = dict(tiny_net.state_dict())
    state.pop("head.0.weight")
    state["extra.weight"] = torch.zeros(1)
    path = tmp_path / "other.pt"
    torch.save(state, path)
    with pytest.raises(DataError, match=r"other\.pt: not a DepthNet.*1 key\(s\) missing.*"
                                        r"head\.0\.weight.*1 unexpected"):
        load_depth_model(path, backbone="mobilenet_v2", features=16)
    torch.save(tiny_net.state_dict(), path)
    with pytest.raises(DataError, match=r"other\.pt: .* of another shape"):
        load_depth_model(path, backbone="mobilenet_v2", features=8)


def _graph(path, channels: int):
    """An ONNX identity graph with an N x channels x 16 x 16 input."""
    import onnx
    from onnx import TensorProto, helper

    shape = [1, channels, 16, 16]
    graph = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["y"])], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, shape)])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    return path


def test_bad_files(tmp_path, model_files):
    with pytest.raises(DataError, match="no such model file"):
        load_depth_model(tmp_path / "missing.onnx")
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not a protobuf at all")
    with pytest.raises(DataError, match=r"junk\.onnx: not a readable ONNX model"):
        load_depth_model(junk)
    with pytest.raises(DataError, match=r"junk\.pt"):
        load_depth_model(junk.rename(tmp_path / "junk.pt"))
    with pytest.raises(ShapeError, match=r"gray\.onnx: expected a 3-channel"):
        load_depth_model(_graph(tmp_path / "gray.onnx", 1))
    with pytest.raises(ParameterError, match="suffix"):
        load_depth_model(shutil.copy(model_files["onnx"], tmp_path / "model.bin"))
    # the renamed file still loads with its kind named, and the size must agree with the file
    assert load_depth_model(tmp_path / "model.bin", "onnx").size == NET_SIZE
    with pytest.raises(ParameterError, match="fixed 64x64"):
        load_onnx_model(tmp_path / "model.bin", size=256)
    with pytest.raises(ParameterError, match="input_name"):
        load_onnx_model(tmp_path / "model.bin", input_name="rgb")
    with pytest.raises(UnknownNameError, match="did you mean 'onnx'"):
        load_depth_model(tmp_path / "model.bin", "onx")


def test_identity_graph_passes_the_normalised_input(tmp_path):
    model = load_depth_model(_graph(tmp_path / "rgb.onnx", 3), mean=(0.5, 0.5, 0.5),
                             std=(0.25, 0.25, 0.25))
    batch = np.full((1, 3, 16, 16), 0.75, np.float32)
    np.testing.assert_allclose(model.run(batch), 1.0)   # (0.75 - 0.5) / 0.25


def test_bad_images(model_files, photo):
    model = load_depth_model(model_files["onnx"])
    with pytest.raises(ShapeError, match="channel"):
        predict_depth(model, np.zeros((32, 32, 2), np.uint8))
    nan = photo.astype(np.float32) / 255
    nan[3, 4, 1] = np.nan
    with pytest.raises(ValueRangeError, match="NaN"):
        predict_depth(model, nan)
    with pytest.raises(ValueRangeError, match="divide by 255"):
        predict_depth(model, photo.astype(np.float32))
    gray = predict_depth(model, photo[..., 0])          # gray is replicated to RGB
    assert gray.shape == photo.shape[:2] and np.isfinite(gray).all()
