"""The engine on its own: several optimizers with their own ratio and schedule, a custom sampler,
exact resume, gradient accumulation, hooks, and the train/eval commands generated from configs."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn
from typer.testing import CliRunner

from oculi.core.errors import DataError, ParameterError
from oculi.train import HookBase, Step, Task, TaskData, TrainConfig, fit, read_metrics
from oculi.train.example import Gan2dConfig, Gan2dTask, evaluate_gan2d, train_gan2d

GAN = dict(epochs=3, points=256, batch_size=64, threads=1)


def test_two_optimizers_step_at_their_own_ratio(tmp_path: Path) -> None:
    cfg = Gan2dConfig(**GAN, critic_steps=2, generator_lr=1e-3)
    task = Gan2dTask()
    result = fit(task, cfg, tmp_path / "gan", progress=False)
    steps = 3 * 256 // 64  # batches per run
    state = torch.load(tmp_path / "gan" / "state.pt", weights_only=True)
    counts = {name: int(next(iter(opt["state"].values()))["step"])
              for name, opt in state["optimizers"].items()}
    assert counts == {"critic": steps, "generator": steps // 2}
    hist = result.history
    assert hist[-1]["lr"] == pytest.approx(2e-3) and hist[-1]["lr_generator"] == pytest.approx(1e-3)
    assert {"critic_loss", "generator_loss", "val_moment_error"} <= set(hist[-1])
    # the custom sampler was used and told each epoch
    assert task.sampler.epochs_seen == [0, 1, 2]


def test_the_example_gan_learns_the_target(tmp_path: Path) -> None:
    before = evaluate_gan2d_untrained()
    result = train_gan2d(None, Gan2dConfig(epochs=8, points=512, threads=1), tmp_path / "g",
                         progress=False)
    report = evaluate_gan2d(tmp_path / "g")
    assert result.best_metric < 0.5 * before
    assert report["val_moment_error"] == pytest.approx(result.best_metric, abs=0.3)


def evaluate_gan2d_untrained() -> float:
    from oculi.train.example import Gan2d, moment_error

    torch.manual_seed(0)
    with torch.no_grad():
        return moment_error(Gan2d(32).generator(torch.randn(2048, 2)))


def test_resume_with_two_optimizers_is_exact(tmp_path: Path) -> None:
    cfg = Gan2dConfig(**dict(GAN, epochs=2))
    fit(Gan2dTask(), cfg, tmp_path / "straight", progress=False)
    fit(Gan2dTask(), cfg.replace(epochs=1), tmp_path / "part", progress=False)
    fit(Gan2dTask(), cfg, tmp_path / "part", resume=True, progress=False)
    from oculi.models import read_state_dict

    a = read_state_dict(tmp_path / "straight" / "last.safetensors")
    b = read_state_dict(tmp_path / "part" / "last.safetensors")
    for k in a:
        torch.testing.assert_close(a[k], b[k], msg=k)
    assert [h["epoch"] for h in read_metrics(tmp_path / "part")] == [0, 1]


@dataclass
class _LinConfig(TrainConfig):
    """A linear regression config (tests).

    Attributes:
        n: samples.
    """

    n: int = 32
    optimizer: str = "sgd"
    momentum: float = 0.0
    weight_decay: float = 0.0
    schedule: str = "constant"
    warmup_epochs: float = 0.0
    clip_grad_norm: float = 0.0


class _LinTask(Task):
    name = "lin"

    def build_model(self, cfg: _LinConfig) -> nn.Module:
        return nn.Linear(3, 1)

    def build_data(self, cfg: _LinConfig, model: nn.Module, info: Any) -> TaskData:
        g = torch.Generator().manual_seed(1)
        x = torch.randn(cfg.n, 3, generator=g)
        y = x @ torch.tensor([[1.0], [-2.0], [0.5]]) + 0.1
        ds = torch.utils.data.TensorDataset(x, y)
        return TaskData(ds, ds, {"n": cfg.n})

    def train_step(self, step: Step, batch: Any):
        x, y = step.to_device(batch)
        return nn.functional.mse_loss(step.model(x), y), {}, len(x)

    def evaluate(self, model: nn.Module, loader: Any, device: torch.device) -> dict[str, Any]:
        with torch.no_grad():
            loss = sum(float(nn.functional.mse_loss(model(x), y, reduction="sum"))
                       for x, y in loader)
        return {"val_loss": loss / len(loader.dataset)}


def test_accumulation_equals_the_larger_batch(tmp_path: Path) -> None:
    big = fit(_LinTask(), _LinConfig(epochs=2, batch_size=8, lr=0.05), tmp_path / "a",
              progress=False)
    acc = fit(_LinTask(), _LinConfig(epochs=2, batch_size=4, accumulate_steps=2, lr=0.05),
              tmp_path / "b", progress=False)
    from oculi.models import read_state_dict

    a = read_state_dict(tmp_path / "a" / "last.safetensors")
    b = read_state_dict(tmp_path / "b" / "last.safetensors")
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=1e-5, atol=1e-6)
    assert big.history[-1]["val_loss"] < big.history[0]["val_loss"]
    assert acc.history[-1]["val_loss"] == pytest.approx(big.history[-1]["val_loss"], rel=1e-4)


def test_hooks_run_in_order_and_can_stop(tmp_path: Path) -> None:
    calls: list[str] = []

    class Spy(HookBase):
        def before_train(self) -> None:
            calls.append("before_train")

        def before_epoch(self) -> None:
            calls.append(f"epoch{self.trainer.epoch}")

        def after_step(self) -> None:
            calls.append("step")

        def after_epoch(self) -> None:
            assert "val_loss" in self.trainer.record  # the evaluation hook ran before
            if self.trainer.epoch == 1:
                self.trainer.stop_reason = "spy says stop"

        def after_train(self) -> None:
            calls.append("after_train")

    r = fit(_LinTask(), _LinConfig(epochs=5, batch_size=16), tmp_path / "h", progress=False,
            hooks=[Spy()])
    assert calls == ["before_train", "epoch0", "step", "step", "epoch1", "step", "step",
                     "after_train"]
    assert r.stopped_early and len(r.history) == 2


def test_a_task_without_optimizers_is_a_clear_error(tmp_path: Path) -> None:
    class NoOpt(_LinTask):
        def build_optimizers(self, cfg, model):
            return {}

    with pytest.raises(DataError, match="no optimizer"):
        fit(NoOpt(), _LinConfig(epochs=1), tmp_path / "x", progress=False)


def test_engine_config_has_no_task_fields() -> None:
    names = {f.name for f in fields(TrainConfig)}
    assert not names & {"model", "pretrained", "mix_prob", "label_smoothing", "head",
                        "image_size", "val_split", "task_options"}
    with pytest.raises(ParameterError, match="accumulate_steps"):
        TrainConfig(accumulate_steps=0)


# -- the generated CLI ---------------------------------------------------------------------------
runner = CliRunner()


def _app():
    from oculi.cli.main import app

    return app


def test_train_help_lists_every_task_from_the_registry() -> None:
    from oculi.tasks import trainable_tasks

    res = runner.invoke(_app(), ["train", "--help"])
    assert res.exit_code == 0
    for name in trainable_tasks.names():
        assert name in res.output


@pytest.mark.parametrize("task", ["classify", "detect", "segment", "segment3d", "gan2d"])
def test_train_task_help_shows_the_config_defaults(task: str) -> None:
    from oculi.tasks import trainable_tasks

    cls = trainable_tasks.get(task).config_class()
    res = runner.invoke(_app(), ["train", task, "--help"], env={"COLUMNS": "400"})
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.replace("│", " ").split())
    defaults = cls()
    for f in fields(cls):
        flag = "--" + f.name.replace("_", "-")
        assert flag in text, flag
        value = getattr(defaults, f.name)
        shown = "none" if value is None else str(value)
        pattern = r"\[default: \(?" + re.escape(shown) + r"\)?\]"
        assert re.search(pattern, text), (f.name, shown)


def test_generated_train_and_eval_commands_run(tmp_path: Path) -> None:
    out = tmp_path / "run"
    res = runner.invoke(_app(), ["train", "gan2d", ".", "-o", str(out), "--epochs", "2",
                                 "--points", "128", "--critic-steps", "1", "--threads", "1",
                                 "--json", str(tmp_path / "r.json")])
    assert res.exit_code == 0, res.output
    assert json.loads((tmp_path / "r.json").read_text())["epochs_run"] == 2
    text = (out / "config.yaml").read_text()
    cfg = __import__("yaml").safe_load(text)
    assert cfg["critic_steps"] == 1 and cfg["points"] == 128 and text.startswith("# task: gan2d")
    assert Gan2dConfig.from_yaml(out / "config.yaml") == Gan2dConfig(**cfg)  # reusable as --config
    res = runner.invoke(_app(), ["eval", "gan2d", str(out), ".", "--samples", "512",
                                 "--json", str(tmp_path / "e.json")])
    assert res.exit_code == 0, res.output
    e = json.loads((tmp_path / "e.json").read_text())
    assert e["samples"] == 512 and e["val_moment_error"] >= 0


def test_config_file_keys_and_unknown_keys(tmp_path: Path) -> None:
    (tmp_path / "run.yaml").write_text("epochs: 1\npoints: 64\ncritic_stepz: 3\n")
    res = runner.invoke(_app(), ["train", "gan2d", ".", "-o", str(tmp_path / "r"),
                                 "--config", str(tmp_path / "run.yaml")])
    assert res.exit_code == 2
    assert "unknown key(s) ['critic_stepz']" in res.output
    res = runner.invoke(_app(), ["train", "gan2d", ".", "-o", str(tmp_path / "r"),
                                 "--epochs", "0"])
    assert res.exit_code == 2 and "epochs" in res.output


def test_an_unreadable_training_item_is_skipped_and_reported(tmp_path: Path, capsys) -> None:
    from oculi.core.errors import ImageReadError

    class Broken(torch.utils.data.Dataset):
        def __init__(self, base):
            self.base = base

        def __len__(self):
            return len(self.base)

        def __getitem__(self, i):
            if i == 3:
                raise ImageReadError("cut.jpg: corrupt or truncated JPEG")
            return self.base[i]

    class BrokenTask(_LinTask):
        def build_data(self, cfg, model, info):
            data = super().build_data(cfg, model, info)
            data.train = Broken(data.train)
            return data

    r = fit(BrokenTask(), _LinConfig(epochs=2, batch_size=8), tmp_path / "b", progress=False)
    assert len(r.history) == 2 and (tmp_path / "b" / "best.safetensors").is_file()
    assert r.skipped == {"item 3": "cut.jpg: corrupt or truncated JPEG"}
    summary = json.loads((tmp_path / "b" / "summary.json").read_text())
    assert summary["skipped"] == r.skipped
    assert "skipped unreadable training item item 3" in capsys.readouterr().err
