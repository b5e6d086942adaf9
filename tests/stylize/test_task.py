"""The ``stylize`` trainable task on a tiny setting (seconds)."""

from __future__ import annotations

import pytest

from oculi.core.errors import ParameterError
from oculi.data import load
from oculi.io import write_image
from oculi.stylize import StylizeConfig, load_stylizer, stylize, train_stylizer


@pytest.fixture
def folders(tmp_path):
    content = tmp_path / "content"
    content.mkdir()
    for i, name in enumerate(("astronaut", "coffee", "chelsea", "rocket")):
        write_image(content / f"{i}.png", load(name, mode="rgb")[:96, :96])
    (content / "0-broken.png").write_bytes(b"broken")
    style = tmp_path / "style.png"
    write_image(style, load("coffee", mode="rgb")[100:164, 200:264])
    return content, style


@pytest.mark.parametrize("model", ["johnson", "adain"])
def test_tiny_run_trains_loads_and_skips_a_bad_file(folders, tmp_path, model):
    content, style = folders
    cfg = StylizeConfig(model=model, style=str(style), image_size=32, style_size=48, width=4,
                        blocks=1, repeat=2, epochs=2, batch_size=2, val_images=1,
                        val_split=0.2, adain_layer="blocks.2")
    run = tmp_path / "run"
    result = train_stylizer(content, cfg, run, progress=False)
    assert result.skipped and "0-broken.png" in str(result.skipped)
    assert all(h["val_loss"] > 0 for h in result.history)
    _net, conf = load_stylizer(run)
    assert conf["model"] == model and conf["style"] == str(style)
    out = stylize(load("astronaut", mode="rgb")[:50, :70], style if model == "adain" else None,
                  run=run, image_size=None)
    assert out.image.shape == (50, 70, 3) and out.method == model


def test_training_needs_a_style(folders, tmp_path):
    with pytest.raises(ParameterError, match="style"):
        train_stylizer(folders[0], StylizeConfig(image_size=32), tmp_path / "r", progress=False)


def test_resume_continues_exactly(folders, tmp_path):
    """Both generators (training crops and style crops) are restored: 1 + 1 epochs equal 2."""
    import torch

    content, style = folders
    cfg = StylizeConfig(model="adain", style=str(style), image_size=32, style_size=48, width=4,
                        blocks=1, repeat=2, epochs=2, batch_size=2, val_images=1,
                        val_split=0.2, adain_layer="blocks.2", schedule="constant")
    train_stylizer(content, cfg, tmp_path / "full", progress=False)
    train_stylizer(content, StylizeConfig(**{**cfg.to_dict(), "epochs": 1}), tmp_path / "cut",
                   progress=False)
    train_stylizer(content, cfg, tmp_path / "cut", resume=True, progress=False)
    a, b = load_stylizer(tmp_path / "full")[0], load_stylizer(tmp_path / "cut")[0]
    for (name, x), y in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
        assert torch.allclose(x.float(), y.float(), atol=1e-6), name
