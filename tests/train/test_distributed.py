"""DDP through torchrun: two gloo processes on this machine end with identical weights."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from oculi.models import create_model, read_state_dict


@pytest.mark.slow  # two interpreters importing torch: ~30 s of CPU
def test_two_process_ddp_ranks_end_identical(folder: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "run.yaml"
    cfg.write_text("model: squeezenext\npretrained: false\nepochs: 1\nbatch_size: 4\n"
                   "image_size: 32\neval_size: 32\nthreads: 1\nlr: 0.01\nmix_prob: 0.5\n"
                   "ema_decay: 0.5\n")
    run = tmp_path / "ddp"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node",
           "2", "-m", "oculi.cli.main", "train", "classify", str(folder), "--out", str(run),
           "--config", str(cfg), "--save-all-ranks"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    r0 = read_state_dict(run / "final_rank0.safetensors")
    r1 = read_state_dict(run / "final_rank1.safetensors")
    assert r0.keys() == r1.keys()
    for k in r0:
        assert torch.equal(r0[k], r1[k]), k
    # and they trained: the weights moved away from the seeded initialisation
    torch.manual_seed(0)
    init = create_model("squeezenext", num_classes=2).state_dict()
    moved = [k for k in r0 if k.endswith("weight") and not torch.equal(r0[k], init[k])]
    assert len(moved) > 10
    # each rank saw half of each epoch: 24 images -> 12 per rank -> 3 steps of 4
    assert (run / "metrics.jsonl").read_text().count("\n") == 1


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_asked_without_a_gpu_is_a_clear_error() -> None:
    from oculi.core.errors import ParameterError
    from oculi.train.distributed import setup

    with pytest.raises(ParameterError, match="device: 'cuda'"):
        setup("cuda")
    assert setup("auto").device == torch.device("cpu")
