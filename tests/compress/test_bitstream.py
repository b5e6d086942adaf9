import pytest

from oculi.compress.bitstream import Header, pack, unpack
from oculi.core.errors import DataError

HEADER = Header("hyperprior", 4, 0xDEADBEEF, 480, 640)
STREAMS = [b"\x01\x02\x03\x04", bytes(range(200))]


def test_pack_unpack_round_trip():
    data = pack(HEADER, STREAMS)
    header, streams = unpack(data)
    assert header == HEADER and streams == STREAMS
    assert len(data) == 20 + 4 * 2 + 4 + 204


@pytest.mark.parametrize("at", [0, 5, 9, 14, 27, 33, 40, 200])
def test_any_corrupted_byte_is_a_clear_error(at):
    data = bytearray(pack(HEADER, STREAMS))
    data[at] ^= 0x5A
    with pytest.raises(DataError, match=r"x\.oculi: .*(corrupted|not an \.oculi|version|"
                       r"truncated|unexpected)"):
        unpack(bytes(data), "x.oculi")


@pytest.mark.parametrize("keep", [0, 2, 10, 30, 31, 100, 235])
def test_truncated_file_is_a_clear_error(keep):
    data = pack(HEADER, STREAMS)
    assert keep < len(data)
    with pytest.raises(DataError, match="truncated"):
        unpack(data[:keep], "x.oculi")


def test_other_files_and_extra_bytes():
    with pytest.raises(DataError, match=r"not an \.oculi file"):
        unpack(b"\x89PNG\r\n\x1a\n" + bytes(40), "a.png")
    with pytest.raises(DataError, match="unexpected bytes"):
        unpack(pack(HEADER, STREAMS) + b"\x00")
