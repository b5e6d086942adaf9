"""CLI start-up: what a user pays on every call before any work.

For each command the whole process is timed from outside (``subprocess``, median of ``--runs``
after one warm-up run), beside two yardsticks run in turn with it: ``python -c pass`` (the
interpreter) and the same work done in a warm process (``work``: the library call the command
makes, timed in this process after one untimed call). ``overhead = command - work``: import
and set-up cost, the figure the target (<= 1 s on a quiet machine) is about. Whether torch was
imported is checked in a separate run of each command (``-X importtime``).

    python -m bench.startup [--runs 7]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench._common import print_table, record

PY = sys.executable


def _inputs(folder: Path) -> dict[str, Path]:
    from skimage import data

    from oculi.io import write_image

    cam = data.camera()
    paths = {"a": folder / "a.png", "b": folder / "b.png", "c": folder / "c.jpg"}
    write_image(paths["a"], cam)
    write_image(paths["b"], np.roll(cam, 2, axis=1))
    return paths


def _commands(p: dict[str, Path], out: Path) -> dict[str, tuple[list[str], object]]:
    """name -> (CLI arguments, the work it does as a zero-argument callable)."""
    from oculi.features import detect_and_describe
    from oculi.flow import compute_flow
    from oculi.io import read_image, write_image

    def convert():
        write_image(out / "w.jpg", read_image(p["a"], mode="unchanged"))

    def detect():
        detect_and_describe(read_image(p["a"]), "sift")

    def flow():
        compute_flow(read_image(p["a"], mode="gray"), read_image(p["b"], mode="gray"), "hs")

    return {
        "--help": (["--help"], lambda: None),
        "info": (["info"], lambda: None),
        "convert": (["convert", str(p["a"]), str(out / "c.jpg")], convert),
        "features detect": (["features", "detect", str(p["a"])], detect),
        "flow compute": (["flow", "compute", str(p["a"]), str(p["b"]), "-o",
                          str(out / "f.flo")], flow),
    }


def _run(args: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True)
    return time.perf_counter() - t0


def _imports_torch(cli_args: list[str]) -> bool:
    code = ("import sys; from oculi.cli.main import main; sys.argv = ['oculi'] + sys.argv[1:]\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print('torch' in sys.modules, file=sys.stderr)")
    res = subprocess.run([PY, "-c", code, *cli_args], capture_output=True, text=True)
    return res.stderr.strip().splitlines()[-1] == "True"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    oculi = str(Path(PY).with_name("oculi"))
    rows, results = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        paths = _inputs(folder)
        for name, (cli, work) in _commands(paths, folder).items():
            work()  # warm: caches, lazy imports of this process
            _run([oculi, *cli])
            t_cmd, t_py, t_work = [], [], []
            for _ in range(args.runs):  # in turn, so a drift of the machine hits all three
                t_cmd.append(_run([oculi, *cli]))
                t_py.append(_run([PY, "-c", "pass"]))
                t0 = time.perf_counter()
                work()
                t_work.append(time.perf_counter() - t0)
            cmd, py, wk = (statistics.median(t) for t in (t_cmd, t_py, t_work))
            torch = _imports_torch(cli)
            results[name] = {"command_s": round(cmd, 3), "python_s": round(py, 3),
                             "work_s": round(wk, 3), "overhead_s": round(cmd - wk, 3),
                             "imports_torch": torch}
            rows.append([name, cmd, wk, cmd - wk, py, "yes" if torch else "no"])
    print_table(["command", "total s", "work s", "overhead s", "python -c pass s",
                 "imports torch"], rows)
    record("startup", {"task": "cli_startup", "runs": args.runs, "results": results,
                       "target": {"overhead_s": 1.0}})


if __name__ == "__main__":
    main()
