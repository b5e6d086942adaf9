"""Learned image compression with real entropy coding, and the classic codecs to compare with.

    model = find_codec("runs/compress", quality=4)   # a run of `oculi train compress`
    data = compress_image(image, model)              # .oculi bytes (header + range-coded streams)
    image2 = decompress_image(data, model)           # == reconstruct_image(image, model)
    at_bpp("jpeg", image, 0.5)                       # JPEG/WebP/AVIF at a matched bit rate
    bd_rate(rate_jpeg, psnr_jpeg, rate_ours, psnr_ours)   # percent, negative: fewer bits

The codecs (:mod:`oculi.compress.models`): Ballé et al. 2017 factorized prior and 2018 scale
hyperprior, trained with ``oculi train compress`` (one run per quality level); ``--gan`` trains
the hyperprior HiFiC-style against a latent-conditioned discriminator
(:mod:`oculi.compress.gan`). Importing this package imports torch.
"""

from oculi.compress.baselines import MatchedPoint, at_bpp, available
from oculi.compress.baselines import decode as decode_classic
from oculi.compress.baselines import encode as encode_classic
from oculi.compress.bitstream import Header
from oculi.compress.codec import (
                                  compress_image,
                                  decompress_image,
                                  model_id,
                                  read_compressed,
                                  read_header,
                                  reconstruct_image,
                                  write_compressed,
)
from oculi.compress.config import LAMBDAS, CompressConfig, quality_lambda
from oculi.compress.models import FactorizedPrior, ScaleHyperprior, build_codec, codecs
from oculi.compress.rd import bd_rate, ms_ssim
from oculi.compress.task import find_codec, load_codec, train_codec

__all__ = [
    "LAMBDAS",
    "CompressConfig",
    "FactorizedPrior",
    "Header",
    "MatchedPoint",
    "ScaleHyperprior",
    "at_bpp",
    "available",
    "bd_rate",
    "build_codec",
    "codecs",
    "compress_image",
    "decode_classic",
    "decompress_image",
    "encode_classic",
    "find_codec",
    "load_codec",
    "model_id",
    "ms_ssim",
    "quality_lambda",
    "read_compressed",
    "read_header",
    "reconstruct_image",
    "train_codec",
    "write_compressed",
]
