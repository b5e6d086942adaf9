"""``oculi`` ends without the interpreter's final garbage-collector sweep over every object
(``gc.freeze`` at exit, registered by :func:`oculi.cli.main.main`): what it costs is timed in
bench/startup.py; here, that it happens, once, after the command and its exit handlers."""

from __future__ import annotations

import subprocess
import sys

_PROBE = """
import atexit, gc, sys
atexit.register(lambda: print("frozen", gc.get_freeze_count() > 0, file=sys.stderr))  # runs last
from oculi.cli.main import main
print("before", gc.get_freeze_count() > 0, file=sys.stderr)
for argv in (["oculi", "--help"], ["oculi", "info"]):  # twice in one process: one registration
    sys.argv = argv
    try:
        main()
    except SystemExit:
        pass
print("after", gc.get_freeze_count() > 0, file=sys.stderr)
"""


def test_main_freezes_the_heap_at_exit_only() -> None:
    res = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0, res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.split()[0] in ("before", "after",
                                                                       "frozen")]
    # not while commands run (a caller of main in a longer process keeps a normal collector)
    assert lines == ["before False", "after False", "frozen True"], res.stderr


def test_exit_handlers_still_run_and_the_exit_code_is_kept(tmp_path) -> None:
    code = ("import atexit, sys\n"
            "flag = sys.argv[1]\n"
            "atexit.register(lambda: open(flag, 'w').write('ran'))\n"
            "from oculi.cli.main import main\n"
            "sys.argv = ['oculi', 'convert', sys.argv[2], sys.argv[1] + '.png']\n"
            "main()\n")
    flag = tmp_path / "flag"
    res = subprocess.run([sys.executable, "-c", code, str(flag), str(tmp_path / "missing.png")],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 2, res.stderr  # a bad input: exit 2, as before
    assert flag.read_text() == "ran"
