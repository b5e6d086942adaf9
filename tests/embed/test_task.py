"""``oculi train embed`` / ``oculi eval embed`` through the CLI: tiny runs on digits, a class
folder and Loc2Vec tiles; bad data gives one clear line and exit 2."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from oculi.cli.main import app
from oculi.data.digits import load_digits
from oculi.io import write_image

runner = CliRunner()
TINY = ["--epochs", "1", "--threads", "1", "--batch-size", "12", "--samples-per-class", "3",
        "--dim", "8", "--projection", "pca"]


def _train(args, out):
    res = runner.invoke(app, ["train", "embed", *args, "-o", str(out), *TINY])
    assert res.exit_code == 0, res.output
    return res


def _write_idx(path, array):
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(n).to_bytes(4, "big")
                                                       for n in array.shape)
    path.write_bytes(header + np.ascontiguousarray(array, np.uint8).tobytes())


@pytest.fixture
def idx_digits(tmp_path, shared_data):
    """A folder of IDX files: 150 training and 200 test digits (from the shared test digits)."""
    x, y = load_digits("mnist", "test", limit=350)
    folder = tmp_path / "idx"
    folder.mkdir()
    for stem, sl in (("train", slice(0, 150)), ("t10k", slice(150, 350))):
        _write_idx(folder / f"{stem}-images-idx3-ubyte", x[sl])
        _write_idx(folder / f"{stem}-labels-idx1-ubyte", y[sl])
    return folder


def test_digits_run_and_eval(tmp_path, idx_digits):
    _train([str(idx_digits), "--limit", "120"], tmp_path / "run")
    data = json.loads((tmp_path / "run" / "data.json").read_text())
    assert data["classes_per_batch"] == 4 and data["samples_per_class"] == 3
    assert data["train"] + data["val"] == 120 and data["val_is_held_out"]
    for name in ("best.safetensors", "projection.png", "neighbours.png"):
        assert (tmp_path / "run" / name).is_file()
    res = runner.invoke(app, ["eval", "embed", str(tmp_path / "run"), "loc2vec"])
    assert res.exit_code == 2 and "trained on digits" in res.output  # 1 channel vs 4
    res = runner.invoke(app, ["eval", "embed", str(tmp_path / "run"), str(idx_digits),
                              "--projection", "pca", "-o", str(tmp_path / "ev"),
                              "--json", str(tmp_path / "ev.json")])
    assert res.exit_code == 0, res.output
    metrics = json.loads((tmp_path / "ev.json").read_text())
    assert metrics["images"] == 200 and metrics["kind"] == "digits"
    assert 0.1 < metrics["val_recall_at_1"] <= metrics["val_recall_at_8"] <= 1  # above chance
    assert (tmp_path / "ev" / "neighbours.png").is_file()


def _class_folder(root, classes=2, per_class=6):
    g = np.random.default_rng(0)
    for c in range(classes):
        for i in range(per_class):
            img = np.zeros((40, 48, 3), np.uint8)
            img[..., c % 3] = 200
            img += g.integers(0, 40, img.shape, dtype=np.uint8)
            write_image(root / f"class{c}" / f"{i}.png", img)
    return root


def test_folder_run_skips_bad_file_and_evals(tmp_path):
    data = _class_folder(tmp_path / "data")
    (data / "class0" / "broken.jpg").write_bytes(b"not a jpeg")
    _train([str(data), "--backbone", "small_cnn", "--image-size", "32", "--val-split", "0.34"],
           tmp_path / "run")
    summary = json.loads((tmp_path / "run" / "data.json").read_text())
    assert [s["path"].endswith("broken.jpg") for s in summary["skipped"]] == [True]
    res = runner.invoke(app, ["eval", "embed", str(tmp_path / "run"), str(data), "--json",
                              str(tmp_path / "ev.json")])
    assert res.exit_code == 0, res.output
    assert json.loads((tmp_path / "ev.json").read_text())["images"] == 12
    res = runner.invoke(app, ["eval", "embed", str(tmp_path / "run"), str(data), "--limit", "6",
                              "--json", str(tmp_path / "ev6.json")])
    assert res.exit_code == 0, res.output
    limited = json.loads((tmp_path / "ev6.json").read_text())
    assert limited["images"] == 6 and limited["classes"] == 2  # not the first class alone


def test_loc2vec_run_and_eval(tmp_path):
    _train(["loc2vec", "--city-size", "256", "--tiles-per-epoch", "48", "--tile-size", "24",
            "--negative-distance", "40"], tmp_path / "run")
    res = runner.invoke(app, ["eval", "embed", str(tmp_path / "run"), "loc2vec", "--city-size",
                              "256", "--groups", "30", "--per-group", "2", "--json",
                              str(tmp_path / "ev.json")])
    assert res.exit_code == 0, res.output
    m = json.loads((tmp_path / "ev.json").read_text())
    assert m["val_mix_l1_best"] <= m["val_mix_l1_nn"] < m["val_mix_l1_random"]
    # the training city (seed 0) is refused as test data
    res = runner.invoke(app, ["eval", "embed", str(tmp_path / "run"), "loc2vec", "--city-size",
                              "256", "--city-seed", "0"])
    assert res.exit_code == 2 and "trained on" in res.output


@pytest.mark.parametrize("case", ["missing", "one_class", "lone_image", "unknown_name"])
def test_bad_data_is_one_line_exit_2(tmp_path, case):
    if case == "missing":
        data, want = tmp_path / "nope", "no such folder"
    elif case == "unknown_name":
        data, want = "mnsit", "not a data set name"
    elif case == "one_class":
        data, want = _class_folder(tmp_path / "one", classes=1), "at least 2 classes"
    else:
        data = _class_folder(tmp_path / "lone")
        for p in list((data / "class1").iterdir())[1:]:
            p.unlink()
        want = "single image"
    res = runner.invoke(app, ["train", "embed", str(data), "-o", str(tmp_path / "run"), *TINY])
    assert res.exit_code == 2
    assert want in res.output and "Traceback" not in res.output


def test_registry_backbone_embeds_unit_vectors_with_imagenet_weights():
    from oculi.embed.networks import EmbeddingNet
    from oculi.models import create_model

    net = EmbeddingNet("efficientnet_lite0", dim=16, in_channels=3).eval()
    ref = create_model("efficientnet_lite0", pretrained=True)
    w = net.features.state_dict()["conv_stem.weight"]
    assert torch.equal(w, ref.body.state_dict()["conv_stem.weight"])
    out = net(torch.rand(2, 3, 64, 64))
    torch.testing.assert_close(out.norm(dim=1), torch.ones(2))


def test_resume_continues_exactly(tmp_path):
    from oculi.embed import EmbedConfig, train_embedder
    from oculi.models.weights import read_state_dict

    cfg = dict(city_size=256, tiles_per_epoch=24, tile_size=16, negative_distance=30,
               batch_size=12, samples_per_class=3, dim=8, threads=1, projection="pca",
               schedule="constant", warmup_epochs=0.0)  # the same lr in the 1- and 2-epoch runs
    train_embedder("loc2vec", EmbedConfig(epochs=2, **cfg), tmp_path / "full", progress=False)
    train_embedder("loc2vec", EmbedConfig(epochs=1, **cfg), tmp_path / "half", progress=False)
    train_embedder("loc2vec", EmbedConfig(epochs=2, **cfg), tmp_path / "half", resume=True,
                   progress=False)
    a = read_state_dict(tmp_path / "full" / "last.safetensors")
    b = read_state_dict(tmp_path / "half" / "last.safetensors")
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=0, atol=0)
