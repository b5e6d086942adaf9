import json

import numpy as np
import pytest

from oculi.core.atomic import append_jsonl, atomic_path, write_json_atomic


def test_failed_write_leaves_previous_file(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert list(tmp_path.iterdir()) == [target]


def test_json_helpers_handle_numpy(tmp_path):
    p = write_json_atomic(tmp_path / "sub" / "r.json", {"a": np.float32(1.5), "b": np.arange(3)})
    assert json.loads(p.read_text()) == {"a": 1.5, "b": [0, 1, 2]}
    append_jsonl(tmp_path / "r.jsonl", {"x": 1})
    append_jsonl(tmp_path / "r.jsonl", {"x": 2})
    lines = (tmp_path / "r.jsonl").read_text().splitlines()
    assert [json.loads(s)["x"] for s in lines] == [1, 2]


def test_atomic_outputs_get_the_users_umask(tmp_path):
    import os
    import stat

    from oculi.core.atomic import write_bytes_atomic

    old = os.umask(0o027)
    try:
        write_bytes_atomic(tmp_path / "a.bin", b"x")
        (tmp_path / "plain.bin").write_bytes(b"x")
    finally:
        os.umask(old)
    mode = stat.S_IMODE((tmp_path / "a.bin").stat().st_mode)
    assert mode == stat.S_IMODE((tmp_path / "plain.bin").stat().st_mode) == 0o640
