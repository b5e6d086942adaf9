"""``oculi batch classify`` on a local Ray cluster vs ``oculi classify`` in one process.

The hymenoptera images (``shared/data/hymenoptera``, train + val: 398 files) classified with
the default zoo model (EfficientNet-Lite0, top 5, 16 images a forward pass):

* ``classify_files`` in one process — what ``oculi classify`` runs (torch's default threads),
  after a warm-up call on two images (imports; every timed run still builds its model);
* ``run_batch(..., local=True)`` — ``oculi batch classify --local``: the same, plus one record
  file per image and the index;
* ``run_batch`` on a local Ray cluster of this machine's CPUs with the default pool (one actor,
  one CPU kept free for Ray Data's other tasks) and with ``--workers`` actors sharing the rest.
  Ray's time is given twice: the job alone (cluster already up) and with the cluster's start.

Checks, before any number is printed: every Ray run gives the in-process predictions (same top-5
class indices, probabilities within 1e-5) and fails on the same files. Images per second and the
ratio to the in-process loop; one JSON line goes to ``bench/results/batch.jsonl``.

Run (CPU-heavy: under the shared lock): ``.venv/bin/python -m bench.batch [--workers 2]``
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench._common import SHARED_DATA, print_table, record


def _ray_predictions(out: Path, rows: list[dict[str, str]]) -> dict[str, list[dict]]:
    return {r["input"]: json.loads((out / r["result"]).read_text())["result"]["predictions"]
            for r in rows if r["status"] == "done"}


def _same(want: dict, got: dict[str, list[dict]]) -> None:
    if want.keys() != got.keys():
        raise SystemExit(f"different inputs classified: {sorted(want.keys() ^ got.keys())[:3]}")
    for path, preds in want.items():
        if [p.index for p in preds] != [p["index"] for p in got[path]] or max(
                abs(p.probability - q["probability"]) for p, q in zip(
                    preds, got[path], strict=True)) > 1e-5:
            raise SystemExit(f"{path}: predictions differ: {preds} vs {got[path]}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2, help="actors of the second Ray run")
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--folder", type=Path, default=SHARED_DATA / "hymenoptera",
                    help="the images (default: the hymenoptera set)")
    args = ap.parse_args()
    folder = args.folder
    if not folder.is_dir():
        print(f"skip: {folder} not found (set OCULI_SHARED_DATA)")
        return
    from oculi.batch import collect_inputs, connected, local_cpus, run_batch
    from oculi.classify import DEFAULT_MODEL, classify_files

    _, paths = collect_inputs(folder)
    n = len(paths)
    work = Path(tempfile.mkdtemp(prefix="oculi-bench-batch-"))
    rows, times = [], {}
    try:
        classify_files(paths[:2], allow_download=False)  # warm-up: imports, weights in cache
        t0 = time.perf_counter()
        want, failures = classify_files(paths, batch_size=args.batch_size, allow_download=False)
        times["in-process classify_files"] = time.perf_counter() - t0
        good = len(want)

        t0 = time.perf_counter()
        local = run_batch("classify", folder, work / "local", local=True,
                          batch_size=args.batch_size)
        times["batch --local"] = time.perf_counter() - t0
        _same(want, _ray_predictions(work / "local", local.rows))

        t0 = time.perf_counter()
        with connected(None):
            start = time.perf_counter() - t0
            for label, workers in (("ray, default pool", None),
                                   (f"ray, {args.workers} actors", args.workers)):
                out = work / label.replace(" ", "_").replace(",", "")
                report = run_batch("classify", folder, out, workers=workers,
                                   batch_size=args.batch_size)
                if report.failures != failures:
                    raise SystemExit(f"{label}: failures differ: {report.failures}")
                _same(want, _ray_predictions(out, report.rows))
                times[f"{label} ({report.workers} actor(s))"] = report.seconds
        base = times["in-process classify_files"]
        for label, sec in times.items():
            rows.append([label, sec, good / sec, base / sec])
        rows.append(["ray default pool + cluster start", start + times[next(
            k for k in times if k.startswith("ray, default"))], None, None])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rows[-1][2] = good / rows[-1][1]
    rows[-1][3] = base / rows[-1][1]
    print(f"{n} inputs ({good} classified, {len(failures)} unreadable), {DEFAULT_MODEL}, "
          f"{local_cpus()} CPUs; predictions identical across all runs")
    print_table(["run", "seconds", "images/s", "speed vs in-process"], rows)
    record("batch", {"folder": folder.name, "inputs": n, "classified": good,
                     "failed": len(failures),
                     "model": DEFAULT_MODEL, "batch_size": args.batch_size,
                     "cpus": local_cpus(), "same_predictions": True,
                     "cluster_start_s": round(start, 2),
                     "runs": {r[0]: {"seconds": round(r[1], 2), "images_per_s": round(r[2], 2),
                                     "ratio_vs_in_process": round(r[3], 3)} for r in rows}})


if __name__ == "__main__":
    sys.exit(main())
