"""Capsule networks: CapsNet with dynamic routing, margin loss and the reconstruction decoder
(Sabour, Frosst & Hinton 2017), the ``capsnet`` trainable task (also a CNN of the same parameter
count for comparison), and the affine-distorted test set of the robustness comparison.

``oculi train capsnet mnist -o RUN`` trains, ``oculi eval capsnet RUN mnist`` scores clean and
affine-distorted test digits; docs/capsule.md has the measured table.
"""

from oculi.capsule.affine import affine_digits, affine_matrices
from oculi.capsule.config import CapsNetConfig
from oculi.capsule.layers import margin_loss, mask_capsules, route, squash
from oculi.capsule.nets import BaselineCNN, CapsNet, build_network, count_parameters
from oculi.capsule.task import (
    class_scores,
    evaluate_capsnet,
    load_capsnet,
    train_capsnet,
)

__all__ = [
    "BaselineCNN",
    "CapsNet",
    "CapsNetConfig",
    "affine_digits",
    "affine_matrices",
    "build_network",
    "class_scores",
    "count_parameters",
    "evaluate_capsnet",
    "load_capsnet",
    "margin_loss",
    "mask_capsules",
    "route",
    "squash",
    "train_capsnet",
]
