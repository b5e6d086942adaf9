"""Trainable detectors by name, all on a registry backbone (default EfficientNet-Lite0 with its
offline ImageNet weights): torchvision's Faster R-CNN, Mask R-CNN, RetinaNet, FCOS and SSDlite,
and oculi's compact YOLO.

Every model is a :class:`Detector`: ``model(images, targets)`` with ``images`` a list of
``(3, H, W)`` float tensors in [0, 1] (sizes may differ) returns a dict of losses in training mode
and, in eval mode, one dict per image with ``boxes`` ``(n, 4)`` xyxy pixels of *that* image,
``scores`` and ``labels`` (``1..K``). Resizing (longer side to ``image_size``) and normalisation
happen inside.

    >>> m = create_detector("fcos", num_classes=2, pretrained=False, image_size=128)
    >>> _ = m.eval()
    >>> import torch; out = m([torch.rand(3, 100, 120)])
    >>> sorted(out[0])
    ['boxes', 'labels', 'scores']
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from oculi.core.checks import check_images, check_positive
from oculi.core.constants import DEFAULT_BACKBONE
from oculi.core.deprecation import renamed_parameters
from oculi.core.registry import Registry

#: every detector: a factory per entry, with metadata ``trainable``, ``family`` and, for the
#: trainable ones, the backbone ``stages`` they read (filled in at the end of this module)
detectors: Registry[Any] = Registry("detector")


class Detector(nn.Module):
    """A trainable detector with the facts needed to rebuild it from a checkpoint.

    Attributes:
        arch, backbone: names it was built from.
        num_classes: object classes (background excluded); labels are ``1..num_classes``.
        class_names: names of labels ``1..K``.
        image_size: longer side images are resized to inside the model.
    """

    def __init__(self, net: nn.Module, *, arch: str, backbone: str, num_classes: int,
                 class_names: Sequence[str] | None, image_size: int,
                 options: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.net = net
        self.arch, self.backbone, self.num_classes = arch, backbone, int(num_classes)
        self.class_names = list(class_names) if class_names else [
            f"class{k}" for k in range(1, num_classes + 1)]
        self.image_size = int(image_size)
        self.options = dict(options or {})

    def forward(self, images: list[torch.Tensor], targets: list[dict] | None = None):
        return self.net(images, targets)

    @property
    def default_score(self) -> float:
        """Display threshold: 0.25 for YOLO (its scores are objectness x class, trained towards
        the IoU, as YOLOv5's detect default), 0.5 for the torchvision models."""
        return 0.25 if self.arch == "yolo" else 0.5

    def config(self) -> dict[str, Any]:
        return {"arch": self.arch, "backbone": self.backbone, "num_classes": self.num_classes,
                "class_names": self.class_names, "image_size": self.image_size,
                "options": self.options}

    @torch.no_grad()
    @renamed_parameters(score="score_threshold")
    def detect(self, images: Sequence[np.ndarray], *, score_threshold: float | None = None):
        """Detect objects in HWC RGB numpy images (uint8 or float in [0, 1]); boxes scored below
        ``score_threshold`` (None: :attr:`default_score`) are dropped.

        Returns:
            One :class:`~oculi.detect.types.Detections` per image (original pixels).
        """
        from oculi.core.convert import to_rgb, to_tensor_batch
        from oculi.detect.types import Detections

        self.eval()
        dev = next(self.parameters()).device
        # one tensor per image: sizes may differ (the model resizes inside)
        xs = [to_tensor_batch(to_rgb(im))[0].to(dev) for im in check_images(images)]
        out = []
        score = self.default_score if score_threshold is None else score_threshold
        for r in self.net(xs):
            keep = r["scores"] >= score
            labels = r["labels"][keep].cpu().numpy().astype(np.int64)
            masks = (r["masks"][keep][:, 0].cpu().numpy().astype(np.float32)
                     if "masks" in r else None)  # Mask R-CNN: (n, 1, H, W) in [0, 1]
            out.append(Detections(r["boxes"][keep].cpu().numpy().astype(np.float32),
                                  r["scores"][keep].cpu().numpy().astype(np.float32), labels,
                                  [self.class_names[k - 1] for k in labels], masks))
        return out


def _features(backbone: str, pretrained: bool, frozen_stages: int, out_indices=(2, 3, 4)):
    from oculi.detect.backbone import TimmFeatures

    return TimmFeatures(backbone, pretrained, out_indices, frozen_stages)


def _common(feats, image_size: int) -> dict[str, Any]:
    return {"min_size": image_size, "max_size": image_size, "image_mean": list(feats.mean),
            "image_std": list(feats.std)}


def _neck(feats, fpn_channels: int, extra: str, neck: str) -> nn.Module:
    """The multi-scale body: torchvision's FPN (``neck="fpn"``) or a shared neck of
    :mod:`oculi.detect.necks` (``"pan"``, ``"bifpn"``) with the same levels."""
    if neck == "fpn":
        from oculi.detect.backbone import FPNBackbone

        return FPNBackbone(feats, fpn_channels, extra)
    from oculi.detect.necks import NeckBackbone

    return NeckBackbone(feats, neck, fpn_channels, extra)


def retinanet_anchors() -> Any:
    """RetinaNet's anchors on P3-P7: sizes 32..512 (4x the stride) x 3 octave scales x 3
    aspect ratios (torchvision ``AnchorGenerator``)."""
    from torchvision.models.detection.anchor_utils import AnchorGenerator

    sizes = tuple((x, int(x * 2 ** (1 / 3)), int(x * 2 ** (2 / 3)))
                  for x in (32, 64, 128, 256, 512))
    return AnchorGenerator(sizes, ((0.5, 1.0, 2.0),) * 5)


def _fasterrcnn(num_classes: int, feats, image_size: int, fpn_channels: int = 128,
                masks: bool = False, neck: str = "fpn", **kw: Any) -> nn.Module:
    from torchvision.models.detection import FasterRCNN, MaskRCNN
    from torchvision.models.detection.anchor_utils import AnchorGenerator
    from torchvision.ops import MultiScaleRoIAlign

    body = _neck(feats, fpn_channels, "pool", neck)
    anchors = AnchorGenerator(((32,), (64,), (128,), (256,)), ((0.5, 1.0, 2.0),) * 4)
    names = ["0", "1", "2"]
    # CPU-sized sampling (torchvision's defaults: 2000/1000 proposals, 512 RoIs per image)
    defaults = dict(rpn_pre_nms_top_n_train=1000, rpn_post_nms_top_n_train=500,
                    rpn_pre_nms_top_n_test=500, rpn_post_nms_top_n_test=300,
                    box_batch_size_per_image=128)
    kw = {**defaults, **kw}
    common = dict(rpn_anchor_generator=anchors,
                  box_roi_pool=MultiScaleRoIAlign(names, 7, 2), **_common(feats, image_size),
                  **kw)
    if masks:
        return MaskRCNN(body, num_classes + 1, mask_roi_pool=MultiScaleRoIAlign(names, 14, 2),
                        **common)
    return FasterRCNN(body, num_classes + 1, **common)


def _without_background(detections: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop boxes labelled 0: the head's class slot 0 (background, never a positive in the
    sigmoid focal loss) still gets scores, low but above a zero threshold."""
    return [{k: v[d["labels"] > 0] for k, v in d.items()} for d in detections]


@functools.cache
def focal_retinanet() -> type:
    """torchvision's :class:`RetinaNet` whose detections never carry the background label 0
    (used by ``retinanet`` and ``efficientdet``; labels ``1..K`` are the object classes)."""
    from torchvision.models.detection import RetinaNet

    class FocalRetinaNet(RetinaNet):
        def postprocess_detections(self, *args: Any, **kw: Any) -> list[dict[str, Any]]:
            return _without_background(super().postprocess_detections(*args, **kw))

    return FocalRetinaNet


def _retinanet(num_classes: int, feats, image_size: int, fpn_channels: int = 128,
               neck: str = "fpn", **kw: Any) -> nn.Module:
    body = _neck(feats, fpn_channels, "p6p7", neck)
    return focal_retinanet()(body, num_classes + 1, anchor_generator=retinanet_anchors(),
                             **_common(feats, image_size), **kw)


def _fcos(num_classes: int, feats, image_size: int, fpn_channels: int = 128,
          neck: str = "fpn", **kw: Any) -> nn.Module:
    from torchvision.models.detection import FCOS
    from torchvision.models.detection.anchor_utils import AnchorGenerator

    body = _neck(feats, fpn_channels, "p6p7", neck)
    anchors = AnchorGenerator(((8,), (16,), (32,), (64,), (128,)), ((1.0,),) * 5)
    return FCOS(body, num_classes + 1, anchor_generator=anchors, **_common(feats, image_size),
                **kw)


def _ssdlite(num_classes: int, feats, image_size: int, **kw: Any) -> nn.Module:
    from torchvision.models.detection.anchor_utils import DefaultBoxGenerator
    from torchvision.models.detection.ssd import SSD
    from torchvision.models.detection.ssdlite import SSDLiteHead

    from oculi.detect.backbone import SSDBackbone

    body = SSDBackbone(feats)
    anchors = DefaultBoxGenerator([[2, 3] for _ in range(6)], min_ratio=0.2, max_ratio=0.95)
    norm = functools.partial(nn.BatchNorm2d, eps=0.001, momentum=0.03)
    head = SSDLiteHead(body.out_channels, anchors.num_anchors_per_location(), num_classes + 1,
                       norm)
    c = _common(feats, image_size)
    return SSD(body, anchors, (image_size, image_size), num_classes + 1,
               image_mean=c["image_mean"], image_std=c["image_std"], head=head,
               score_thresh=0.001, detections_per_img=100, topk_candidates=300, **kw)


def create_detector(
    arch: str = "fasterrcnn",
    *,
    num_classes: int = 1,
    class_names: Sequence[str] | None = None,
    backbone: str = DEFAULT_BACKBONE,
    pretrained: bool = True,
    image_size: int = 384,
    frozen_stages: int = 2,
    **options: Any,
) -> Detector:
    """Build a trainable detector by name.

    Args:
        arch: a trainable name of :data:`detectors` (``oculi detect list``).
        num_classes: object classes (without background).
        class_names: names of the classes (labels ``1..K``).
        backbone: a timm model of :mod:`oculi.models` (``efficientnet_lite0`` by default).
        pretrained: the backbone's ImageNet weights, offline (no download ever).
        image_size: images are resized inside the model to this longer side (SSDlite: square).
        frozen_stages: backbone stages kept frozen (stem and the first blocks).
        **options: architecture keywords (torchvision's, e.g. ``box_score_thresh``; YOLO's
            ``anchors``, ``width``; ``neck`` ``"fpn"``/``"pan"``/``"bifpn"`` for
            ``fasterrcnn``, ``maskrcnn``, ``retinanet``, ``fcos``; EfficientDet's ``phi``).

    Raises:
        UnknownNameError: unknown architecture; ParameterError: a classical name.
    """
    from oculi.core.errors import ParameterError

    entry = detectors.entry(arch)
    key = entry.name
    if not entry.meta["trainable"]:
        raise ParameterError(f"arch: {key!r} is a classical OpenCV detector, not trainable — "
                             f"use one of {', '.join(trainable_names())}")
    check_positive(num_classes, "num_classes")
    check_positive(image_size, "image_size")
    feats = _features(backbone, pretrained, frozen_stages, entry.meta["stages"])
    net = entry.obj(num_classes, feats, image_size, **options)
    return Detector(net, arch=key, backbone=backbone, num_classes=num_classes,
                    class_names=class_names, image_size=image_size,
                    options={"frozen_stages": frozen_stages, **_jsonable(options)})


def _jsonable(options: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in options.items():
        if isinstance(v, (np.ndarray, torch.Tensor)):
            v = v.tolist()
        out[k] = v
    return out


def rebuild(config: dict[str, Any]) -> Detector:
    """A fresh detector (no pretrained download, random weights) from :meth:`Detector.config`."""
    opts = dict(config.get("options", {}))
    frozen = int(opts.pop("frozen_stages", 2))
    return create_detector(config["arch"], num_classes=config["num_classes"],
                           class_names=config.get("class_names"),
                           backbone=config.get("backbone") or DEFAULT_BACKBONE,
                           pretrained=False, image_size=config.get("image_size", 384),
                           frozen_stages=frozen, **opts)


def _yolo(num_classes: int, feats, image_size: int, **kw: Any) -> nn.Module:
    from oculi.detect.yolo import YOLO

    return YOLO(feats, num_classes, image_size=image_size, **kw)


def _region(name: str) -> Any:
    def factory(num_classes: int, feats, image_size: int, **kw: Any) -> nn.Module:
        from oculi.detect import rcnn

        return getattr(rcnn, name)(num_classes, feats, image_size, **kw)
    return factory


def _efficientdet(num_classes: int, feats, image_size: int, **kw: Any) -> nn.Module:
    from oculi.detect.efficientdet import build_efficientdet

    return build_efficientdet(num_classes, feats, image_size, **kw)


def _classical(module: str, name: str) -> Any:
    def factory(**kw: Any) -> Any:
        import importlib

        return functools.partial(getattr(importlib.import_module(f"oculi.detect.{module}"),
                                         name), **kw)
    return factory


def trainable_names() -> list[str]:
    """The detectors :func:`create_detector` can build (and ``oculi train detect`` train)."""
    return [e.name for e in detectors.entries() if e.meta["trainable"]]


_REGION, _SINGLE = "region-based", "single-shot"
detectors.register("fasterrcnn", _fasterrcnn, trainable=True, family=_REGION, stages=(2, 3, 4),
                   aliases=("faster-rcnn",), help="Faster R-CNN with FPN (torchvision)")
detectors.register("rcnn", _region("build_rcnn"), trainable=True, family=_REGION, stages=(4,),
                   aliases=("r-cnn",), help="R-CNN: selective search, warped crops, frozen CNN "
                   "features, linear SVMs + box regressors (oculi; teaching baseline)")
detectors.register("fastrcnn", _region("build_fastrcnn"), trainable=True, family=_REGION,
                   stages=(3,), aliases=("fast-rcnn",), help="Fast R-CNN: selective search, "
                   "RoI pooling on one stride-16 map, FC heads end to end (oculi; baseline)")
detectors.register("maskrcnn", functools.partial(_fasterrcnn, masks=True), trainable=True,
                   family=_REGION, stages=(2, 3, 4), aliases=("mask-rcnn",),
                   help="Mask R-CNN with FPN: boxes and instance masks")
detectors.register("retinanet", _retinanet, trainable=True, family=_SINGLE, stages=(2, 3, 4),
                   help="RetinaNet with FPN P3-P7 and focal loss (torchvision)")
detectors.register("efficientdet", _efficientdet, trainable=True, family=_SINGLE,
                   stages=(2, 3, 4), help="EfficientDet: BiFPN (fast normalised fusion) on "
                   "P3-P7, compound scaling (phi, D0 default), separable focal-loss head (oculi)")
detectors.register("fcos", _fcos, trainable=True, family=_SINGLE, stages=(2, 3, 4),
                   help="FCOS, anchor-free with centerness (torchvision)")
detectors.register("ssdlite", _ssdlite, trainable=True, family=_SINGLE, stages=(3, 4),
                   aliases=("ssd",), help="SSDlite, depthwise heads on 6 maps (torchvision)")
detectors.register("yolo", _yolo, trainable=True, family=_SINGLE, stages=(2, 3, 4),
                   help="compact YOLO: PAN neck, 3 scales, k-means anchors, CIoU (oculi)")
detectors.register("hog-people", _classical("classical", "detect_people"), trainable=False,
                   family="classical", default_score_threshold=0.5, aliases=("hog",),
                   weights=None, help="Dalal-Triggs HOG + linear SVM people detector (OpenCV)")
detectors.register("yunet", _classical("faces", "detect_faces_yunet"), trainable=False,
                   family="classical", default_score_threshold=0.6, aliases=("yunet-face",),
                   weights="required",
                   help="YuNet face CNN (cv2.FaceDetectorYN); ONNX file by --weights")
detectors.register("haar-face", _classical("faces", "haar_faces"), trainable=False,
                   family="classical", default_score_threshold=None,
                   aliases=("haar", "viola-jones"), weights="optional",
                   help="Viola-Jones cascade, frontal faces (OpenCV); Haar XML by --weights "
                   "(without it: cv2.data's file, else deprecated fallback to lbp-face)")
detectors.register("lbp-face", _classical("faces", "detect_faces"), trainable=False,
                   family="classical", default_score_threshold=None, aliases=("lbp",),
                   weights="optional",
                   help="LBP cascade, frontal faces (OpenCV); built in: scikit-image's "
                   "lbpcascade_frontalface, or a cascade XML by --weights")

#: the trainable detector names (derived from the registry)
TRAINABLE = tuple(trainable_names())
