"""The trainable tasks: one registry entry each, naming where the task's config, train and
evaluate functions live (imported only when used, so listing tasks imports no torch).

    >>> from oculi.tasks import trainable_tasks
    >>> trainable_tasks.names()  # doctest: +NORMALIZE_WHITESPACE
    ['action', 'capsnet', 'classify', 'colorize', 'compress', 'cyclegan', 'detect', 'embed',
     'gan', 'gan2d', 'lowlight', 'panoptic', 'pix2pix', 'restore', 'segment', 'segment3d',
     'sid', 'stylize', 'vae']
    >>> trainable_tasks.get("segment").config_class().__name__
    'SegmentationConfig'

A new task adds one ``trainable_tasks.register(...)`` line here; ``oculi train NAME`` and
``oculi eval NAME`` are generated from it (docs/DEVELOPING.md, "Adding a trainable task").
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from oculi.core.registry import Registry


def _load(ref: str) -> Any:
    module, _, attr = ref.partition(":")
    return getattr(importlib.import_module(module), attr)


@dataclass(frozen=True)
class TaskSpec:
    """Where a trainable task's pieces live, as ``"module:attribute"`` references.

    Attributes:
        config: the task's config dataclass (a :class:`~oculi.train.TrainConfig` subclass);
            its module must not import torch (CLI help stays fast).
        train: ``train(data, cfg, out, *, resume, progress) -> FitResult``.
        evaluate: ``evaluate(run, data, **options) -> EvaluationReport``; its keyword-only
            parameters become the options of ``oculi eval NAME``.
        data_help: what the DATA argument of ``oculi train NAME`` is.
        eval_data_help: what the DATA argument of ``oculi eval NAME`` is.
        write_evaluation: optional ``write(report, folder)`` for ``oculi eval NAME -o FOLDER``.
        print_report: optional ``print(report, echo)`` for the per-class lines of
            ``oculi eval NAME``.
    """

    config: str
    train: str
    evaluate: str
    data_help: str
    eval_data_help: str
    write_evaluation: str | None = None
    print_report: str | None = None

    def config_class(self) -> type:
        return _load(self.config)

    def load(self, what: str) -> Any:
        """The object named by field ``what`` (``train``, ``evaluate``, ...)."""
        ref = getattr(self, what)
        return _load(ref) if ref else None


#: the registry of trainable tasks (entries: :class:`TaskSpec`; metadata ``family``, ``dims``)
trainable_tasks: Registry[TaskSpec] = Registry("trainable task")

trainable_tasks.register("classify", TaskSpec(
    config="oculi.classify.config:ClassifyConfig",
    train="oculi.classify.api:train_classifier",
    evaluate="oculi.classify.api:evaluate_classifier",
    data_help="ImageFolder root with train/<class>/ and val/<class>/ (or only train/ and "
              "--val-split).",
    eval_data_help="Split folder with <class>/<image>, e.g. DATA/val.",
    write_evaluation="oculi.classify.evaluate:write_evaluation",
    print_report="oculi.classify.evaluate:print_report",
), help="image classification on an ImageFolder (zoo CNNs, fine-tuning recipe)",
    family="classification", dims=2)
trainable_tasks.register("detect", TaskSpec(
    config="oculi.detect.config:DetectionConfig",
    train="oculi.detect.task:train_detector",
    evaluate="oculi.detect.task:evaluate_detector",
    data_help="Annotations: .csv, COCO .json, a VOC folder, or a folder with train*/val* "
              "(or test*) files.",
    eval_data_help="Annotations to evaluate on (.csv, COCO .json, VOC folder).",
    write_evaluation="oculi.detect.task:write_evaluation",
    print_report="oculi.detect.task:print_report",
), help="object detection (R-CNN family, RetinaNet, FCOS, SSDlite, YOLO) with COCO metrics",
    family="detection", dims=2)
trainable_tasks.register("segment", TaskSpec(
    config="oculi.segment.config:SegmentationConfig",
    train="oculi.segment.task:train_segmenter",
    evaluate="oculi.segment.task:evaluate_segmenter",
    data_help="Folder: train/ + val/ (each image/ + label/), or one image/ + label/ pair "
              "folder split by --val-split.",
    eval_data_help="image/ + label/ folder.",
    print_report="oculi.segment.task:print_report",
), help="2-D semantic segmentation (U-Net family, FCN, SegNet, ENet), optional instances",
    family="segmentation", dims=2)
trainable_tasks.register("segment3d", TaskSpec(
    config="oculi.segment.config:VolumeSegmentationConfig",
    train="oculi.segment.task3d:train_volume_segmenter",
    evaluate="oculi.segment.task3d:evaluate_volume_segmenter",
    data_help="Folder of NIfTI pairs (NAME.nii.gz + NAME_seg*.nii.gz, or imagesTr/ + "
              "labelsTr/).",
    eval_data_help="Folder of NIfTI image/label pairs.",
    print_report="oculi.segment.task3d:print_report",
), help="3-D volume segmentation (3-D U-Net, V-Net) on NIfTI, Dice and HD95 in mm",
    family="segmentation", dims=3)
trainable_tasks.register("panoptic", TaskSpec(
    config="oculi.panoptic.config:PanopticConfig",
    train="oculi.panoptic.task:train_panoptic",
    evaluate="oculi.panoptic.task:evaluate_panoptic",
    data_help="Folder: train/ + val/ (each image/ + label/ class-index masks, e.g. the shared "
              "seg_camvid), or one image/ + label/ folder split by --val-split.",
    eval_data_help="image/ + label/ folder (or a data root holding val/).",
    print_report="oculi.panoptic.task:print_report",
), help="panoptic segmentation: Panoptic FPN (Mask R-CNN + semantic FPN head, one FPN) and a "
        "semantic + connected-components baseline, PQ/SQ/RQ", family="segmentation", dims=2)
trainable_tasks.register("restore", TaskSpec(
    config="oculi.restore.config:RestoreConfig",
    train="oculi.restore.task:train_restorer",
    evaluate="oculi.restore.task:evaluate_restorer",
    data_help="Folder of clean photos (train/ + val/, or any images: the last --val-split held "
              "out); '-' for the embedded photos only.",
    eval_data_help="Folder of clean reference images (e.g. Set5 for SR, Kodak for denoising).",
    write_evaluation="oculi.restore.task:write_evaluation",
    print_report="oculi.restore.task:print_report",
), help="super-resolution (SRCNN, FSRCNN, ESPCN, EDSR) and blind denoising (DnCNN) networks",
    family="restoration", dims=2)
trainable_tasks.register("colorize", TaskSpec(
    config="oculi.colorize.config:ColorizeConfig",
    train="oculi.colorize.task:train_colorizer",
    evaluate="oculi.colorize.evaluate:evaluate_colorizer",
    data_help="Folder of colour photos (train/ + val/, or any images: the last --val-split held "
              "out); '-' for the embedded colour photos only.",
    eval_data_help="Folder of held-out colour photos (e.g. hymenoptera/val: ants/ and bees/ "
                   "also give the ant-vs-bee classifier test).",
    write_evaluation="oculi.colorize.evaluate:write_evaluation",
    print_report="oculi.colorize.evaluate:print_report",
), help="colourisation: Zhang et al. classification over ab bins, regression baseline, "
        "DeOldify-style U-Net (NoGAN)", family="generation", dims=2)
trainable_tasks.register("action", TaskSpec(
    config="oculi.action.config:ActionConfig",
    train="oculi.action.task:train_action",
    evaluate="oculi.action.task:evaluate_action",
    data_help="Clips: a folder per class, a CSV file,label[,group] or a folder holding "
              "labels.csv (video files, frame folders or .npz arrays).",
    eval_data_help="Clips as for training (--groups scores only those groups' clips).",
    write_evaluation="oculi.action.task:write_evaluation",
    print_report="oculi.action.task:print_report",
), help="activity recognition: clip classifiers (3-D (2+1)-D CNN, TSM, TSN, single frame)",
    family="classification", dims=3)
trainable_tasks.register("capsnet", TaskSpec(
    config="oculi.capsule.config:CapsNetConfig",
    train="oculi.capsule.task:train_capsnet",
    evaluate="oculi.capsule.task:evaluate_capsnet",
    data_help="Digits: mnist, fashion-mnist, or a folder of official IDX files (its training "
              "split; val_count digits held out).",
    eval_data_help="Digits: mnist, fashion-mnist, or a folder of IDX files (its test split).",
    write_evaluation="oculi.capsule.task:write_evaluation",
    print_report="oculi.capsule.task:print_report",
), help="capsule network (CapsNet, dynamic routing) or a same-size CNN on 28x28 digits",
    family="classification", dims=2)
trainable_tasks.register("gan", TaskSpec(
    config="oculi.generate.gan_config:GanConfig",
    train="oculi.generate.gan_task:train_gan",
    evaluate="oculi.generate.gan_eval:evaluate_gan",
    data_help="mnist, fashion-mnist, a folder of IDX files, or a folder of grey images "
              "(CLASS/ sub-folders give labels; resized to 28x28).",
    eval_data_help="mnist or fashion-mnist (their test split), or a folder of IDX files / grey "
                   "images with --feature-set.",
    print_report="oculi.generate.gan_eval:print_report",
), help="the GAN family on 28x28 images (MLP, DCGAN, StyleGAN-style; conditional, InfoGAN, "
        "SAGAN, ProGAN; five losses; EMA, TTUR, feature matching)",
    family="generation", dims=2)
trainable_tasks.register("pix2pix", TaskSpec(
    config="oculi.generate.img2img_config:Pix2PixConfig",
    train="oculi.generate.img2img_task:train_pix2pix",
    evaluate="oculi.generate.img2img_apply:evaluate_img2img",
    data_help="edges2fashion or edges2mnist (built-in edge map -> image pairs), a folder with "
              "A/ and B/ (matching names), side-by-side A|B images, or photos with --derive.",
    eval_data_help="edges2fashion or edges2mnist (test split), or a folder as for training.",
), help="pix2pix: paired image-to-image translation (U-Net + conditional PatchGAN, L1)",
    family="generation", dims=2)
trainable_tasks.register("cyclegan", TaskSpec(
    config="oculi.generate.img2img_config:CycleGanConfig",
    train="oculi.generate.img2img_task:train_cyclegan",
    evaluate="oculi.generate.img2img_apply:evaluate_img2img",
    data_help="edges2fashion or edges2mnist (built in; A and B drawn apart), a folder with A/ "
              "and B/ or trainA/ and trainB/ (unpaired), or photos with --derive.",
    eval_data_help="edges2fashion or edges2mnist (test pairs), or a folder as for training.",
), help="CycleGAN: unpaired image-to-image translation (two generators and PatchGAN critics, "
        "cycle and identity losses)",
    family="generation", dims=2)
trainable_tasks.register("embed", TaskSpec(
    config="oculi.embed.config:EmbedConfig",
    train="oculi.embed.task:train_embedder",
    evaluate="oculi.embed.evaluate:evaluate_embedder",
    data_help="mnist, fashion-mnist (training split), loc2vec (tiles of a synthetic city), or a "
              "folder with a sub-folder of images per class.",
    eval_data_help="mnist, fashion-mnist (test split), loc2vec (a held-out city), or a class "
                   "folder.",
    write_evaluation="oculi.embed.evaluate:write_evaluation",
    print_report="oculi.embed.evaluate:print_report",
), help="metric learning: triplet/contrastive embeddings (batch-hard, semi-hard mining), "
        "recall@k and mAP@R, Loc2Vec map tiles",
    family="embedding", dims=2)
trainable_tasks.register("vae", TaskSpec(
    config="oculi.generate.ae_config:AutoencoderConfig",
    train="oculi.generate.ae_task:train_autoencoder",
    evaluate="oculi.generate.ae_eval:evaluate_autoencoder",
    data_help="mnist, fashion-mnist (training split), a folder of IDX files, or a folder of grey "
              "images (CLASS/image gives labels).",
    eval_data_help="mnist, fashion-mnist (test split), or a folder as for training (its held-out "
                   "images).",
    write_evaluation="oculi.generate.ae_eval:write_evaluation",
    print_report="oculi.generate.ae_eval:print_report",
), help="autoencoders on 28x28 images: convolutional AE, denoising AE, VAE (beta, KL warm-up)",
    family="generation", dims=2)
trainable_tasks.register("stylize", TaskSpec(
    config="oculi.stylize.config:StylizeConfig",
    train="oculi.stylize.task:train_stylizer",
    evaluate="oculi.stylize.task:evaluate_stylizer",
    data_help="Folder of content photos (train/ + val/, or any images: the last --val-split held "
              "out); '-' for the embedded photos only. The style: --style STYLE.jpg.",
    eval_data_help="Folder of content images (scored with the run's style, or --style).",
    print_report="oculi.stylize.task:print_report",
), help="style transfer networks: Johnson et al. per style (instance norm), AdaIN decoder",
    family="generation", dims=2)
trainable_tasks.register("gan2d", TaskSpec(
    config="oculi.train.example:Gan2dConfig",
    train="oculi.train.example:train_gan2d",
    evaluate="oculi.train.example:evaluate_gan2d",
    data_help="Ignored (the task makes its own points); pass any folder, e.g. '.'.",
    eval_data_help="Ignored (the task makes its own points).",
), help="the engine's two-optimizer example: a tiny GAN matching a 2-D Gaussian",
    family="example", dims=0)
trainable_tasks.register("compress", TaskSpec(
    config="oculi.compress.config:CompressConfig",
    train="oculi.compress.task:train_codec",
    evaluate="oculi.compress.evaluate:evaluate_codec",
    data_help="Folder of photos (train/ + val/, or any images: the last --val-split held "
              "out); '-' for the embedded photos only.",
    eval_data_help="Folder of reference images (e.g. the Kodak images).",
    write_evaluation="oculi.compress.evaluate:write_evaluation",
    print_report="oculi.compress.evaluate:print_report",
), help="learned image compression (Ballé factorized prior, scale hyperprior) with range coding",
    family="compression", dims=2)
trainable_tasks.register("lowlight", TaskSpec(
    config="oculi.restore.lowlight_config:LowlightConfig",
    train="oculi.restore.lowlight_task:train_lowlight",
    evaluate="oculi.restore.lowlight_task:evaluate_lowlight",
    data_help="Folder of photos (train/ + val/, or any images: the last --val-split held out), "
              "re-exposed on the fly; '-' for the embedded photos only.",
    eval_data_help="Folder with low/ and high/ holding same-named low/normal-light pairs "
                   "(e.g. the LOL pairs).",
    write_evaluation="oculi.restore.task:write_evaluation",
    print_report="oculi.restore.task:print_report",
), help="zero-reference low-light enhancement: Zero-DCE and Zero-DCE++ curve networks",
    family="restoration", dims=2)
trainable_tasks.register("sid", TaskSpec(
    config="oculi.restore.sid_config:SidConfig",
    train="oculi.restore.sid_task:train_sid",
    evaluate="oculi.restore.sid_task:evaluate_sid",
    data_help="Folder of clean photos (train/ + val/, or any images: the last --val-split held "
              "out), made into dark raws on the fly; '-' for the embedded photos only.",
    eval_data_help="Folder of clean reference images (made dark synthetically, e.g. Kodak).",
    print_report="oculi.restore.sid_task:print_report",
), help="see in the dark: SID U-Net from dark Bayer raws to sRGB, trained on synthetic short "
        "exposures (unprocessed photos, Poisson-Gaussian noise)", family="restoration", dims=2)
