"""The ``vae`` trainable task: convolutional autoencoder, denoising autoencoder and variational
autoencoder on 28x28 grey images (``oculi train vae mnist|fashion-mnist|FOLDER``), evaluated by
``oculi eval vae RUN DATA`` and sampled by ``oculi generate RUN`` (VAE prior samples).

Validation each epoch (``val_loss`` selects ``best.safetensors``): the loss at the final KL
weight, reconstruction PSNR from the code mean, and for a VAE the ELBO (nats per image, Bernoulli
likelihood of the grey levels) and its bits per pixel. The run folder gets
``reconstructions.png``, ``interpolations.png`` and ``latent_map.png`` of the best epoch.
"""

from __future__ import annotations

import os
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from oculi.generate.ae_config import AutoencoderConfig
from oculi.generate.ae_nets import (
    ConvAutoencoder,
    add_input_noise,
    autoencoder_loss,
    bits_per_dim,
)
from oculi.train.task import Step, StepOutput, Task, TaskData

CHECKPOINT_KEY = "oculi_autoencoder"


def _to01(x: torch.Tensor) -> torch.Tensor:
    """The gan data's [-1, 1] images -> [0, 1]."""
    return (x + 1.0) * 0.5


class _Net(ConvAutoencoder):
    """The task's network: a :class:`ConvAutoencoder` that also records which model it is and
    the input noise it was trained with (``dae``)."""

    def __init__(self, model: str, latent_dim: int, width: int, noise: float = 0.0) -> None:
        super().__init__(latent_dim, width, variational=model == "vae")
        self.model = model
        self.noise = float(noise) if model == "dae" else 0.0

    def config(self) -> dict[str, Any]:
        return {**super().config(), "model": self.model, "noise": self.noise}


class AutoencoderTask(Task):
    """Autoencoder training (see the module doc)."""

    name = "vae"
    checkpoint_key = CHECKPOINT_KEY
    #: exact resume of the torch generator (see Task.rng_state)
    rng_state: ClassVar[dict[str, str]] = {"noise": "generator"}

    def __init__(self, data: Any = None) -> None:
        self.data = data
        self.cfg = AutoencoderConfig()
        self.steps_per_epoch = 1
        self.generator = torch.Generator().manual_seed(0)

    def build_model(self, cfg: AutoencoderConfig) -> nn.Module:
        self.cfg = cfg
        self.generator = torch.Generator().manual_seed(cfg.seed + 101)
        return _Net(cfg.model, cfg.latent_dim, cfg.width, cfg.noise)

    def build_data(self, cfg: AutoencoderConfig, model: nn.Module, info: Any) -> TaskData:
        from oculi.generate.gan_data import GanImages, load_source

        source = load_source(self.data, val_images=cfg.val_images, limit=cfg.train_images,
                             seed=cfg.seed)
        train = GanImages(source, 28)
        if len(train) == 0 or len(source.val_images) == 0:
            raise_empty(source.name)
        val = TensorDataset(torch.from_numpy(source.val_images).float().div(255.0)[:, None],
                            torch.from_numpy(source.val_labels))
        self.classes = source.classes
        self.steps_per_epoch = max(1, -(-len(train) // cfg.batch_size))
        return TaskData(train, val, {**source.summary(), "model": cfg.model})

    def kl_weight(self, step: Step) -> float:
        """``beta``, ramped linearly over ``kl_warmup_epochs`` when set."""
        cfg = self.cfg
        if cfg.kl_warmup_epochs <= 0:
            return cfg.beta
        progress = (step.index + 1) / (self.steps_per_epoch * cfg.kl_warmup_epochs)
        return cfg.beta * min(1.0, progress)

    def train_step(self, step: Step, batch: Any) -> StepOutput:
        x, _ = step.to_device(batch)
        x = _to01(x)
        seen = add_input_noise(x, self.cfg.noise, self._gen(x)) if self.cfg.model == "dae" else x
        out = step.model(seen, self._gen(x))
        loss, terms = autoencoder_loss(out, x, self.kl_weight(step))
        stats = {"recon": float(terms["recon"].detach().sum()),
                 "kl": float(terms["kl"].detach().sum())}
        return StepOutput(loss, stats, x.shape[0])

    def _gen(self, x: torch.Tensor) -> torch.Generator | None:
        return self.generator if x.device.type == "cpu" else None

    @torch.no_grad()
    def evaluate(self, model: nn.Module, loader: DataLoader,
                 device: torch.device) -> dict[str, Any]:
        from oculi.generate.ae_pictures import pictures

        scores = reconstruction_scores(model, loader, device, self.cfg.beta,
                                       self.cfg.noise if self.cfg.model == "dae" else 0.0)
        x, y = loader.dataset.tensors
        first = x[:1000].to(device)
        noisy = (add_input_noise(first[:16], self.cfg.noise, torch.Generator().manual_seed(0))
                 if self.cfg.model == "dae" and device.type == "cpu" else None)
        found = pictures(model, first, y[:1000].numpy(), getattr(self, "classes", []), noisy)
        return {**scores, "pictures": found}

    def write_artifacts(self, run_dir: Any, evaluation: dict[str, Any]) -> None:
        from oculi.generate.ae_pictures import write_pictures

        if "pictures" in evaluation:
            write_pictures(run_dir, evaluation["pictures"])


def raise_empty(name: str) -> None:
    from oculi.core.errors import DataError

    raise DataError(f"{name}: no training or no validation images")


@torch.no_grad()
def reconstruction_scores(model: ConvAutoencoder, loader: DataLoader, device: torch.device,
                          beta: float, noise: float = 0.0, seed: int = 0, *,
                          with_ssim: bool = False) -> dict[str, float]:
    """Mean scores over ``(image, label)`` batches in [0, 1]: ``val_loss`` (recon + beta KL),
    ``val_recon`` (nats), ``val_psnr`` (dB, reconstruction from the code mean, peak 1), and for a
    VAE ``val_elbo`` (nats per image) and ``val_bpd`` (its bits per pixel, -ELBO / (784 ln 2)).
    A VAE's ``val_recon`` (hence its loss and ELBO) decodes one code sample per image drawn from
    q(z|x) (seeded by ``seed`` on the CPU): a one-sample estimate of the ELBO's expected
    reconstruction term, not the decoding of the code mean (which usually overstates the ELBO).
    With ``noise`` the encoder sees noisy inputs (denoising) and the clean image is the target.
    ``with_ssim`` adds ``val_ssim`` (per-image mean SSIM of the same code-mean reconstruction)."""
    from oculi.train.metrics.image import psnr, ssim

    model.eval()
    g = torch.Generator().manual_seed(seed)
    sums = {"loss": 0.0, "recon": 0.0, "kl": 0.0, "psnr": 0.0}
    if with_ssim:
        sums["ssim"] = 0.0
    n = 0
    for x, _ in loader:
        x = x.to(device)
        seen = add_input_noise(x, noise, g if device.type == "cpu" else None) if noise else x
        mean_out = model(seen)  # eval mode: the code mean
        out = mean_out
        if mean_out["logvar"] is not None:  # the ELBO's expectation: one seeded code sample
            mu, logvar = mean_out["mu"], mean_out["logvar"]
            eps = torch.randn(mu.shape, generator=g if device.type == "cpu" else None,
                              device=mu.device, dtype=mu.dtype)
            out = {**mean_out, "logits": model.decode(mu + torch.exp(0.5 * logvar) * eps)}
        loss, terms = autoencoder_loss(out, x, beta)
        sums["loss"] += float(loss) * len(x)
        sums["recon"] += float(terms["recon"].sum())
        sums["kl"] += float(terms["kl"].sum())
        recon = torch.sigmoid(mean_out["logits"])
        sums["psnr"] += float(psnr(recon, x).clamp(max=100.0).sum())
        if with_ssim:
            sums["ssim"] += float(ssim(recon, x).sum())
        n += len(x)
    out_scores = {f"val_{k}": v / max(n, 1) for k, v in sums.items() if k != "kl"}
    if getattr(model, "variational", False):
        nll = (sums["recon"] + sums["kl"]) / max(n, 1)
        out_scores.update({"val_elbo": -nll, "val_bpd": bits_per_dim(nll),
                           "val_kl": sums["kl"] / max(n, 1)})
    return out_scores


def train_autoencoder(data: Any, cfg: AutoencoderConfig | None = None,
                      out: str | os.PathLike[str] = "runs/vae", *, resume: bool = False,
                      progress: bool | None = None, overwrite: bool = False):
    """Train an autoencoder (``ae``, ``dae`` or ``vae``) with :func:`oculi.train.fit`.

    Args:
        data: ``mnist``, ``fashion-mnist``, a folder of IDX files or a folder of grey images
            (``CLASS/image`` gives labels for the latent map's colours).
        cfg: the settings (:class:`AutoencoderConfig`).
        out: the run folder.
        resume: continue from ``out/last.safetensors``.
        progress: show a progress bar (None: when attached to a terminal).
        overwrite: replace a previous run in ``out``.

    Returns:
        :class:`~oculi.train.FitResult`.
    """
    from oculi.train.loop import fit

    return fit(AutoencoderTask(data), cfg or AutoencoderConfig(), out, resume=resume,
               progress=progress, overwrite=overwrite)


def load_autoencoder(run: str | os.PathLike[str]) -> _Net:
    """The trained network of a ``vae`` run folder or checkpoint (eval mode).

    Raises:
        DataError: not a ``vae`` run.
    """
    from oculi.train.checkpoint import load_run_model

    return load_run_model(run, CHECKPOINT_KEY, "vae",
                          lambda c: _Net(c["model"], c["latent_dim"], c["width"], c["noise"]))


@torch.no_grad()
def sample(run: str | os.PathLike[str], n: int, *, seed: int = 0,
           labels: Any = None) -> np.ndarray:
    """``n`` images decoded from prior codes z ~ N(0, I) of a VAE run: uint8 ``(n, 28, 28)``
    (the decoder's mean image).

    Raises:
        ParameterError: ``labels`` given (the model is unconditional), ``n`` < 1, or the run is
            a plain or denoising autoencoder (no prior to sample).
        DataError: not a ``vae`` run.
    """
    from oculi.core.checks import check_positive
    from oculi.core.errors import ParameterError

    check_positive(n, "n")
    if labels is not None:
        raise ParameterError("labels: a VAE is unconditional — leave labels out")
    model = load_autoencoder(run)
    if not model.variational:
        raise ParameterError(f"{run}: a {model.model} run has no prior to sample from — train "
                             "with --model vae")
    z = torch.randn(int(n), model.latent_dim, generator=torch.Generator().manual_seed(seed))
    x = torch.cat([torch.sigmoid(model.decode(b)) for b in z.split(500)])
    return (x[:, 0].clamp(0, 1) * 255).round().to(torch.uint8).numpy()
