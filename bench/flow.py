"""Optical flow on the Middlebury training sequences: every oculi method, and HS vs a tutorial HS.

On the five shared sequences with ground truth (``../shared/data/flow_middlebury``: Dimetrodon,
Grove2, Grove3, RubberWhale, Urban2):

1. Every registered method (``hs``, ``lk``, ``farneback``, ``dis``, ``tvl1``) with its defaults:
   average endpoint error (EPE, px), angular error (AE, degrees), and the median wall-clock and
   CPU time per frame pair.
2. oculi's Horn–Schunck against a straightforward single-scale numpy Horn–Schunck written here
   as the tutorial baseline (Horn & Schunck's 2x2x2 derivative stencils, the 1/6-1/12 averaging
   kernel, Jacobi iterations with ``scipy.ndimage.convolve``), at the same alpha (on a 0..255
   intensity scale) and the same number of iterations:

   - *same work*: oculi restricted to the baseline's problem (one level, one warp, quadratic
     data term, no median filter, grey input) for the same iterations, with its Jacobi solver
     (the very iteration of the baseline, compiled) and with its default SOR solver (more
     work per sweep, faster convergence): speed ratios, and the EPE of each;
   - *defaults*: oculi's default HS (pyramid, warps, robust data term, ROF texture, median
     filtering) against the baseline run for as many iterations as oculi makes sweeps at full
     resolution: EPE of both per sequence, and times. The baseline is also run at a few other
     alphas so that its best EPE is on record too.

Medians of repeated runs after a warm-up, threads pinned to the machine's cores. One JSON line is
appended to ``bench/results/flow.jsonl``.

Run: ``.venv/bin/python -m bench.flow [--repeat 3]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from bench._common import SHARED_DATA, print_table, record
from oculi.core.timing import pin_threads

SEQUENCES = ("Dimetrodon", "Grove2", "Grove3", "RubberWhale", "Urban2")
_HS_AVG = np.array([[1, 2, 1], [2, 0, 2], [1, 2, 1]], np.float32) / 12  # 1/12 diagonal, 1/6 edge


def numpy_horn_schunck(image1: np.ndarray, image2: np.ndarray, alpha: float,
                       iterations: int) -> np.ndarray:
    """Tutorial Horn–Schunck: single scale, 2x2x2 derivative cubes, Jacobi updates, numpy/scipy.

    ``image1``, ``image2``: HxW float grey on a 0..255 scale. Returns HxWx2 float32 flow.
    """
    from scipy.ndimage import convolve

    i1 = image1.astype(np.float32)
    i2 = image2.astype(np.float32)
    kx = np.array([[-1, 1], [-1, 1]], np.float32) * 0.25
    ky = np.array([[-1, -1], [1, 1]], np.float32) * 0.25
    kt = np.ones((2, 2), np.float32) * 0.25
    fx = convolve(i1, kx) + convolve(i2, kx)
    fy = convolve(i1, ky) + convolve(i2, ky)
    ft = convolve(i2, kt) - convolve(i1, kt)
    u = np.zeros_like(i1)
    v = np.zeros_like(i1)
    denom = alpha**2 + fx**2 + fy**2
    for _ in range(iterations):
        ub = convolve(u, _HS_AVG)
        vb = convolve(v, _HS_AVG)
        der = (fx * ub + fy * vb + ft) / denom
        u = ub - fx * der
        v = vb - fy * der
    return np.dstack([u, v]).astype(np.float32)


def _timed(fn: Callable[[], np.ndarray], repeat: int) -> tuple[np.ndarray, float, float]:
    """Result, median wall seconds and median CPU seconds of ``repeat`` runs."""
    walls, cpus, out = [], [], None
    for _ in range(repeat):
        c0, w0 = time.process_time(), time.perf_counter()
        out = fn()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return out, statistics.median(walls), statistics.median(cpus)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per method and pair")
    parser.add_argument("--no-record", action="store_true", help="do not append to results")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads (OpenCV, numba: HS row bands); default: the machine's "
                             "cores; 1 is faster on a busy machine")
    parser.add_argument("--only-hs", action="store_true",
                        help="only part 2 (oculi HS against the numpy tutorial HS)")
    args = parser.parse_args(argv)

    folder = SHARED_DATA / "flow_middlebury"
    if not folder.is_dir():
        print(f"skipped: shared data not found at {folder}")
        return 0
    threads = pin_threads(args.threads)
    from oculi.flow import endpoint_error, flow_errors, horn_schunck, methods, read_flo
    from oculi.flow.hs import HSParams
    from oculi.io import read_image

    data = {s: (read_image(folder / s / "frame10.png"), read_image(folder / s / "frame11.png"),
                read_flo(folder / s / "flow10.flo")) for s in SEQUENCES}
    first = data[SEQUENCES[0]]
    for name in methods.names():  # warm-up: numba kernels, OpenCV allocations
        methods.get(name)(first[0][:96, :96], first[1][:96, :96])
    for solver in ("sor", "jacobi"):  # the HS kernels on several row bands too
        horn_schunck(first[0][:200, :200], first[1][:200, :200], solver=solver)
        horn_schunck(first[0][:200, :200], first[1][:200, :200], solver=solver, levels=1,
                     robust=False, tol=0.0)

    # 1. every method
    per_method: dict[str, dict[str, Any]] = {}
    rows = []
    for name in [] if args.only_hs else methods.names():
        fn = methods.get(name)
        seqs = {}
        for seq, (a, b, gt) in data.items():
            flow, wall, cpu = _timed(lambda fn=fn, a=a, b=b: fn(a, b),
                                     1 if name == "tvl1" else args.repeat)
            stats = flow_errors(flow, gt)
            seqs[seq] = {"epe": stats["epe"], "ae": stats["ae"], "wall_s": wall, "cpu_s": cpu,
                         "size": f"{a.shape[1]}x{a.shape[0]}"}
            print(f"{name:>10} {seq:<12} EPE {stats['epe']:.3f}  AE {stats['ae']:.2f}  "
                  f"{wall:.2f} s (cpu {cpu:.2f} s)", file=sys.stderr, flush=True)
        big = [s for s in seqs.values() if s["size"] == "640x480"]
        summary = {"epe": float(np.mean([s["epe"] for s in seqs.values()])),
                   "ae": float(np.mean([s["ae"] for s in seqs.values()])),
                   "wall_s_640x480": float(np.mean([s["wall_s"] for s in big])),
                   "cpu_s_640x480": float(np.mean([s["cpu_s"] for s in big]))}
        per_method[name] = {"sequences": seqs, "mean": summary}
        rows.append([name, *(seqs[s]["epe"] for s in SEQUENCES), summary["epe"], summary["ae"],
                     summary["wall_s_640x480"], summary["cpu_s_640x480"]])
    if rows:
        print("\nEvery method, defaults (EPE px; time per 640x480 pair, s)")
        print_table(["method", *SEQUENCES, "mean EPE", "mean AE", "wall s", "cpu s"], rows)

    # 2. oculi HS vs the numpy tutorial HS
    alpha = HSParams.alpha
    iters = HSParams.warps * HSParams.iterations  # oculi's sweeps at full resolution
    same_work_kw = {"levels": 1, "warps": 1, "iterations": iters, "tol": 0.0, "robust": False,
                    "median_size": 0, "channels": "gray", "stencil": "hs"}
    from oculi.flow._base import gray_pair

    versus: dict[str, Any] = {}
    rows = []
    for seq, (a, b, gt) in data.items():
        g1, g2 = gray_pair(a, b)
        base, base_wall, _ = _timed(lambda g1=g1, g2=g2: numpy_horn_schunck(g1, g2, alpha, iters),
                                    args.repeat)
        same, same_wall, _ = _timed(lambda a=a, b=b: horn_schunck(a, b, **same_work_kw),
                                    args.repeat)
        jac, jac_wall, _ = _timed(
            lambda a=a, b=b: horn_schunck(a, b, solver="jacobi", **same_work_kw), args.repeat)
        full, full_wall, _ = _timed(lambda a=a, b=b: horn_schunck(a, b), args.repeat)
        base_alphas = {str(al): endpoint_error(numpy_horn_schunck(g1, g2, al, iters), gt)
                       for al in (10.0, 30.0)}
        versus[seq] = {
            "numpy_epe": endpoint_error(base, gt), "numpy_wall_s": base_wall,
            "oculi_same_work_epe": endpoint_error(same, gt), "oculi_same_work_wall_s": same_wall,
            "speed_ratio_same_work": base_wall / same_wall,
            "oculi_jacobi_same_work_epe": endpoint_error(jac, gt),
            "oculi_jacobi_same_work_wall_s": jac_wall,
            "speed_ratio_jacobi_same_work": base_wall / jac_wall,
            "oculi_default_epe": endpoint_error(full, gt), "oculi_default_wall_s": full_wall,
            "numpy_epe_other_alphas": base_alphas,
        }
        v = versus[seq]
        rows.append([seq, v["numpy_epe"], v["oculi_jacobi_same_work_epe"],
                     v["oculi_same_work_epe"], v["oculi_default_epe"], min(base_alphas.values()),
                     base_wall, jac_wall, same_wall, v["speed_ratio_jacobi_same_work"],
                     v["speed_ratio_same_work"], full_wall])
    print(f"\nHorn–Schunck: numpy tutorial vs oculi (alpha {alpha}, {iters} iterations)")
    print_table(["sequence", "numpy EPE", "jacobi EPE", "sor EPE", "default EPE",
                 "numpy best-alpha EPE", "numpy s", "jacobi s", "sor s", "ratio jacobi",
                 "ratio sor", "default s"], rows)
    ratio = float(np.median([v["speed_ratio_same_work"] for v in versus.values()]))
    ratio_j = float(np.median([v["speed_ratio_jacobi_same_work"] for v in versus.values()]))
    print(f"median speed ratio at the same iterations: Jacobi {ratio_j:.1f}x, SOR {ratio:.1f}x")

    default_epe = float(np.mean([v["oculi_default_epe"] for v in versus.values()]))
    big = [v["oculi_default_wall_s"] for s, v in versus.items()
           if data[s][0].shape[:2] == (480, 640)]
    print(f"oculi default HS: mean EPE {default_epe:.3f}, {np.mean(big):.2f} s per 640x480 frame")
    payload = {
        "benchmark": "flow_middlebury", "threads": threads, "repeat": args.repeat,
        "load_avg": list(os.getloadavg()), "methods": per_method,
        "hs_vs_numpy": {"alpha": alpha, "iterations": iters, "same_work_settings": same_work_kw,
                        "sequences": versus, "median_speed_ratio_same_work": ratio,
                        "median_speed_ratio_jacobi_same_work": ratio_j,
                        "numpy_mean_epe": float(np.mean([v["numpy_epe"] for v in versus.values()])),
                        "oculi_default_mean_epe": default_epe,
                        "oculi_default_wall_s_640x480": float(np.mean(big))},
    }
    if not args.no_record:
        print(f"recorded in {record('flow', payload)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
