"""The configuration of the ``capsnet`` trainable task (the one place its defaults live):
CapsNet with dynamic routing, or the CNN of the same parameter count, on 28x28 digit sets.
The module imports no torch."""

from __future__ import annotations

from dataclasses import dataclass

from oculi.core.checks import check_choice, check_positive
from oculi.core.errors import ParameterError
from oculi.train.config import TrainConfig, check_fraction

#: the networks of the task (built in :mod:`oculi.capsule.nets`)
MODELS = ("capsnet", "cnn")


@dataclass
class CapsNetConfig(TrainConfig):
    """Training CapsNet (Sabour et al. 2017) or a CNN with the same parameter count on 28x28
    gray digits (MNIST, Fashion-MNIST or a folder of IDX files), with the paper's augmentation
    (random shifts of up to ``shift`` pixels) and, for CapsNet, margin loss plus the weighted
    reconstruction loss.

    Attributes:
        model: ``capsnet`` or ``cnn`` (the baseline, sized to the CapsNet these settings make,
            decoder included).
        conv_channels: channels of the first 9x9 convolution (paper: 256).
        primary_channels: primary capsule types, 8-D each (paper: 32; with
            ``conv_channels=64, primary_channels=8`` the compact network of
            ``bench/capsnet.py``, ~13x fewer multiply-adds per image).
        routing_iterations: dynamic routing iterations (paper: 3; 1 is uniform coupling).
        cnn_width: channels of the CNN's first convolution (the second has twice as many); its
            hidden layer is sized to match the CapsNet's parameter count.
        reconstruction_weight: weight of the decoder's sum-of-squares loss (paper: 0.0005;
            0 trains without it).
        m_pos: margin loss: the length a present class capsule should exceed.
        m_neg: margin loss: the length an absent class capsule should stay below.
        absent_weight: margin loss: lambda, the down-weighting of absent classes.
        shift: augmentation: largest random shift in pixels (paper: 2; 0 disables).
        rotation: augmentation beyond the paper: largest random rotation in degrees (0: none;
            :mod:`oculi.capsule.augment`).
        shear: augmentation: largest random x-shear angle in degrees (0: none).
        scale: augmentation: each axis scaled by a random factor in ``[1 - scale, 1 + scale]``
            (0: none).
        elastic_alpha: augmentation: elastic distortion strength in pixels (Simard et al.
            2003 use 34 with ``elastic_sigma`` 4; 0: none).
        elastic_sigma: smoothing of the elastic displacement field, pixels.
        val_count: training digits held out for validation (after a seeded shuffle), the
            digits that select ``best.safetensors``; 0: all digits are trained on and
            validation only monitors the first 500 training digits (``data.json`` says so;
            use ``last.safetensors`` for a fixed-epoch run).
        train_limit: use at most this many training digits (0: all).
    """

    model: str = "capsnet"
    conv_channels: int = 256
    primary_channels: int = 32
    routing_iterations: int = 3
    cnn_width: int = 32
    reconstruction_weight: float = 0.0005
    m_pos: float = 0.9
    m_neg: float = 0.1
    absent_weight: float = 0.5
    shift: int = 2
    rotation: float = 0.0
    shear: float = 0.0
    scale: float = 0.0
    elastic_alpha: float = 0.0
    elastic_sigma: float = 4.0
    val_count: int = 500
    train_limit: int = 0
    epochs: int = 20
    batch_size: int = 64
    lr: float = 1e-3
    weight_decay: float = 0.0
    warmup_epochs: float = 0.5
    clip_grad_norm: float = 0.0
    monitor: str = "val_accuracy"

    def validate(self) -> None:
        super().validate()
        check_choice(self.model, MODELS, "model")
        for name in ("conv_channels", "primary_channels", "routing_iterations", "cnn_width"):
            check_positive(getattr(self, name), name)
        for name in ("reconstruction_weight", "absent_weight", "shift", "val_count",
                     "train_limit", "rotation", "shear", "scale", "elastic_alpha"):
            check_positive(getattr(self, name), name, allow_zero=True)
        check_fraction(self, "m_pos")
        check_fraction(self, "m_neg")
        if self.m_neg >= self.m_pos:
            raise ParameterError(f"m_neg: expected below m_pos ({self.m_pos}), got {self.m_neg}")
        check_positive(self.elastic_sigma, "elastic_sigma")
        for name, top in (("rotation", 180.0), ("shear", 45.0), ("scale", 0.5)):
            if getattr(self, name) > top:
                raise ParameterError(f"{name}: expected at most {top}, got {getattr(self, name)}")
        if self.shift > 8:
            raise ParameterError(f"shift: expected at most 8 pixels, got {self.shift}")
