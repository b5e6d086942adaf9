"""Image classification's training configuration: the engine's fields plus the classification
recipe (defaults: fine-tune a pretrained CNN with label smoothing, CutMix/MixUp and a cosine
schedule).

>>> cfg = ClassifyConfig(model="resnet18", epochs=3)
>>> ClassifyConfig.from_dict(cfg.to_dict()) == cfg
True
"""

from __future__ import annotations

from dataclasses import dataclass, field

from oculi.core.checks import check_choice, check_positive
from oculi.core.errors import ParameterError
from oculi.train.config import TrainConfig, check_fraction


@dataclass
class ClassifyConfig(TrainConfig):
    """Training a zoo CNN on an ImageFolder (``train/<class>/``, ``val/<class>/``).

    Attributes:
        model: zoo name (``oculi models list``).
        pretrained: start from ImageNet weights (offline sources only).
        weights: a weights file to start from instead.
        head: ``linear`` (global pooling + linear) or ``conv`` (1x1 convolution head).
        drop_rate: dropout before the classifier.
        drop_path_rate: stochastic depth: probability that the deepest residual block is skipped
            in training, rising linearly over the depth (timm models; 0: off).
        randaugment_ops: RandAugment operations applied to each training image after the crop
            and flip (0: off; 2 in the paper).
        randaugment_magnitude: RandAugment magnitude on the paper's 0-30 scale.
        image_size: training crop size in pixels (None: the model's input size).
        eval_size: evaluation size in pixels (None: the model's input size).
        scale_min: smallest area fraction of the random-resized training crop.
        head_lr_scale: learning-rate multiplier of the new classifier head.
        label_smoothing: label smoothing ``s`` in [0, 1).
        mixup_alpha: MixUp Beta(alpha, alpha) (0: off).
        cutmix_alpha: CutMix Beta(alpha, alpha) (0: off).
        mix_prob: probability that a batch is mixed (0 disables MixUp and CutMix).
        switch_prob: probability of CutMix rather than MixUp when both are on.
        balanced: class-balanced sampling (inverse class frequency, with replacement).
        freeze_bn: keep BatchNorm layers in eval mode (pretrained running statistics; their
            affine parameters still train): small data sets and small batches.
        freeze_backbone_epochs: train only the head for the first N epochs, then everything
            (linear probing, then fine-tuning).
        cache_images: decode each image once and keep it in memory (small data sets).
        val_split: when the data has no ``val/`` folder, hold out this fraction of ``train/``.
        unlabeled: a folder of unlabelled images (searched recursively; subfolder names are
            ignored): Noisy Student self-training (Xie et al. 2020). A teacher trained on the
            labelled data pseudo-labels them, a noised student learns from both, the student
            becomes the next teacher. The run folder holds ``teacher/``, ``student1/``, ...;
            its ``best.safetensors`` is the last student's.
        teacher: a trained run folder or checkpoint to use as the first teacher instead of
            training one (Noisy Student only).
        iterations: Noisy Student rounds (students trained one after the other).
        student_model: the students' zoo model (None: ``model``); as large or larger than
            the teacher.
        pseudo_labels: ``soft`` (the teacher's class probabilities) or ``hard`` (one-hot of
            its top class).
        pseudo_threshold: unlabelled images whose top teacher probability is below this are
            left out (the paper's 0.3 for ImageNet keeps every image of a 2-class task).
        pseudo_balance: class-balanced selection: every class gets ``pseudo_per_class``
            images, the most confident ones where a class has more, duplicates where it has
            fewer.
        pseudo_per_class: images per class with ``pseudo_balance`` (0: the largest class's
            count, so balancing only duplicates).
        student_drop_rate: the students' dropout before the classifier (noise).
        student_drop_path_rate: the students' stochastic depth (noise; timm models).
        student_randaugment_ops: the students' RandAugment operations per image (noise, at
            ``randaugment_magnitude``).
    """

    model: str = field(default="efficientnet_lite0", metadata={"cli": ("-m",)})
    pretrained: bool = field(default=True, metadata={"cli_off": "--scratch"})
    weights: str | None = None
    head: str = "linear"
    drop_rate: float = 0.0
    drop_path_rate: float = 0.0
    randaugment_ops: int = 0
    randaugment_magnitude: float = 10.0
    image_size: int | None = None
    eval_size: int | None = None
    scale_min: float = 0.25
    head_lr_scale: float = 10.0
    label_smoothing: float = 0.1
    mixup_alpha: float = 0.2
    cutmix_alpha: float = 1.0
    mix_prob: float = 0.5
    switch_prob: float = 0.5
    balanced: bool = False
    freeze_bn: bool = False
    freeze_backbone_epochs: int = 0
    cache_images: bool = True
    val_split: float = 0.0
    unlabeled: str | None = None
    teacher: str | None = None
    iterations: int = 1
    student_model: str | None = None
    pseudo_labels: str = "soft"
    pseudo_threshold: float = 0.3
    pseudo_balance: bool = True
    pseudo_per_class: int = 0
    student_drop_rate: float = 0.5
    student_drop_path_rate: float = 0.2
    student_randaugment_ops: int = 2
    monitor: str = "val_top1"

    def validate(self) -> None:
        super().validate()
        check_choice(self.head, ("linear", "conv"), "head")
        check_positive(self.head_lr_scale, "head_lr_scale")
        for name in ("mixup_alpha", "cutmix_alpha", "freeze_backbone_epochs", "drop_rate",
                     "randaugment_ops", "pseudo_per_class", "student_drop_rate",
                     "student_randaugment_ops"):
            check_positive(getattr(self, name), name, allow_zero=True)
        for name in ("label_smoothing", "val_split", "drop_path_rate", "student_drop_path_rate"):
            check_fraction(self, name, upper_inclusive=False)
        for name in ("mix_prob", "switch_prob", "pseudo_threshold"):
            check_fraction(self, name)
        check_positive(self.iterations, "iterations")
        check_choice(self.pseudo_labels, ("soft", "hard"), "pseudo_labels")
        if not 0.0 <= self.randaugment_magnitude <= 30.0:
            raise ParameterError("randaugment_magnitude: expected a value in [0, 30], got "
                                 f"{self.randaugment_magnitude!r}")
        if self.unlabeled is None:  # Noisy Student fields that would be ignored without it
            given = [f for f, on in (("teacher", self.teacher is not None),
                                     ("student_model", self.student_model is not None),
                                     ("iterations", self.iterations != 1)) if on]
            if given:
                raise ParameterError(f"{', '.join(given)}: only used for Noisy Student — also "
                                     "give the unlabelled images (unlabeled=DIR, --unlabeled DIR)")
        if not 0.0 < self.scale_min <= 1.0:
            raise ParameterError(f"scale_min: expected (0, 1], got {self.scale_min}")
        if self.mix_prob > 0 and self.mixup_alpha == 0 and self.cutmix_alpha == 0:
            raise ParameterError("mix_prob > 0 but mixup_alpha and cutmix_alpha are both 0")

    def single_process_reason(self) -> str | None:
        """Noisy Student (``unlabeled``) runs its teacher and student rounds in one process."""
        if self.unlabeled is not None:
            return ("Noisy Student self-training (unlabeled=DIR) runs in one process: drop "
                    "--ray / torchrun, or train without --unlabeled")
        return None

    @classmethod
    def plain(cls, **overrides: object) -> ClassifyConfig:
        """The baseline recipe: no EMA, no mixing, no label smoothing, constant LR, no clipping."""
        base: dict[str, object] = dict(
            schedule="constant", warmup_epochs=0.0, label_smoothing=0.0, mix_prob=0.0,
            ema_decay=0.0, clip_grad_norm=0.0, decay_norm_bias=True)
        base.update(overrides)
        return cls(**base)  # type: ignore[arg-type]
