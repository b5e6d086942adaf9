"""The CNN zoo: one registry over timm and torchvision, pretrained weights offline, heads and
input specs. Prediction and training live in :mod:`oculi.classify`.

    >>> from oculi.models import create_model, list_models
    >>> model = create_model("EfficientNet-Lite0", pretrained=True)  # doctest: +SKIP
    >>> model(model.preprocess(image)).softmax(1)  # doctest: +SKIP

Every model is a :class:`Classifier` taking NCHW float tensors in [0, 1]; it normalises with its
own :class:`InputSpec`. Importing this package loads no weights.
"""

from oculi.core.deprecation import moved_names
from oculi.models.backbones import (
    DEFAULT_BACKBONE,
    TimmBackbone,
    load_into_features,
    timm_backbone,
)
from oculi.models.classifier import Classifier, TorchvisionBody
from oculi.models.imagenet import imagenet_classes, imagenet_synsets
from oculi.models.layers import ConvHead, LinearHead, SeparableConv2d
from oculi.models.spec import InputSpec, Normalize, resize_crop
from oculi.models.squeezenext import SqueezeNext
from oculi.models.weights import (
    load_weights,
    map_ordered,
    packaged,
    read_metadata,
    read_state_dict,
    save_weights,
)
from oculi.models.zoo import (
    HEAD_TYPES,
    ModelRow,
    create_model,
    input_spec,
    list_models,
    load_model,
    models,
    resolve,
    save_model,
    weights_offline,
)

__all__ = [
    "DEFAULT_BACKBONE",
    "HEAD_TYPES",
    "Classifier",
    "ConvHead",
    "InputSpec",
    "LinearHead",
    "ModelRow",
    "Normalize",
    "SeparableConv2d",
    "SqueezeNext",
    "TimmBackbone",
    "TorchvisionBody",
    "create_model",
    "imagenet_classes",
    "imagenet_synsets",
    "input_spec",
    "list_models",
    "load_into_features",
    "load_model",
    "load_weights",
    "map_ordered",
    "models",
    "packaged",
    "read_metadata",
    "read_state_dict",
    "resize_crop",
    "resolve",
    "save_model",
    "save_weights",
    "timm_backbone",
    "weights_offline",
]

#: names that moved to :mod:`oculi.classify` (deprecated here)
__getattr__ = moved_names(__name__, dict.fromkeys(
    ("DEFAULT_MODEL", "Prediction", "classify", "classify_files", "get_model", "predict_proba"),
    "oculi.classify"))
