"""The configuration of the ``action`` trainable task (the one place its defaults live): clip
classifiers trained on labelled clips. The module imports no torch."""

from __future__ import annotations

from dataclasses import dataclass

from oculi.core.checks import check_choice, check_positive
from oculi.core.errors import ParameterError
from oculi.train.config import TrainConfig, check_fraction

#: the networks of :mod:`oculi.action.models`
MODELS = ("r2plus1d", "r2plus1d18", "r3d18", "mc318", "x3d", "tsm", "tsn", "frame", "flow")
#: the published 18-layer video ResNets (:mod:`oculi.action.resnet3d`), the models ``weights``
#: serves
VIDEO_RESNETS = ("r2plus1d18", "r3d18", "mc318")
#: how frames are picked from a clip (:mod:`oculi.action.sampling`)
SAMPLINGS = ("segments", "dense")


@dataclass
class ActionConfig(TrainConfig):
    """Training a clip classifier on a folder per class, a CSV ``file,label[,group]`` or a folder
    holding ``labels.csv`` (video files, frame folders or ``.npz`` arrays).

    Attributes:
        model: ``r2plus1d`` (a small 3-D CNN with (2+1)-D factorised convolutions),
            ``r2plus1d18`` / ``r3d18`` / ``mc318`` (the published 18-layer R(2+1)D, R3D and MC3
            of Tran et al. 2018 at full size, 64-512 channels, ~31.5 M / 33.4 M / 11.7 M
            parameters; ``width`` does not apply; ``weights`` loads a checkpoint), ``x3d`` (an
            X3D-XS-shaped 3-D CNN with depthwise 3x3x3 convolutions; ``width`` 24 is XS), ``tsm`` (a
            2-D residual network with 1/8 of the channels shifted one frame each way in every
            block), ``tsn`` (the same 2-D network without the shift, scores averaged over the
            frames) or ``frame`` (the 2-D network on the clip's centre frame only: the baseline
            that cannot see motion).
        clip_len: frames the model sees per clip.
        sampling: ``segments`` (TSN: one frame in each of ``clip_len`` equal parts of the clip,
            random in training, the centre at test) or ``dense`` (``clip_len`` frames ``stride``
            apart, a random window in training, the centred one at test).
        stride: frame step of ``dense`` sampling.
        size: the side, in pixels, every frame is resized to (square).
        channels: 1 (grey; silhouettes) or 3 (RGB); frames are converted to it.
        width: channels of the first stage (doubled at each of the four stages).
        dropout: dropout before the classifier.
        key: the array read from ``.npz`` clips (None: ``original``, ``frames`` or the only one;
            Weizmann also has ``aligned``, the silhouette centred on the actor).
        group: the CSV column naming who is in a clip (``actor``, ``person``); None: the
            column ``group`` or the third one.
        holdout_groups: validate on the clips of these groups and train on the others
            (leave-actors-out); empty: ``val_split`` of the clips, drawn with ``seed``.
        val_split: fraction of the clips held out for validation when ``holdout_groups`` is
            empty.
        repeat: passes over every training clip per epoch (each with new frames and a new crop).
        crop_scale: training augmentation: a random crop of this fraction (or more) of each
            side, the same for every frame of the clip.
        flip: training augmentation: mirror the whole clip left-right with probability 1/2 (off
            when left and right motion are different classes).
        label_smoothing: cross-entropy label smoothing.
        backbone: ``tsm`` / ``tsn`` on this registry ImageNet model (``efficientnet_lite0``,
            ``resnet18``, ...; needs ``channels`` 3: RGB normalised by the model's input spec,
            grey clips repeated) instead of the small network trained from scratch; None: the
            small network.
        pretrained: load the backbone's ImageNet weights (the installed offline package first).
        freeze_stages: the backbone's stem and this many of its first stages keep their ImageNet
            weights (and get no temporal shift); 0 trains everything.
        frozen_bn: keep the backbone's batch-norm layers in inference mode (ImageNet
            statistics) while training.
        test_clips: clips per video at validation and test, their softmax scores averaged
            (``segments``: frames at evenly spread offsets inside each segment; ``dense``:
            evenly spaced windows); 1: the centred clip.
        flow: two-stream: an :mod:`oculi.flow` method (``dis``, ``farneback``, ...) whose fields
            between consecutive sampled frames feed a second, motion-only TSM stream trained
            from scratch, its logits added to the model's; None: one stream.
        flow_grid: the flow stream: 0: a TSM network on the fields; g > 0: a linear classifier
            on the clip's motion layout over g x g cells (:mod:`oculi.action.flowlayout`).
        flow_bins: time bins of the motion layout (1: the mean over the clip; more keep the
            order of the motion); at most ``clip_len - 1``.
        flow_orientations: 0: mean ``u, v, |u|, |v|`` per cell; K >= 2: a histogram of K flow
            directions per cell (HOF).
        jitter: training picks random frames (a random frame per segment, a random window);
            False: the test frames every epoch. With ``jitter`` False, ``crop_scale`` 1, no
            ``flip``, ``dropout`` 0 and every training clip in one batch, the motion-layout
            model trains the same whatever the seed (its classifier starts at zero).
        head_lr_scale: learning-rate multiplier of the classifier (the only layer a fine-tune
            creates from scratch); 1: one rate for everything.
        freeze_backbone_epochs: only the classifier learns for the first N epochs (the rest of
            the network at learning rate 0), then every trainable layer: a linear probe on the
            network's features before fine-tuning, so a random classifier's first gradients do
            not wreck the ImageNet features (few clips, small batches).
        weights: the 18-layer models start from this local checkpoint (torchvision's
            ``r2plus1d_18`` / ``r3d_18`` / ``mc3_18`` state-dict layout or oculi's, ``.pth`` or
            ``.safetensors``; :mod:`oculi.action.videoweights`): every shape checked, the
            classifier replaced when the class count differs (stated in the run's output and
            ``data.json``); None: random initialisation.
        cache: keep every clip decoded in memory (resized to just above ``size``) after its
            first read, so video files are decoded once instead of once per epoch.
    """

    model: str = "r2plus1d"
    clip_len: int = 8
    sampling: str = "segments"
    stride: int = 2
    size: int = 64
    channels: int = 1
    width: int = 16
    dropout: float = 0.2
    key: str | None = None
    group: str | None = None
    holdout_groups: tuple[str, ...] = ()
    val_split: float = 0.2
    repeat: int = 4
    crop_scale: float = 0.8
    flip: bool = True
    label_smoothing: float = 0.1
    backbone: str | None = None
    pretrained: bool = True
    freeze_stages: int = 2
    frozen_bn: bool = True
    test_clips: int = 1
    flow: str | None = None
    flow_grid: int = 0
    flow_bins: int = 1
    flow_orientations: int = 0
    jitter: bool = True
    head_lr_scale: float = 1.0
    freeze_backbone_epochs: int = 0
    cache: bool = False
    weights: str | None = None
    epochs: int = 20
    batch_size: int = 8
    lr: float = 2e-3
    weight_decay: float = 0.01
    warmup_epochs: float = 1.0
    monitor: str = "val_accuracy"

    def _check_starting_weights(self) -> None:
        """``backbone`` and ``weights`` serve some models only."""
        if self.backbone and (self.model not in ("tsm", "tsn") or self.channels != 3):
            raise ParameterError(f"backbone: an ImageNet backbone serves the tsm and tsn models "
                                 f"on RGB clips (channels: 3), got model {self.model!r} with "
                                 f"{self.channels} channel(s)")
        if self.weights and self.model not in VIDEO_RESNETS:
            raise ParameterError(f"weights: a video checkpoint starts the 18-layer models "
                                 f"({', '.join(VIDEO_RESNETS)}), got model {self.model!r}")

    def validate(self) -> None:
        super().validate()
        check_choice(self.model, MODELS, "model")
        check_choice(self.sampling, SAMPLINGS, "sampling")
        for name in ("clip_len", "stride", "width", "repeat", "test_clips"):
            check_positive(getattr(self, name), name)
        check_positive(self.freeze_stages, "freeze_stages", allow_zero=True)
        check_positive(self.freeze_backbone_epochs, "freeze_backbone_epochs", allow_zero=True)
        check_positive(self.head_lr_scale, "head_lr_scale")
        if self.freeze_backbone_epochs >= self.epochs:
            raise ParameterError(f"freeze_backbone_epochs: expected fewer than the {self.epochs} "
                                 f"epochs, got {self.freeze_backbone_epochs!r}")
        self._check_starting_weights()
        check_positive(self.flow_grid, "flow_grid", allow_zero=True)
        check_positive(self.flow_bins, "flow_bins")
        check_positive(self.flow_orientations, "flow_orientations", allow_zero=True)
        if self.flow_orientations == 1:
            raise ParameterError("flow_orientations: expected 0 (u, v, |u|, |v|) or at least 2 "
                                 "direction bins, got 1")
        if (self.flow_bins > 1 or self.flow_orientations) and not (self.flow and self.flow_grid):
            raise ParameterError("flow_bins, flow_orientations: shape the motion layout, which "
                                 "needs flow (a method) and flow_grid > 0")
        if self.flow_bins > self.clip_len - 1:
            raise ParameterError(f"flow_bins: expected at most clip_len - 1 = "
                                 f"{self.clip_len - 1} (flow fields per clip), got "
                                 f"{self.flow_bins!r}")
        if self.model == "flow" and not self.flow:
            raise ParameterError("flow: model 'flow' (the motion stream alone) needs a flow "
                                 "method (dis, farneback, ...)")
        if self.flow:
            from oculi.flow import methods

            check_choice(self.flow, tuple(methods.names()), "flow")
            if self.clip_len < 2:
                raise ParameterError(f"flow: the flow stream needs clip_len >= 2, got "
                                     f"{self.clip_len!r}")
        if self.size < 16:
            raise ParameterError(f"size: expected at least 16 pixels, got {self.size!r}")
        if self.channels not in (1, 3):
            raise ParameterError(f"channels: expected 1 (grey) or 3 (RGB), got "
                                 f"{self.channels!r}")
        if not 0.1 <= self.crop_scale <= 1.0:
            raise ParameterError(f"crop_scale: expected a fraction in [0.1, 1], got "
                                 f"{self.crop_scale!r}")
        check_fraction(self, "dropout", upper_inclusive=False)
        check_fraction(self, "label_smoothing", upper_inclusive=False)
        check_fraction(self, "val_split", upper_inclusive=False)
        if not self.holdout_groups and self.val_split <= 0:
            raise ParameterError("val_split: expected a fraction > 0 when no holdout_groups "
                                 "are given (the validation clips come from it)")
        if isinstance(self.holdout_groups, str):
            raise ParameterError(f"holdout_groups: expected a list of group names, got the "
                                 f"string {self.holdout_groups!r}")
