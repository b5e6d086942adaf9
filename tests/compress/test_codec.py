import numpy as np
import pytest
import torch

from oculi.compress import (
    compress_image,
    decompress_image,
    read_compressed,
    read_header,
    reconstruct_image,
    write_compressed,
)
from oculi.core.errors import DataError, OculiError
from oculi.data import load
from tests.compress.conftest import tiny_codec


def test_decode_of_encode_equals_the_reconstruction_exactly(codec):
    image = load("chelsea", mode="rgb")[:150, :203]  # not a multiple of the stride
    data = compress_image(image, codec)
    decoded = decompress_image(data, codec)
    assert decoded.shape == image.shape and decoded.dtype == np.uint8
    assert np.array_equal(decoded, reconstruct_image(image, codec))
    # the latents are not trivial: many distinct symbols were coded
    x = torch.from_numpy(np.zeros((1, 3, 192, 256), np.float32))
    assert codec.symbols(x)["y"].unique().numel() > 5


def test_tensor_round_trip_is_bit_exact(codec):
    x = torch.rand(1, 3, 128, 192, generator=torch.Generator().manual_seed(3))
    streams = codec.encode(x)
    assert torch.equal(codec.decode(streams, 128, 192), codec.reconstruct(x))


def test_file_size_matches_the_model_estimate():
    """The range coder spends what the (integer) tables predict: within 3 % + a few words."""
    from oculi.compress.models import _round

    model = tiny_codec("factorized")
    x = torch.from_numpy(load("astronaut", mode="rgb")[:256, :256].transpose(2, 0, 1).copy()
                         ).float()[None] / 255
    y = model.analyze(x).detach()
    med = model.density.medians.view(1, -1, 1, 1)
    with torch.no_grad():
        bits = float(-torch.log2(model.density.likelihood(_round(y, med) + med)).sum())
    coded = 8 * sum(map(len, model.encode(x)))
    assert bits * 0.97 - 64 <= coded <= bits * 1.03 + 64


def test_gray_and_float_inputs():
    model = tiny_codec("hyperprior")
    gray = load("camera", mode="gray")[:100, :130]
    out = decompress_image(compress_image(gray, model), model)
    assert out.shape == (100, 130, 3)
    f = gray.astype(np.float32) / 255
    assert compress_image(f, model) == compress_image(gray, model)


def test_file_errors(tmp_path):
    model = tiny_codec("hyperprior")
    image = load("coffee", mode="rgb")[:96, :96]
    path = tmp_path / "x.oculi"
    n = write_compressed(path, image, model)
    assert path.stat().st_size == n and read_header(path).height == 96
    assert np.array_equal(read_compressed(path, model), reconstruct_image(image, model))
    data = path.read_bytes()
    bad = bytearray(data)
    bad[len(data) // 2] ^= 1
    path.write_bytes(bytes(bad))
    with pytest.raises(DataError, match=r"x\.oculi: corrupted \.oculi file"):
        read_compressed(path, model)
    path.write_bytes(data[:-3])
    with pytest.raises(DataError, match=r"x\.oculi: truncated"):
        read_compressed(path, model)
    with pytest.raises(DataError, match="written by another codec"):
        decompress_image(data, tiny_codec("hyperprior", seed=1))
    with pytest.raises(DataError, match="no such file"):
        read_compressed(tmp_path / "missing.oculi", model)
    with pytest.raises(OculiError, match="image"):
        compress_image(np.zeros((4, 4, 2), np.uint8), model)


def test_fit_quantiles_solves_the_aux_loss():
    from oculi.compress.entropy import TAIL_MASS

    model = tiny_codec("factorized")
    density = model.density
    with torch.no_grad():
        before = float(density.aux_loss())
    density.fit_quantiles()
    with torch.no_grad():
        assert float(density.aux_loss()) < 1e-3 * before
        cdf = torch.sigmoid(density.logits_cumulative(density.quantiles).double())
    np.testing.assert_allclose(cdf[:, 0, 0].numpy(), TAIL_MASS / 2, rtol=0.05)  # per side
    np.testing.assert_allclose(cdf[:, 0, 1].numpy(), 0.5, atol=1e-5)
    # still an exact round trip with the new tables
    x = torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    assert torch.equal(model.decode(model.encode(x), 64, 64), model.reconstruct(x))


def test_a_header_beyond_the_largest_side_is_a_clear_error():
    """A file with a valid checksum but a huge size in its header (crafted or written by a
    broken tool) is refused before the decoder allocates its latents."""
    from oculi.compress.bitstream import Header, pack, unpack
    from oculi.compress.codec import MAX_SIDE

    model = tiny_codec("factorized")
    header, streams = unpack(compress_image(load("coffee", mode="rgb")[:32, :32], model))
    big = Header(header.kind, header.quality, header.model_id, 1 << 20, 1 << 20)
    with pytest.raises(DataError, match=f"up to {MAX_SIDE}"):
        decompress_image(pack(big, streams), model, "big.oculi")
