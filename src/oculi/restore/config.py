"""The configuration of the ``restore`` trainable task (the one place its defaults live):
super-resolution and blind Gaussian denoising networks trained on crops of any photos. The module
imports no torch."""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

from oculi.core.checks import check_choice, check_in_range, check_positive
from oculi.core.errors import ParameterError
from oculi.train.config import TrainConfig, check_fraction

#: networks per problem (built in :mod:`oculi.restore.nets`)
SR_MODELS = ("srcnn", "fsrcnn", "espcn", "edsr", "srmd")
#: the settings only an srmd run reads
SRMD_ONLY = ("blur", "anisotropic", "downsample", "kernel_size", "components")
DENOISE_MODELS = ("dncnn",)
#: the model trained when ``model`` is None
DEFAULT_MODEL = {"sr": "fsrcnn", "denoise": "dncnn"}
#: the scales the SR networks are built for
SCALES = (2, 3, 4)
#: SRMD's training kernel widths per scale (HR pixels), the paper's ranges
SRMD_BLUR = {2: (0.2, 2.0), 3: (0.2, 3.0), 4: (0.2, 4.0)}


def range_pair(value: object) -> tuple[float, float]:
    """``value`` (a ``[low, high]`` option) as two floats; ``(-1.0, -1.0)`` when it is not two
    numbers, so that any range check of a non-negative option refuses it."""
    try:
        lo, hi = (float(v) for v in value)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        return -1.0, -1.0
    return lo, hi


@dataclass
class RestoreConfig(TrainConfig):
    """Training a super-resolution or denoising network on random crops of photos.

    Training pairs are made on the fly from clean crops: ``sr`` shrinks each crop with
    MATLAB-compatible bicubic (:func:`oculi.restore.imresize`), ``denoise`` adds Gaussian noise
    with a standard deviation drawn uniformly from ``sigma`` (blind denoising). ``srmd`` blurs
    each crop with a random Gaussian kernel, shrinks it and adds noise drawn from ``sigma``
    (:mod:`oculi.restore.kernels`). ``target noisy`` trains the denoiser Noise2Noise-style.

    Attributes:
        problem: ``sr`` (super-resolution) or ``denoise`` (additive white Gaussian noise).
        model: ``srcnn``, ``fsrcnn``, ``espcn``, ``edsr``, ``srmd`` (sr) or ``dncnn``
            (denoise); None: ``fsrcnn`` for sr, ``dncnn`` for denoise.
        scale: the SR factor (2, 3 or 4); ignored for denoising.
        sigma: ``[low, high]`` noise standard deviation in 8-bit grey levels, drawn per crop
            (denoise, and the LR noise of srmd).
        val_sigma: the noise standard deviation of the validation crops.
        channels: 1 (the network sees the Y of YCbCr for SR, each colour plane alone for
            denoising) or 3 (RGB); None: 1 for sr (3 for srmd, the paper's), 3 for denoise.
        features: hidden channels (0: the paper's: SRCNN 64, FSRCNN d=56, ESPCN 64, EDSR 64,
            DnCNN 64).
        depth: 0: the paper's (FSRCNN m=4 mapping layers, EDSR 16 residual blocks, DnCNN 17
            layers); another value makes a smaller or deeper network.
        image_size: training crop side in clean (high-resolution) pixels, rounded down to a
            multiple of ``scale``.
        repeat: random crops drawn from each training image per epoch.
        with_embedded: also train on the embedded photos (the only data when none is given).
        val_split: fraction of a folder's images held out (last in name order) when it has no
            ``train/`` + ``val/``.
        val_images: at most this many validation images (a central crop of ``val_size`` each).
        val_size: validation crop side in clean pixels (images smaller are left out).
        loss: ``l1`` or ``mse``.
        blur: srmd: ``[low, high]`` Gaussian kernel width (standard deviation, HR pixels)
            drawn per crop; None: the paper's range for the scale (0.2 to 2 / 3 / 4 at x2 /
            x3 / x4).
        anisotropic: srmd: the fraction of training kernels that are anisotropic (a second
            width drawn from ``blur``, a random angle); the rest are isotropic.
        downsample: srmd: ``bicubic`` (MATLAB imresize after the blur, the paper's) or
            ``direct`` (every ``scale``-th pixel of the blurred crop).
        kernel_size: srmd: the kernel side in HR pixels (odd; the paper's 15).
        components: srmd: the PCA dimensions of the kernel code (the paper's t = 15).
        target: denoise: ``clean`` (the clean crop) or ``noisy`` (Noise2Noise: a second,
            independent noisy copy of the crop; the loss never sees the clean crop).
        pairs: denoise with ``target noisy``: a folder of real noisy pairs trained on instead
            of synthetic noise — ``NAME_a.png`` + ``NAME_b.png`` files, or two subfolders
            holding the same file names; validation stays on the clean images of DATA.
    """

    problem: str = "sr"
    model: str | None = None
    scale: int = 2
    sigma: tuple[float, float] = (0.0, 55.0)
    val_sigma: float = 25.0
    channels: int | None = None
    features: int = 0
    depth: int = 0
    image_size: int = 48
    repeat: int = 32
    with_embedded: bool = False
    val_split: float = 0.1
    val_images: int = 8
    val_size: int = 144
    loss: str = "l1"
    epochs: int = 10
    batch_size: int = 16
    lr: float = 1e-3
    weight_decay: float = 0.0
    warmup_epochs: float = 0.0
    min_lr_ratio: float = 0.1
    clip_grad_norm: float = 0.0
    monitor: str = "val_psnr"
    blur: tuple[float, float] | None = None
    anisotropic: float = 0.5
    downsample: str = "bicubic"
    kernel_size: int = 15
    components: int = 15
    target: str = "clean"
    pairs: str | None = None

    @property
    def model_name(self) -> str:
        """``model``, or the problem's default network."""
        return self.model or DEFAULT_MODEL.get(self.problem, "")

    @property
    def planes(self) -> int:
        """``channels``, or the problem's default."""
        if self.channels is not None:
            return self.channels
        return 1 if self.problem == "sr" and not self.srmd else 3

    @property
    def patch(self) -> int:
        """``image_size`` rounded down to a multiple of the scale (SR) ."""
        step = self.scale if self.problem == "sr" else 1
        return self.image_size - self.image_size % step

    @property
    def srmd(self) -> bool:
        """SRMD (multi-degradation) super-resolution."""
        return self.problem == "sr" and self.model_name == "srmd"

    @property
    def blur_range(self) -> tuple[float, float]:
        """``blur``, or the paper's range for the scale."""
        if self.blur is not None:
            lo, hi = self.blur
            return float(lo), float(hi)
        return SRMD_BLUR.get(self.scale, SRMD_BLUR[4])

    def validate(self) -> None:
        super().validate()
        check_choice(self.problem, ("sr", "denoise"), "problem")
        models = SR_MODELS if self.problem == "sr" else DENOISE_MODELS
        if self.model is not None:
            check_choice(self.model, models, "model")
        if self.problem == "sr" and self.scale not in SCALES:
            raise ParameterError(f"scale: expected 2, 3 or 4, got {self.scale!r}")
        if self.channels not in (None, 1, 3):
            raise ParameterError(f"channels: expected 1 (Y / one plane) or 3 (RGB), got "
                                 f"{self.channels!r}")
        lo, hi = range_pair(self.sigma)
        if not 0.0 <= lo <= hi <= 255.0:
            raise ParameterError(f"sigma: expected [low, high] with 0 <= low <= high <= 255 "
                                 f"(grey levels), got {self.sigma!r}")
        check_in_range(self.val_sigma, "val_sigma", 0.0, 255.0)
        for name in ("features", "depth"):
            check_positive(getattr(self, name), name, allow_zero=True)
        for name in ("repeat", "val_images"):
            check_positive(getattr(self, name), name)
        minimum = 4 * (self.scale if self.problem == "sr" else 1)
        for name in ("image_size", "val_size"):
            if getattr(self, name) < minimum:
                raise ParameterError(f"{name}: expected at least {minimum} pixels, got "
                                     f"{getattr(self, name)!r}")
        check_fraction(self, "val_split", upper_inclusive=False)
        check_choice(self.loss, ("l1", "mse"), "loss")
        self._validate_srmd()
        check_choice(self.target, ("clean", "noisy"), "target")
        if self.target == "noisy" and self.problem != "denoise":
            raise ParameterError("target: noisy (Noise2Noise) trains denoisers only; add "
                                 "--problem denoise")
        if self.pairs is not None:
            if self.target != "noisy":
                raise ParameterError(f"pairs: real noisy pairs ({self.pairs}) have no clean "
                                     "target; add --target noisy")
            if not Path(self.pairs).is_dir():
                raise ParameterError(f"pairs: {self.pairs} is not a folder of noisy pairs")

    def _validate_srmd(self) -> None:
        if self.blur is not None:
            lo, hi = range_pair(self.blur)
            if not 0.0 <= lo <= hi <= 10.0:
                raise ParameterError(f"blur: expected [low, high] kernel widths with 0 <= low "
                                     f"<= high <= 10 (HR pixels), got {self.blur!r}")
        check_fraction(self, "anisotropic")
        check_choice(self.downsample, ("bicubic", "direct"), "downsample")
        if self.kernel_size < 3 or self.kernel_size % 2 == 0 or self.kernel_size > 31:
            raise ParameterError(f"kernel_size: expected an odd side in 3..31, got "
                                 f"{self.kernel_size!r}")
        if not 1 <= self.components <= self.kernel_size ** 2:
            raise ParameterError(f"components: expected 1..{self.kernel_size ** 2}, got "
                                 f"{self.components!r}")
        if not self.srmd:  # these settings shape SRMD's degradations only: refuse, never ignore
            defaults = {f.name: f.default for f in fields(self)}
            for name in SRMD_ONLY:
                if getattr(self, name) != defaults[name]:
                    raise ParameterError(f"{name}: an srmd setting (--model srmd), not used by "
                                         f"{self.problem} model {self.model_name!r}")
