"""Fine-tuning on few clips: the classifier's own learning rate (``head_lr_scale``) and a linear
probe before fine-tuning (``freeze_backbone_epochs``: only the classifier moves at first)."""

from __future__ import annotations

import pytest
import torch

from oculi.action.config import ActionConfig
from oculi.action.models import ActionNet
from oculi.action.task import ActionTask
from oculi.core.errors import ParameterError
from oculi.train.hooks import HookBase
from oculi.train.loop import fit
from tests.action.test_train import _cfg, direction_set  # noqa: F401  (fixture)


@pytest.mark.parametrize(("model", "backbone"), [("r2plus1d", None), ("x3d", None),
                                                ("tsm", None), ("tsm", "efficientnet_lite0")])
def test_head_parameters_are_the_final_classifier_only(model, backbone):
    net = ActionNet(model, ["a", "b", "c"], clip_len=4, channels=3, width=8, backbone=backbone,
                    pretrained=False)
    head = net.head_parameters()
    assert head[0].shape[0] == 3                                # (classes, features) weight
    assert sum(p.numel() for p in head) < sum(p.numel() for p in net.parameters()) / 10
    assert all(any(p is q for q in net.parameters()) for p in head)


def test_head_learns_faster_and_the_rest_holds_for_the_probe_epochs():
    task = ActionTask(".")
    net = ActionNet("tsm", ["a", "b"], clip_len=4, width=8)
    cfg = ActionConfig(lr=1e-3, head_lr_scale=10.0, freeze_backbone_epochs=2)
    groups = task.build_optimizers(cfg, net)["main"].param_groups
    head = {id(p) for p in net.head_parameters()}
    for g in groups:
        is_head = id(g["params"][0]) in head
        assert g["lr"] == pytest.approx(1e-2 if is_head else 1e-3)
        assert g.get("hold_epochs", 0) == (0 if is_head else 2)
    assert sum(len(g["params"]) for g in groups) == sum(1 for _ in net.parameters())


class _Snapshot(HookBase):
    """The model's weights before training and after every epoch."""

    def __init__(self) -> None:
        self.states: list[dict[str, torch.Tensor]] = []

    def before_train(self) -> None:
        self.after_epoch()

    def after_epoch(self) -> None:
        self.states.append({k: v.detach().clone()
                            for k, v in self.trainer.model.state_dict().items()})


class _Probed(ActionTask):
    def __init__(self, data, snap: _Snapshot) -> None:
        super().__init__(data)
        self.snap = snap

    def hooks(self, cfg):
        return [self.snap]


def test_linear_probe_epochs_move_only_the_classifier(direction_set, tmp_path):  # noqa: F811
    snap = _Snapshot()
    cfg = _cfg(model="tsm", epochs=2, repeat=1, freeze_backbone_epochs=1, head_lr_scale=5.0)
    fit(_Probed(direction_set, snap), cfg, tmp_path / "run", progress=False)
    start, probe, tuned = snap.states
    head = {"net.head.1.weight", "net.head.1.bias"}
    weights = [k for k in start if k.endswith("weight") and k not in head]
    assert not torch.equal(probe["net.head.1.weight"], start["net.head.1.weight"])
    assert all(torch.equal(probe[k], start[k]) for k in weights if start[k].ndim > 1)
    assert any(not torch.equal(tuned[k], probe[k]) for k in weights if start[k].ndim > 1)


@pytest.mark.parametrize("bad", [{"head_lr_scale": 0.0}, {"freeze_backbone_epochs": -1},
                                 {"freeze_backbone_epochs": 20, "epochs": 20}])
def test_bad_fine_tuning_settings_are_parameter_errors(bad):
    with pytest.raises(ParameterError, match=next(iter(bad))):
        ActionConfig(**bad).validate()
