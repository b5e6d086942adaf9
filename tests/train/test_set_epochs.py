"""Changing a run's length while it trains (``Trainer.set_epochs``) and the detection bench's
time budget built on it (a fake clock: no timing in tests)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from oculi.models import read_state_dict
from oculi.train import HookBase, fit
from tests.train.test_engine import _LinConfig, _LinTask

COSINE = dict(batch_size=8, lr=0.05, schedule="cosine", warmup_epochs=1.0, min_lr_ratio=0.1)


class _Shorten(HookBase):
    def __init__(self, epochs: int) -> None:
        self.epochs = epochs

    def after_epoch(self) -> None:
        if self.trainer.epoch == 0:
            self.trainer.set_epochs(self.epochs)


def test_set_epochs_ends_the_run_and_its_schedule_there(tmp_path: Path) -> None:
    # an upper bound of 20 epochs cut to 3 after the warm-up epoch trains exactly as a 3-epoch
    # run: same learning rates step by step, so the same weights
    cut = fit(_LinTask(), _LinConfig(epochs=20, **COSINE), tmp_path / "cut", progress=False,
              hooks=[_Shorten(3)])
    straight = fit(_LinTask(), _LinConfig(epochs=3, **COSINE), tmp_path / "straight",
                   progress=False)
    assert len(cut.history) == 3
    assert [h["lr"] for h in cut.history] == pytest.approx([h["lr"] for h in straight.history])
    assert cut.history[-1]["lr"] == pytest.approx(0.05 * 0.1)   # the cosine reached its end
    a = read_state_dict(tmp_path / "cut" / "last.safetensors")
    b = read_state_dict(tmp_path / "straight" / "last.safetensors")
    for k in a:
        torch.testing.assert_close(a[k], b[k])


def test_set_epochs_can_lengthen_a_run(tmp_path: Path) -> None:
    r = fit(_LinTask(), _LinConfig(epochs=2, **COSINE), tmp_path / "long", progress=False,
            hooks=[_Shorten(5)])
    assert [h["epoch"] for h in r.history] == [0, 1, 2, 3, 4]
    assert r.history[-1]["lr"] == pytest.approx(0.05 * 0.1)


def test_detection_bench_budget_fills_the_time_and_stops_inside_it(tmp_path, monkeypatch):
    import bench.detect as bd

    clock = [0.0]
    monkeypatch.setattr(bd.time, "perf_counter", lambda: clock[0])

    class Tick(HookBase):  # 1 s per step; the first epoch 3 s more (decoding, caching)
        def after_step(self) -> None:
            clock[0] += 1.0 + (3.0 if self.trainer.step.index == 0 else 0.0)

    budget = bd.TimeBudget(21.0)
    r = fit(_LinTask(), _LinConfig(epochs=50, n=32, **COSINE), tmp_path / "b", progress=False,
            hooks=[Tick(), budget])
    # 4 steps an epoch: 7 s, then 4 s each: 7 + 4 + 4 + 4 = 19 s, no room for a fifth (23 s)
    assert len(r.history) == 4
    assert budget.used_s == pytest.approx(19.0)
    assert r.stopped_early
    assert r.history[-1]["lr"] == pytest.approx(0.05 * 0.1)   # schedule ended at the last epoch


class _Kill(HookBase):  # after the epoch's state is written (extra hooks run after Checkpointer)
    def after_epoch(self) -> None:
        if self.trainer.epoch == 1:
            raise KeyboardInterrupt


def test_resume_keeps_the_length_set_while_training(tmp_path: Path) -> None:
    # 20 epochs cut to 3 after epoch 0, killed after epoch 1: the resumed run trains epoch 2
    # only, on the 3-epoch schedule (state.pt holds the length), as the uninterrupted run
    run = tmp_path / "cut"
    with pytest.raises(KeyboardInterrupt):
        fit(_LinTask(), _LinConfig(epochs=20, **COSINE), run, progress=False,
            hooks=[_Shorten(3), _Kill()])
    resumed = fit(_LinTask(), _LinConfig(epochs=20, **COSINE), run, progress=False, resume=True)
    straight = fit(_LinTask(), _LinConfig(epochs=3, **COSINE), tmp_path / "straight",
                   progress=False)
    assert [h["epoch"] for h in resumed.history] == [0, 1, 2]
    assert [h["lr"] for h in resumed.history] == pytest.approx([h["lr"] for h in straight.history])
    a = read_state_dict(run / "last.safetensors")
    b = read_state_dict(tmp_path / "straight" / "last.safetensors")
    for k in a:
        torch.testing.assert_close(a[k], b[k])
