"""Run folders: one run at a time (a lock), no new run mixed into an old one, and a run killed
between its state and its metrics line resumes without a duplicate epoch or mismatched state."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from oculi.core.errors import DataError
from oculi.train import fit, read_metrics
from oculi.train._rundir import LOCK_NAME, run_lock
from oculi.train.example import Gan2dConfig, Gan2dTask

GAN = dict(points=128, batch_size=64, threads=1)
runner = CliRunner()


def _app():
    from oculi.cli.main import app

    return app


def _gan(epochs: int) -> Gan2dConfig:
    return Gan2dConfig(**GAN, epochs=epochs)


def test_a_second_process_is_refused_while_a_run_holds_the_folder(tmp_path: Path) -> None:
    run = tmp_path / "run"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys; from oculi.core.lock import FolderLock\n"  # no torch
         f"lock = FolderLock({str(run)!r}, {LOCK_NAME!r}).acquire()\n"
         "print('locked', flush=True); sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(DataError, match=f"run folder {run} is in use by process {holder.pid}"):
            fit(Gan2dTask(), _gan(1), run, progress=False)
        assert not (run / "config.yaml").exists()  # refused before writing anything
        # the holder dies without releasing: its lock goes with it and the next run takes over
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
    result = fit(Gan2dTask(), _gan(1), run, progress=False)
    assert [h["epoch"] for h in result.history] == [0]
    assert not (run / LOCK_NAME).exists()  # released (and removed) at the end


def test_the_train_command_into_a_busy_folder_is_a_one_line_error(tmp_path: Path) -> None:
    with run_lock(tmp_path / "run"):
        res = runner.invoke(_app(), ["train", "gan2d", ".", "-o", str(tmp_path / "run"),
                                     "--epochs", "1", "--points", "64", "--threads", "1"])
    assert res.exit_code == 2, res.output
    assert f"is in use by process {os.getpid()}" in res.output
    assert "Traceback" not in res.output


def test_a_folder_holding_a_run_needs_resume_or_overwrite(tmp_path: Path) -> None:
    run = tmp_path / "run"
    fit(Gan2dTask(), _gan(2), run, progress=False)
    with pytest.raises(DataError, match=re.escape("already holds a run (metrics.jsonl, state.pt) "
                                                  "— continue it with --resume")):
        fit(Gan2dTask(), _gan(1), run, progress=False)
    assert [h["epoch"] for h in read_metrics(run)] == [0, 1]  # untouched
    args = ["train", "gan2d", ".", "-o", str(run), "--epochs", "1", "--points", "128",
            "--threads", "1"]
    res = runner.invoke(_app(), args)
    assert res.exit_code == 2 and "already holds a run" in res.output, res.output
    res = runner.invoke(_app(), [*args, "--resume", "--overwrite"])
    assert res.exit_code == 2 and "choose one" in res.output, res.output
    (run / "keep.txt").write_text("mine")
    res = runner.invoke(_app(), [*args, "--overwrite"])
    assert res.exit_code == 0, res.output
    assert [h["epoch"] for h in read_metrics(run)] == [0]  # a new run, not appended to the old
    assert (run / "keep.txt").read_text() == "mine"
    fit(Gan2dTask(), _gan(2), run, overwrite=True, progress=False)
    assert [h["epoch"] for h in read_metrics(run)] == [0, 1]


class _Killed(BaseException):
    """Stands for the process dying at this point."""


def _tensors(obj, prefix=""):
    if torch.is_tensor(obj):
        return {prefix: obj}
    if isinstance(obj, dict):
        return {k: v for key, val in obj.items() for k, v in _tensors(val, f"{prefix}/{key}").items()}
    if isinstance(obj, list | tuple):
        return {k: v for i, val in enumerate(obj) for k, v in _tensors(val, f"{prefix}/{i}").items()}
    return {}


@pytest.mark.parametrize("kill_at", ["state write", "metrics append"])
def test_a_run_killed_between_its_writes_resumes_without_duplicates(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kill_at: str) -> None:
    from oculi.models import read_state_dict

    fit(Gan2dTask(), _gan(3), tmp_path / "straight", progress=False)
    run = tmp_path / "killed"
    calls = {"n": 0}
    if kill_at == "state write":
        real = torch.save

        def save(obj, f, *a, **k):
            calls["n"] += 1
            if calls["n"] == 2:  # epoch 1's state.pt
                raise _Killed
            return real(obj, f, *a, **k)

        monkeypatch.setattr(torch, "save", save)
    else:
        import oculi.train.hooks as hooks

        real_append = hooks.append_jsonl

        def append(path, obj):
            calls["n"] += 1
            if calls["n"] == 2:  # epoch 1's metrics line
                raise _Killed
            return real_append(path, obj)

        monkeypatch.setattr(hooks, "append_jsonl", append)
    with pytest.raises(_Killed):
        fit(Gan2dTask(), _gan(3), run, progress=False)
    monkeypatch.undo()
    if kill_at == "metrics append":
        # the weights file may lag behind the state (a kill between them): resume must not use it
        weights = read_state_dict(run / "last.safetensors")
        from oculi.models.weights import save_weights
        from oculi.train.example import Gan2d

        model = Gan2d(32)
        model.load_state_dict({k: torch.zeros_like(v) for k, v in weights.items()})
        save_weights(model, run / "last.safetensors", {})
    result = fit(Gan2dTask(), _gan(3), run, resume=True, progress=False)
    assert [h["epoch"] for h in read_metrics(run)] == [0, 1, 2]
    assert [h["epoch"] for h in result.history] == [0, 1, 2]
    a = read_state_dict(tmp_path / "straight" / "last.safetensors")
    b = read_state_dict(run / "last.safetensors")
    for k in a:
        torch.testing.assert_close(a[k], b[k], msg=k)
    sa = _tensors(torch.load(tmp_path / "straight" / "state.pt", weights_only=True)["optimizers"])
    sb = _tensors(torch.load(run / "state.pt", weights_only=True)["optimizers"])
    assert sa.keys() == sb.keys() and sa
    for k in sa:
        torch.testing.assert_close(sa[k], sb[k], msg=k)


def test_resume_truncates_metrics_to_the_checkpoint_and_removes_stale_temp_files(
        tmp_path: Path) -> None:
    import json

    run = tmp_path / "run"
    fit(Gan2dTask(), _gan(1), run, progress=False)
    # what a kill during epoch 1 left behind: its metrics line and a half-written state file
    with (run / "metrics.jsonl").open("a") as fh:
        fh.write(json.dumps({"epoch": 1, "train_loss": 9.0}) + "\n")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    stale = run / f".state.oculi-tmp-{dead}-k1ll3d.pt"
    stale.write_bytes(b"half")
    result = fit(Gan2dTask(), _gan(2), run, resume=True, progress=False)
    lines = read_metrics(run)
    assert [h["epoch"] for h in lines] == [0, 1]
    assert lines[1]["train_loss"] != 9.0 and lines[1] == json.loads(json.dumps(result.history[1]))
    assert not stale.exists()


def test_read_metrics_leaves_out_a_line_cut_short_by_a_kill(tmp_path: Path) -> None:
    run = tmp_path / "run"
    fit(Gan2dTask(), _gan(2), run, progress=False)
    text = (run / "metrics.jsonl").read_text()
    (run / "metrics.jsonl").write_text(text + text.splitlines()[0][:25])  # a half-written line
    assert [h["epoch"] for h in read_metrics(run)] == [0, 1]
    (run / "metrics.jsonl").write_text("{oops\n" + text)
    with pytest.raises(DataError, match=r"metrics\.jsonl: line 1 is not JSON"):
        read_metrics(run)


def test_resuming_with_another_architecture_is_a_data_error(tmp_path: Path) -> None:
    run = tmp_path / "run"
    fit(Gan2dTask(), _gan(1), run, progress=False)
    with pytest.raises(DataError, match=r"do not fit this configuration.*config\.yaml"):
        fit(Gan2dTask(), Gan2dConfig(**{**GAN, "hidden": 8}, epochs=2), run, resume=True,
            progress=False)
