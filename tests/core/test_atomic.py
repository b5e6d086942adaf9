import json

import numpy as np
import pytest

from oculi.core.atomic import append_jsonl, atomic_path, save_figure, write_json_atomic


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


def test_replacing_a_file_keeps_its_mode(tmp_path):
    import os
    import stat

    from oculi.core.atomic import write_bytes_atomic

    for mode in (0o600, 0o640, 0o755):
        target = tmp_path / f"m{mode:o}.sh"
        target.write_bytes(b"old")
        os.chmod(target, mode)
        write_bytes_atomic(target, b"new")
        assert stat.S_IMODE(target.stat().st_mode) == mode
        assert target.read_bytes() == b"new"


def _dead_pid() -> int:
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_killed_writers_temp_file_is_recognised_and_removed(tmp_path):
    import os
    import subprocess
    import sys

    from oculi.core.atomic import remove_stale_temp_files

    # a writer killed inside atomic_path leaves its temporary file behind
    code = ("import os, sys; from oculi.core.atomic import atomic_path\n"
            "with atomic_path(sys.argv[1]) as tmp:\n"
            "    tmp.write_bytes(b'half'); os._exit(9)\n")
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path / "state.pt")], check=False)
    assert proc.returncode == 9
    left = [p.name for p in tmp_path.iterdir()]
    assert len(left) == 1 and left[0].startswith(".state.oculi-tmp-") and left[0].endswith(".pt")
    dead = _dead_pid()
    (tmp_path / f".last.oculi-tmp-{dead}-abc123.safetensors").write_bytes(b"x")
    live = tmp_path / f".best.oculi-tmp-{os.getpid()}-xyz.safetensors"  # a writer still at work
    live.write_bytes(b"x")
    (tmp_path / "draft.tmp").write_bytes(b"user file")  # not ours: kept
    removed = remove_stale_temp_files(tmp_path)
    assert len(removed) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, "draft.tmp"])


def test_save_figure_writes_a_png_closes_the_figure_and_leaves_no_temp_file(tmp_path):
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    out = save_figure(fig, tmp_path / "sub" / "f.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not plt.fignum_exists(fig.number)
    assert [p.name for p in (tmp_path / "sub").iterdir()] == ["f.png"]
