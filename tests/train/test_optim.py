"""Weight-decay groups, the LR schedule, EMA, the config."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import torch
from torch import nn

from oculi.classify import ClassifyConfig
from oculi.core.errors import ParameterError
from oculi.train import ModelEma, build_optimizer, lr_factor, param_groups


def _net() -> nn.Module:
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.Flatten(), nn.Linear(4, 2))


def test_norms_and_biases_are_excluded_from_decay() -> None:
    decay, no_decay = param_groups(_net(), 0.05)
    assert decay["weight_decay"] == 0.05 and no_decay["weight_decay"] == 0.0
    assert sorted(p.numel() for p in decay["params"]) == [8, 108]  # conv and linear weights
    assert len(no_decay["params"]) == 4  # conv bias, bn weight and bias, linear bias
    assert len(param_groups(_net(), 0.05, decay_norm_bias=True)) == 1


def test_head_gets_its_own_learning_rate() -> None:
    net = _net()
    opt = build_optimizer(net, "adamw", 1e-4, 0.05, head_params=net[3].parameters(),
                          head_lr_scale=10.0)
    lrs = {id(p): g["lr"] for g in opt.param_groups for p in g["params"]}
    assert lrs[id(net[3].weight)] == pytest.approx(1e-3) and lrs[id(net[3].bias)] == 1e-3
    assert lrs[id(net[0].weight)] == pytest.approx(1e-4)


def test_sgd_uses_nesterov_momentum() -> None:
    opt = build_optimizer(_net(), "sgd", 0.1, 1e-4, momentum=0.9)
    assert isinstance(opt, torch.optim.SGD) and opt.defaults["nesterov"]
    assert isinstance(build_optimizer(_net(), "adamw", 0.1, 0.0), torch.optim.AdamW)


def test_cosine_schedule_with_warmup() -> None:
    f = [lr_factor(s, 100, 10, "cosine", 0.01) for s in range(101)]
    assert f[0] == pytest.approx(0.1) and f[9] == pytest.approx(1.0)
    assert f[10] == pytest.approx(1.0) and f[55] == pytest.approx(0.505, abs=1e-3)
    assert f[100] == pytest.approx(0.01)
    assert all(a >= b for a, b in itertools.pairwise(f[10:]))
    assert lr_factor(50, 100, 0, "constant") == 1.0


def test_ema_follows_the_formula() -> None:
    torch.manual_seed(0)
    net = nn.Linear(3, 1)
    ema = ModelEma(net, decay=0.5)
    w0 = net.weight.detach().clone()
    with torch.no_grad():
        net.weight.add_(1.0)
    ema.update(net)  # decay min(0.5, 2/11)
    d = 2 / 11
    torch.testing.assert_close(ema.module.weight, d * w0 + (1 - d) * net.weight)
    for _ in range(60):
        ema.update(net)
    torch.testing.assert_close(ema.module.weight, net.weight)


def test_ema_copies_buffers_and_averages_every_parameter() -> None:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3), nn.Linear(1, 2))
    ema = ModelEma(net, decay=0.5)
    before = {k: v.detach().clone() for k, v in ema.module.named_parameters()}
    net.train()
    net[1](torch.randn(4, 3, 5, 5) * 3 + 2)  # moves the running statistics
    with torch.no_grad():
        for p in net.parameters():
            p.add_(1.0)
    ema.update(net)
    d = 2 / 11
    for k, p in net.named_parameters():
        torch.testing.assert_close(dict(ema.module.named_parameters())[k], d * before[k] + (1 - d) * p)
    for k, b in net.named_buffers():
        assert torch.equal(dict(ema.module.named_buffers())[k], b), k


def test_config_round_trip_and_validation(tmp_path: Path) -> None:
    cfg = ClassifyConfig(model="resnet18", epochs=3)
    (tmp_path / "run.yaml").write_text("model: squeezenext\nepochs: 4\nlr: 0.01\n")
    loaded = ClassifyConfig.from_yaml(tmp_path / "run.yaml", epochs=7)
    assert (loaded.model, loaded.epochs, loaded.lr) == ("squeezenext", 7, 0.01)
    assert ClassifyConfig.from_dict(cfg.to_dict()) == cfg
    plain = ClassifyConfig.plain()
    assert (plain.mix_prob, plain.ema_decay, plain.label_smoothing, plain.schedule) == (
        0.0, 0.0, 0.0, "constant")
    with pytest.raises(ParameterError, match="unknown key"):
        ClassifyConfig.from_dict({"modle": "x"})
    with pytest.raises(ParameterError, match="label_smoothing"):
        ClassifyConfig(label_smoothing=1.5)
