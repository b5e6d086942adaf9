"""Generative models — GANs and autoencoders — and the metrics that judge their samples.

:func:`generate` draws images from any trained generator run (the task that trained it is read
from the run folder and looked up in :data:`generators`).

``import oculi.generate`` imports no torch; training and sampling import it when called.
"""

from oculi.generate.metrics import (
    frechet_distance,
    generator_scores,
    kernel_distance,
    precision_recall,
    real_baseline,
)
from oculi.generate.sample import generate, generators, run_task_name

__all__ = ["frechet_distance", "generate", "generator_scores", "generators", "kernel_distance",
           "precision_recall", "real_baseline", "run_task_name"]
