import io

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageOps

from oculi.core.errors import ImageReadError, ImageWriteError, OculiError, ParameterError
from oculi.data import load, sample_path
from oculi.io import decode_image, encode_image, read_image, set_max_pixels, write_image


@pytest.fixture(scope="module")
def chelsea():
    return load("chelsea")


@pytest.fixture(scope="module")
def jpeg_bytes(chelsea):
    return encode_image(chelsea, "jpeg", quality=95)


def test_modes(tmp_path, chelsea):
    p = write_image(tmp_path / "c.png", chelsea)
    rgb = read_image(p)
    assert rgb.dtype == np.uint8 and rgb.shape == (300, 451, 3)
    assert np.array_equal(rgb, chelsea)
    gray = read_image(p, mode="gray")
    assert np.abs(gray.astype(int) - cv2.cvtColor(chelsea, cv2.COLOR_RGB2GRAY)).max() <= 1
    assert read_image(sample_path("camera"), mode="unchanged").ndim == 2
    assert read_image(sample_path("camera")).shape == (512, 512, 3)
    assert read_image(sample_path("logo"), mode="unchanged").shape[2] == 4


@pytest.mark.parametrize("fmt", ["png", "tiff", "bmp", "pnm", "webp", "jpeg"])
def test_write_read_round_trip(tmp_path, chelsea, fmt):
    suffix = {"png": ".png", "tiff": ".tif", "bmp": ".bmp", "pnm": ".ppm", "webp": ".webp",
              "jpeg": ".jpg"}[fmt]
    p = write_image(tmp_path / f"x{suffix}", chelsea, quality=95)
    back = read_image(p)
    err = np.abs(back.astype(int) - chelsea).mean()
    assert err == 0 if fmt not in ("webp", "jpeg") else err < 3
    assert not [f for f in tmp_path.iterdir() if f.name.startswith(".")]  # no temp files left


def test_jpeg_matches_opencv_and_pillow(jpeg_bytes):
    ours = decode_image(jpeg_bytes)
    ocv = cv2.cvtColor(cv2.imdecode(np.frombuffer(jpeg_bytes, np.uint8), 1), cv2.COLOR_BGR2RGB)
    pil = np.asarray(Image.open(io.BytesIO(jpeg_bytes)).convert("RGB"))
    assert np.abs(ours.astype(int) - ocv).max() <= 2
    assert np.abs(ours.astype(int) - pil).max() <= 2


@pytest.mark.parametrize(("scale", "shape"), [(0.5, (150, 226)), (0.25, (75, 113)), (0.125, (38, 57))])
def test_dct_scaled_decode(jpeg_bytes, chelsea, scale, shape):
    small = decode_image(jpeg_bytes, scale=scale)
    assert small.shape[:2] == shape
    # DCT scaling by f averages f x f blocks: compare the complete blocks with an exact area resize
    f = round(1 / scale)
    h, w = chelsea.shape[0] // f, chelsea.shape[1] // f
    ref = cv2.resize(chelsea[: h * f, : w * f], (w, h), interpolation=cv2.INTER_AREA)
    assert np.abs(small[:h, :w].astype(float) - ref).mean() < 3.0


def test_short_side_and_max_size(jpeg_bytes, tmp_path, chelsea):
    a = decode_image(jpeg_bytes, short_side=100)
    assert min(a.shape[:2]) == 100
    b = decode_image(jpeg_bytes, max_size=200)
    assert max(b.shape[:2]) == 200
    # never enlarges
    assert decode_image(jpeg_bytes, max_size=5000).shape == chelsea.shape
    p = write_image(tmp_path / "c.png", chelsea)
    assert max(read_image(p, max_size=100).shape[:2]) == 100
    assert read_image(p, scale=0.5).shape[:2] == (150, 226)
    with pytest.raises(ParameterError, match="scale"):
        decode_image(jpeg_bytes, scale=0.3)
    with pytest.raises(ParameterError, match="max_size"):
        decode_image(jpeg_bytes, max_size=0)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_matches_pillow(chelsea, orientation):
    im = Image.fromarray(chelsea[:60, :90])
    exif = im.getexif()
    exif[0x0112] = orientation
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=100, exif=exif.tobytes())
    data = buf.getvalue()
    ours = decode_image(data)
    ref = np.asarray(ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB"))
    assert ours.shape == ref.shape
    assert np.abs(ours.astype(int) - ref).max() <= 2
    buf = io.BytesIO()
    im.save(buf, "PNG", exif=exif.tobytes())
    assert decode_image(buf.getvalue()).shape == ref.shape


def test_sixteen_bit_kept_unchanged(tmp_path, rng):
    g16 = rng.integers(0, 65535, (20, 30), dtype=np.uint16)
    c16 = rng.integers(0, 65535, (20, 30, 3), dtype=np.uint16)
    for name, arr in (("g.png", g16), ("c.png", c16), ("g.tif", g16)):
        p = write_image(tmp_path / name, arr)
        back = read_image(p, mode="unchanged")
        assert back.dtype == np.uint16 and np.array_equal(back, arr), name
    eight = read_image(tmp_path / "g.png", mode="gray")
    assert eight.dtype == np.uint8
    assert np.abs(eight.astype(int) - np.rint(g16 / 257)).max() <= 1


def test_multipage_tiff(tmp_path, chelsea):
    pages = [Image.fromarray(chelsea), Image.fromarray(chelsea[::-1].copy())]
    p = tmp_path / "m.tif"
    pages[0].save(p, save_all=True, append_images=pages[1:])
    first = read_image(p)
    both = read_image(p, all_pages=True)
    assert np.array_equal(first, chelsea)
    assert len(both) == 2 and np.array_equal(both[1], chelsea[::-1])


def test_bad_files_name_the_file_and_reason(tmp_path, jpeg_bytes, chelsea):
    cases = {
        "missing.jpg": (None, "no such file"),
        "empty.jpg": (b"", "empty file"),
        "text.png": (b"hello, I am not an image\n" * 3, "unknown image format"),
        "trunc.jpg": (jpeg_bytes[: len(jpeg_bytes) // 2], "truncated JPEG"),
        "trunc.png": (encode_image(chelsea, "png")[:5000], "truncated"),
    }
    for name, (data, reason) in cases.items():
        p = tmp_path / name
        if data is not None:
            p.write_bytes(data)
        with pytest.raises(ImageReadError, match=reason) as info:
            read_image(p)
        assert str(p) in str(info.value)
    with pytest.raises(ImageReadError, match="is a directory"):
        read_image(tmp_path)


def test_zero_size_images_are_rejected_by_header():
    for data in (b"P5\n0 0\n255\n", b"P6\n0 5\n255\n"):
        with pytest.raises(ImageReadError, match="zero-size image"):
            decode_image(data, source="z.pgm")


@given(st.binary(max_size=200))
def test_exif_parser_never_raises(tail):
    from oculi.io._exif import jpeg_orientation

    assert 1 <= jpeg_orientation(b"\xff\xd8\xff\xe1" + tail) <= 8


def test_decompression_bomb_limit(tmp_path, chelsea):
    p = write_image(tmp_path / "c.jpg", chelsea)
    with pytest.raises(ImageReadError, match="exceeds the limit"):
        read_image(p, max_pixels=1000)
    set_max_pixels(1000)
    try:
        with pytest.raises(ImageReadError, match="decompression bomb"):
            read_image(write_image(tmp_path / "c.png", chelsea))
    finally:
        set_max_pixels(None)
    assert read_image(p).shape == chelsea.shape


def test_write_errors(tmp_path, chelsea):
    with pytest.raises(ImageWriteError, match="unknown output format"):
        write_image(tmp_path / "x.xyz", chelsea)
    with pytest.raises(OculiError):
        write_image(tmp_path / "x.png", np.zeros((0, 5), np.uint8))
    with pytest.raises(OculiError, match="16-bit"):
        write_image(tmp_path / "x.jpg", np.zeros((5, 5), np.uint16))
    target = tmp_path / "keep.png"
    write_image(target, chelsea)
    before = target.read_bytes()
    with pytest.raises(OculiError):
        write_image(target, np.zeros((5, 5, 2), np.uint8))
    assert target.read_bytes() == before


_VALID = {}


def _valid_files():
    if not _VALID:
        small = load("chelsea")[:40, :50]
        for fmt in ("jpeg", "png", "tiff", "bmp", "webp", "pnm"):
            _VALID[fmt] = encode_image(small, fmt)
    return _VALID


@pytest.fixture(scope="module")
def capped():
    """decode_image in a worker that may allocate at most 256 MiB (tests/io/_memcap.py)."""
    from tests.io._memcap import CappedDecoder

    decoder = CappedDecoder()
    yield decoder
    decoder.close()


_FUZZ = settings(deadline=3000, suppress_health_check=[HealthCheck.too_slow])


@settings(_FUZZ, max_examples=150)
@given(data=st.binary(min_size=0, max_size=512))
def test_fuzz_random_bytes_never_crash(capped, data):
    kind, shape, dtype = capped.decode(data)
    assert kind != "crash", f"{shape} on {data!r}"
    if kind == "ok":
        assert dtype == "uint8" and np.prod(shape) > 0


@settings(_FUZZ, max_examples=200)
@given(
    fmt=st.sampled_from(["jpeg", "png", "tiff", "bmp", "webp", "pnm"]),
    cut=st.floats(0.0, 1.0),
    flips=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), max_size=4),
)
def test_fuzz_truncated_and_corrupted_files(capped, fmt, cut, flips):
    data = bytearray(_valid_files()[fmt])
    for pos, value in flips:
        data[int(pos * (len(data) - 1))] = value
    data = bytes(data[: int(cut * len(data))])
    kind, shape, _ = capped.decode(data, mode="unchanged")
    assert kind != "crash", f"{fmt}: {shape}"
    if kind == "ok":
        assert np.prod(shape) > 0


@settings(_FUZZ, max_examples=120)
@given(
    fmt=st.sampled_from(["jpeg", "png", "tiff", "bmp", "pnm"]),
    height=st.integers(1, 2**16 - 1),
    width=st.integers(1, 2**16 - 1),
)
def test_fuzz_declared_sizes_never_allocate_past_the_cap(capped, fmt, height, width):
    """Headers rewritten to claim up to 65535 x 65535 pixels (4 GP; up to 16 GB decoded) over
    the few kilobytes of a 40x50 image: refused before any decoder allocates."""
    data = _with_declared_size(fmt, height, width)
    kind, shape, _ = capped.decode(data, mode="unchanged")
    assert kind != "crash", f"{fmt} {width}x{height}: {shape}"


@pytest.mark.parametrize("quality", [0, -5, 101, 1000])
def test_write_image_rejects_quality_outside_1_100(tmp_path, chelsea, quality):
    # was accepted (OpenCV clamps or ignores it silently)
    with pytest.raises(ParameterError, match="quality"):
        write_image(tmp_path / "q.jpg", chelsea, quality=quality)
    assert not (tmp_path / "q.jpg").exists()


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_write_image_rejects_nan_and_inf(tmp_path, bad):
    # a NaN float image was written (as an arbitrary uint8 value)
    img = np.full((8, 8), 0.5, np.float32)
    img[2, 3] = bad
    with pytest.raises(OculiError, match="NaN or infinite"):
        write_image(tmp_path / "n.png", img)
    assert not (tmp_path / "n.png").exists()


@pytest.mark.parametrize("writer", ["tifffile", "pillow"])
def test_float32_tiff_in_0_1_reads_as_its_values(tmp_path, writer):
    # was an all-zero image: Pillow's convert("RGB") of a mode-F image truncates [0, 1] to 0
    a = np.linspace(0, 1, 48 * 64, dtype=np.float32).reshape(48, 64)
    p = tmp_path / "f.tif"
    if writer == "tifffile":
        tifffile = pytest.importorskip("tifffile")
        tifffile.imwrite(p, a)
    else:
        Image.fromarray(a).save(p)
    raw = read_image(p, mode="unchanged")
    assert raw.dtype == np.float32 and raw.shape == (48, 64)
    np.testing.assert_array_equal(raw, a)
    gray = read_image(p, mode="gray")
    np.testing.assert_array_equal(gray, np.rint(a * 255).astype(np.uint8))
    rgb = read_image(p)
    assert rgb.shape == (48, 64, 3) and np.array_equal(rgb[..., 1], gray)


@pytest.mark.parametrize(("value", "text"), [(200.0, "values in"), (np.nan, "NaN")])
def test_float32_tiff_outside_0_1_is_a_read_error(tmp_path, value, text):
    a = np.full((8, 8), 0.5, np.float32)
    a[0, 0] = value
    p = tmp_path / "f.tif"
    Image.fromarray(a).save(p)
    with pytest.raises(ImageReadError, match=text):
        read_image(p)


def test_gray_alpha_png_reads_as_rgba_and_works_everywhere(tmp_path):
    import numpy as np
    from PIL import Image

    from oculi.core.convert import to_gray
    from oculi.io import read_image, write_image

    la = np.zeros((20, 30, 2), np.uint8)
    la[..., 0] = np.arange(30, dtype=np.uint8)[None] * 8
    la[..., 1] = 200
    Image.fromarray(la, mode="LA").save(tmp_path / "la.png")
    rgba = read_image(tmp_path / "la.png", mode="unchanged")
    assert rgba.shape == (20, 30, 4)
    np.testing.assert_array_equal(rgba[..., 0], la[..., 0])
    np.testing.assert_array_equal(rgba[..., 2], la[..., 0])
    np.testing.assert_array_equal(rgba[..., 3], la[..., 1])
    np.testing.assert_array_equal(to_gray(rgba), la[..., 0])
    write_image(tmp_path / "out.jpg", rgba)  # the commands that failed on LA inputs
    assert read_image(tmp_path / "out.jpg", mode="gray").shape == (20, 30)


def test_a_png_chunk_claiming_gigabytes_is_rejected_before_decoding(tmp_path):
    import time

    from oculi.core.errors import ImageReadError
    from oculi.io import read_image, write_image

    write_image(tmp_path / "ok.png", (np.arange(48 * 4 * 3) % 65535).astype(np.uint16).reshape(
        48, 4, 3))
    data = bytearray((tmp_path / "ok.png").read_bytes())
    pos = data.index(b"IDAT") - 4
    data[pos:pos + 4] = (0xFF00061B).to_bytes(4, "big")  # the probe's bomb: a ~4 GB IDAT length
    (tmp_path / "bomb.png").write_bytes(bytes(data))
    t0 = time.perf_counter()
    with pytest.raises(ImageReadError, match="malformed PNG: chunk 'IDAT'"):
        read_image(tmp_path / "bomb.png", mode="unchanged")
    assert time.perf_counter() - t0 < 1.0
    # a PNG cut before IEND is a clear error too
    ok = (tmp_path / "ok.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(ok[:-12])
    with pytest.raises(ImageReadError, match="truncated PNG"):
        read_image(tmp_path / "cut.png")


def _with_declared_size(fmt: str, height: int, width: int) -> bytes:
    """A small valid file of ``fmt`` whose header now claims ``height`` x ``width`` pixels."""
    import struct
    import zlib

    if fmt == "gif":
        buf = io.BytesIO()
        Image.fromarray(load("chelsea")[:40, :50]).save(buf, format="GIF")
        data = bytearray(buf.getvalue())
        data[6:10] = struct.pack("<HH", width, height)
        return bytes(data)
    data = bytearray(_valid_files()[fmt])
    if fmt == "png":  # IHDR with a correct CRC, so the size is what a decoder believes
        data[16:24] = struct.pack(">II", width, height)
        data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    elif fmt == "bmp":
        data[18:26] = struct.pack("<ii", width, height)
    elif fmt == "pnm":
        head, rest = bytes(data).split(b"\n", 3)[:3], bytes(data).split(b"\n", 3)[3]
        data = bytearray(b"\n".join([head[0], f"{width} {height}".encode(), head[2], rest]))
    elif fmt == "jpeg":
        sof = next(i for i in range(2, len(data)) if data[i] == 0xFF and data[i + 1] == 0xC0)
        data[sof + 5:sof + 9] = struct.pack(">HH", height, width)
    elif fmt == "tiff":
        end = "<" if data[:2] == b"II" else ">"
        ifd = struct.unpack(end + "I", data[4:8])[0]
        for i in range(struct.unpack(end + "H", data[ifd:ifd + 2])[0]):
            at = ifd + 2 + 12 * i
            tag, typ = struct.unpack(end + "HH", data[at:at + 4])
            if tag in (256, 257):
                value = width if tag == 256 else height
                code = "H" if typ == 3 else "I"
                data[at + 8:at + 8 + struct.calcsize(code)] = struct.pack(end + code, value)
    return bytes(data)


@pytest.mark.parametrize("fmt", ["jpeg", "png", "tiff", "bmp", "pnm"])
def test_a_small_file_declaring_144_megapixels_is_refused_before_decoding(capped, fmt):
    # under the 250 MP limit, so only the size check stops it: 432 MB of RGB from ~6 kB
    data = _with_declared_size(fmt, 12000, 12000)
    kind, message, _ = capped.decode(data, mode="unchanged")
    assert kind == "refused", message
    assert "header declares 12000x12000 pixels" in message and "can hold" in message
    with pytest.raises(ImageReadError, match=f"truncated or corrupt {fmt.upper()}"):
        decode_image(data, source=f"bomb.{fmt}")


def test_the_pixel_limit_is_checked_from_every_header(tmp_path):
    small = load("chelsea")[:40, :50]
    for fmt in ("jpeg", "png", "tiff", "bmp", "webp", "pnm", "gif"):
        if fmt == "gif":
            buf = io.BytesIO()
            Image.fromarray(small).save(buf, format="GIF")
            data = buf.getvalue()
        else:
            data = encode_image(small, fmt)
        with pytest.raises(ImageReadError, match="50x40 = 0 MP exceeds the limit"):
            decode_image(data, max_pixels=1999)
        assert decode_image(data, max_pixels=2000).shape[:2] == (40, 50)


def test_the_memory_cap_catches_a_decode_of_hundreds_of_megabytes(capped):
    """The harness itself: a well-formed PNG of 12000x12000 RGB (432 MB decoded, under the
    pixel limit and within deflate's ratio) runs into the 256 MiB cap as a crash."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(
            ">I", zlib.crc32(kind + body))

    comp = zlib.compressobj(1)
    row = bytes(1 + 12000 * 3)
    idat = b"".join(comp.compress(row) for _ in range(12000)) + comp.flush()
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 12000, 12000, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", idat) + chunk(b"IEND", b""))
    kind, reason, _ = capped.decode(png)
    assert kind == "crash" and "Memory" in reason, reason
    assert capped.decode(encode_image(load("chelsea")[:40, :50], "png"))[0] == "ok"


@pytest.mark.parametrize("fmt", ["png", "jpg", "tif", "bmp", "webp"])
@pytest.mark.parametrize("mode", ["rgb", "gray", "unchanged"])
def test_read_images_are_writable(tmp_path, chelsea, fmt, mode):
    """Like OpenCV's and scikit-image's readers: the caller may edit the array in place
    (Pillow's array interface alone hands out read-only memory)."""
    path = tmp_path / f"a.{fmt}"
    write_image(path, chelsea[:40, :30])
    image = read_image(path, mode=mode)
    assert image.flags.writeable
    image[0, 0] = 0
    deep = tmp_path / "d.png"
    write_image(deep, (chelsea[:20, :20, 0].astype(np.uint16) * 257))
    assert read_image(deep, mode="unchanged").flags.writeable
