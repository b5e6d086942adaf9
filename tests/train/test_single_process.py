"""Configs that train only in one process are refused by Ray and torchrun, naming the reason."""

from __future__ import annotations

import pytest

from oculi.colorize.config import ColorizeConfig
from oculi.compress.config import CompressConfig
from oculi.core.errors import ParameterError
from oculi.generate.gan_config import GanConfig
from oculi.generate.img2img_config import CycleGanConfig, Pix2PixConfig
from oculi.restore.lowlight_config import LowlightConfig
from oculi.restore.sid_config import SidConfig


@pytest.mark.parametrize(("cfg", "word"), [(CompressConfig(gan=True), "gan"),
                                           (Pix2PixConfig(), "pix2pix"),
                                           (CycleGanConfig(), "CycleGAN"),
                                           (GanConfig(), "GAN task"),
                                           (ColorizeConfig(model="unet"), "critic"),
                                           (ColorizeConfig(model="unet", recipe="gan"), "critic")])
def test_two_optimizer_gans_train_in_one_process(cfg, word):
    reason = cfg.single_process_reason()
    assert reason is not None and word in reason


@pytest.mark.parametrize("cfg", [CompressConfig(), LowlightConfig(), SidConfig(),
                                 ColorizeConfig(), ColorizeConfig(model="unet", recipe="pixel")])
def test_one_optimizer_tasks_run_data_parallel(cfg):
    assert cfg.single_process_reason() is None


def test_ray_refuses_the_gan_codec(tmp_path):
    from oculi.batch.training import train_on_ray

    with pytest.raises(ParameterError, match="--ray: the GAN codec"):
        train_on_ray("compress", tmp_path, CompressConfig(gan=True), tmp_path / "run", 2)


def test_torchrun_refuses_a_single_process_config(tmp_path, monkeypatch):
    import oculi.train.loop as loop
    from oculi.generate.img2img_task import Pix2PixTask
    from oculi.train.distributed import DistInfo

    monkeypatch.setattr(loop, "setup", lambda device: DistInfo(rank=0, world=2))
    with pytest.raises(ParameterError, match="torchrun: pix2pix"):
        loop.fit(Pix2PixTask(tmp_path), Pix2PixConfig(), tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_the_two_optimizer_example_trains_in_one_process():
    from oculi.train.example import Gan2dConfig

    assert "one process" in Gan2dConfig().single_process_reason()
