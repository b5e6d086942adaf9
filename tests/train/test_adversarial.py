"""The phased adversarial schedule (NoGAN / GAN / pixel): which optimizer steps in which
phase, run through the real engine on a toy image-to-image task."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from oculi.core.errors import ParameterError
from oculi.train.adversarial import AdversarialSchedule, recipe_phases
from oculi.train.config import TrainConfig
from oculi.train.loop import fit
from oculi.train.task import Task, TaskData


class _Toy(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.generator = nn.Conv2d(1, 1, 3, padding=1)
        self.critic = nn.Sequential(nn.Conv2d(1, 4, 3, 2, 1), nn.LeakyReLU(0.2),
                                    nn.Conv2d(4, 1, 3, 1, 1))

    def forward(self, x):
        return self.generator(x)


class _ToyTask(Task):
    name = "toy-i2i"

    def __init__(self, recipe: str, epochs: int) -> None:
        self.schedule = AdversarialSchedule(recipe_phases(recipe, epochs, 1, 1), "hinge", 0.1)
        self.log: list[tuple[int, str, tuple[str, ...], dict[str, bool]]] = []

    def build_model(self, cfg):
        return _Toy()

    def build_data(self, cfg, model, info):
        g = torch.Generator().manual_seed(0)
        x = torch.rand(8, 1, 8, 8, generator=g)
        items = list(zip(x, 1 - x, strict=True))
        return TaskData(items, items[:2])

    def build_optimizers(self, cfg, model):
        opts = {"generator": torch.optim.SGD(model.generator.parameters(), lr=0.1)}
        if self.schedule.uses_critic:
            opts["critic"] = torch.optim.SGD(model.critic.parameters(), lr=0.1)
        return opts

    def train_step(self, step, batch):
        x, y = step.to_device(batch)
        model = step.model
        before = {k: [p.detach().clone() for p in getattr(model, k).parameters()]
                  for k in ("generator", "critic")}
        out = self.schedule.step(step, generate=lambda: model(x), critic=model.critic,
                                 content=lambda f: nn.functional.l1_loss(f, y), real=y,
                                 n=x.shape[0])
        changed = {k: any(not torch.equal(a, b) for a, b in
                          zip(v, getattr(model, k).parameters(), strict=True))
                   for k, v in before.items()}
        self.log.append((step.epoch, self.schedule.phase(step.epoch).name,
                         tuple(step.stepped), changed))
        return out

    @torch.no_grad()
    def evaluate(self, model, loader, device):
        return {"val_l1": float(sum(nn.functional.l1_loss(model(x), y) for x, y in loader))}


def _run(recipe: str, epochs: int, tmp_path):
    task = _ToyTask(recipe, epochs)
    cfg = TrainConfig(epochs=epochs, batch_size=4, schedule="constant", warmup_epochs=0,
                      monitor="val_l1", clip_grad_norm=0, weight_decay=0)
    fit(task, cfg, tmp_path / recipe, progress=False)
    return task.log


def test_nogan_phases_step_the_right_optimizers(tmp_path):
    log = _run("nogan", 4, tmp_path)
    by_epoch = {e: (phase, stepped, changed) for e, phase, stepped, changed in log}
    assert [by_epoch[e][0] for e in range(4)] == ["generator", "generator", "critic",
                                                  "adversarial"]
    for e in (0, 1):  # generator pretraining: the critic is untouched
        assert by_epoch[e][1] == ("generator",)
        assert by_epoch[e][2] == {"generator": True, "critic": False}
    assert by_epoch[2][1] == ("critic",)  # critic pretraining on the frozen generator
    assert by_epoch[2][2] == {"generator": False, "critic": True}
    assert by_epoch[3][1] == ("critic", "generator")
    assert by_epoch[3][2] == {"generator": True, "critic": True}


def test_gan_and_pixel_recipes(tmp_path):
    assert {s for _, _, s, _ in _run("gan", 2, tmp_path)} == {("critic", "generator")}
    pixel = _run("pixel", 2, tmp_path)
    assert {s for _, _, s, _ in pixel} == {("generator",)}
    assert not any(c["critic"] for *_, c in pixel)


def test_recipe_errors():
    with pytest.raises(ParameterError, match="at least one generator epoch"):
        recipe_phases("nogan", 2, 1, 1)
    with pytest.raises(ParameterError, match="recipe"):
        recipe_phases("cyclegan", 4)
    phases = recipe_phases("nogan", 5, 1, 2)
    assert [(p.name, p.epochs) for p in phases] == [("generator", 2), ("critic", 1),
                                                    ("adversarial", 2)]
    assert AdversarialSchedule(phases).phase(99).name == "adversarial"
