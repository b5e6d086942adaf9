"""CLI start-up: what a user pays on every call before any work.

For each command the whole process is timed from outside (``subprocess``, median of ``--runs``
after one warm-up run), beside two yardsticks run in turn with it: ``python -c pass`` (the
interpreter) and the same work done in a warm process (``work``: the library call the command
makes, timed in this process after one untimed call). ``overhead = command - work``: import
and set-up cost, the figure the target (<= 1 s on a quiet machine) is about. CPU seconds are
reported beside (the child's user + system time; the work's ``process_time``): they are not a
quiet machine's wall time, since library thread pools started at import (BLAS, numba's
workers) add CPU time of their own, so a command's CPU time can exceed its wall time; a
large gap between the two shows a wait for a core. The load average at the start and end goes
into the record. A separate run of each command under ``python -X importtime`` gives its import
time (the top-level imports' cumulative times summed, as Python reports them), the packages
that cost most and whether torch was imported. ``python -c "import oculi"`` is timed in turn
as well (the package's own import).

``--baseline SRC`` times a second copy of oculi's sources (e.g. an earlier commit:
``git archive REV src | tar -x -C /tmp/base``) in turn with this one, the same commands on the
same inputs (``PYTHONPATH=SRC``), so a start-up change is measured side by side on the same
machine state (``baseline_command_s``, ``baseline_overhead_s``). Its numba kernels are cached
apart, under SRC: the warm-up run compiles them there once.

    python -m bench.startup [--runs 7] [--baseline /tmp/base/src]
"""

from __future__ import annotations

import argparse
import os
import resource
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

    def flow(method: str = "hs"):
        compute_flow(read_image(p["a"], mode="unchanged"), read_image(p["b"], mode="unchanged"),
                     method)

    def flow_dis():
        flow("dis")

    return {
        "--help": (["--help"], lambda: None),
        "info": (["info"], lambda: None),
        "convert": (["convert", str(p["a"]), str(out / "c.jpg")], convert),
        "features detect": (["features", "detect", str(p["a"])], detect),
        "flow compute": (["flow", "compute", str(p["a"]), str(p["b"]), "-o",
                          str(out / "f.flo")], flow),
        # an OpenCV method: the same command without numba (the default above uses it)
        "flow compute -m dis": (["flow", "compute", str(p["a"]), str(p["b"]), "-m", "dis", "-o",
                                 str(out / "d.flo")], flow_dis),
    }


def _child_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _run(args: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall and CPU seconds of one run of ``args`` (a child process; ``env``: its environment)."""
    c0, t0 = _child_cpu(), time.perf_counter()
    subprocess.run(args, check=True, capture_output=True, env=env)
    return time.perf_counter() - t0, _child_cpu() - c0


def _median(times: list[tuple[float, float]]) -> tuple[float, float]:
    """Median wall and median CPU seconds."""
    return statistics.median(w for w, _ in times), statistics.median(c for _, c in times)


def _work(fn) -> tuple[float, float]:
    """Wall and CPU seconds (this process, all threads) of one call of ``fn``."""
    c0, t0 = time.process_time(), time.perf_counter()
    fn()
    return time.perf_counter() - t0, time.process_time() - c0


def import_profile(stderr: str, top: int = 5) -> dict:
    """``-X importtime`` output -> total seconds, the ``top`` costliest packages, torch or not.

    Each top-level import (one space of indent) counts with its cumulative time, grouped by
    package (``numba.core`` under ``numba``); nested imports are inside their parent's time.
    """
    per: dict[str, float] = {}
    names = set()
    for line in stderr.splitlines():
        if not line.startswith("import time:"):
            continue
        parts = line.split("|")
        if len(parts) != 3 or not parts[1].strip().isdigit():
            continue  # the header line
        name = parts[2].rstrip()
        names.add(name.strip())
        if len(name) - len(name.lstrip()) == 1:  # top level
            root = name.strip().split(".")[0]
            per[root] = per.get(root, 0.0) + int(parts[1]) / 1e6
    costly = sorted(per.items(), key=lambda kv: -kv[1])[:top]
    return {"import_s": round(sum(per.values()), 3),
            "top_imports_s": {k: round(v, 3) for k, v in costly},
            "imports_torch": "torch" in names}


def _import_profile(cli_args: list[str]) -> dict:
    code = ("import sys; from oculi.cli.main import main; sys.argv = ['oculi'] + sys.argv[1:]\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n")
    res = subprocess.run([PY, "-X", "importtime", "-c", code, *cli_args], capture_output=True,
                         text=True)
    return import_profile(res.stderr)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--baseline", type=Path, default=None,
                    help="another oculi src folder to time in turn (PYTHONPATH)")
    args = ap.parse_args()
    oculi = str(Path(PY).with_name("oculi"))
    base_env = None
    if args.baseline is not None:
        if not (args.baseline / "oculi" / "__init__.py").is_file():
            ap.error(f"--baseline {args.baseline}: no oculi package there")
        base_env = {**os.environ, "PYTHONPATH": str(args.baseline.resolve())}
    rows, results = [], {}
    load_start = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        paths = _inputs(folder)
        for name, (cli, work) in _commands(paths, folder).items():
            work()  # warm: caches, lazy imports of this process
            _run([oculi, *cli])
            if base_env is not None:
                _run([oculi, *cli], base_env)
            t_cmd, t_base, t_py, t_imp, t_work = [], [], [], [], []
            for _ in range(args.runs):  # in turn, so a drift of the machine hits them all
                t_cmd.append(_run([oculi, *cli]))
                if base_env is not None:
                    t_base.append(_run([oculi, *cli], base_env))
                t_py.append(_run([PY, "-c", "pass"]))
                t_imp.append(_run([PY, "-c", "import oculi"]))
                t_work.append(_work(work))
            (cmd, cmd_cpu), (py, _), (imp_s, _), (wk, wk_cpu) = (
                _median(t) for t in (t_cmd, t_py, t_imp, t_work))
            imp = _import_profile(cli)
            results[name] = {"command_s": round(cmd, 3), "python_s": round(py, 3),
                             "import_oculi_s": round(imp_s, 3),
                             "work_s": round(wk, 3), "overhead_s": round(cmd - wk, 3),
                             "command_cpu_s": round(cmd_cpu, 3), "work_cpu_s": round(wk_cpu, 3),
                             "overhead_cpu_s": round(cmd_cpu - wk_cpu, 3), **imp}
            base = ""
            if base_env is not None:
                b, b_cpu = _median(t_base)
                results[name].update({"baseline_command_s": round(b, 3),
                                      "baseline_overhead_s": round(b - wk, 3),
                                      "baseline_command_cpu_s": round(b_cpu, 3),
                                      "baseline_overhead_cpu_s": round(b_cpu - wk_cpu, 3)})
                base = f"{b - wk:.2f}"
            top = ", ".join(f"{k} {v:.2f}" for k, v in list(imp["top_imports_s"].items())[:3])
            rows.append([name, cmd, wk, cmd - wk, base or "-", cmd_cpu - wk_cpu, py, imp_s,
                         imp["import_s"], top, "yes" if imp["imports_torch"] else "no"])
    load = {"start": [round(x, 2) for x in load_start],
            "end": [round(x, 2) for x in os.getloadavg()]}
    print_table(["command", "total s", "work s", "overhead s", "baseline overhead s",
                 "overhead CPU s", "python -c pass s", "import oculi s", "imports s",
                 "costliest imports s", "imports torch"], rows)
    print(f"load average (1, 5, 15 min): {load['start']} at the start, {load['end']} at the end "
          f"({os.cpu_count()} cores)")
    threads = {k: os.environ[k] for k in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS")
               if k in os.environ}
    extra = {"baseline": str(args.baseline)} if args.baseline is not None else {}
    record("startup", {"task": "cli_startup", "runs": args.runs, "load_average": load,
                       "threads": threads, **extra, "results": results,
                       "target": {"overhead_s": 1.0}})


if __name__ == "__main__":
    main()
